package descent.compiler.backend;

import descent.compiler.emit.ReduceEmitter;
import descent.compiler.emit.ReduceKernel;
import descent.compiler.emit.ReduceShape;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import java.util.Arrays;

/**
 * reduce and sum_to as calls of a generated {@link ReduceEmitter} kernel (the batch size passed per call); in
 * f64 a scalar kernel bitwise the interpreter's reduction.
 */
final class ReduceCalls {
    private ReduceCalls() {}

    static void reduce(KernelCalls c, Node n, Op.Reduce r) {
        KernelCalls.requireFloating(n);
        int[] d = c.dims(n.input(0));
        ReduceShape shape = ReduceShape.of(r.fn(), d, r.axes().stream().mapToInt(Integer::intValue).toArray());
        call(c, n.id(), n.input(0), shape);
    }

    static void sumTo(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        call(c, n.id(), n.input(0), ReduceShape.sumTo(c.dims(n.input(0)), c.dims(n.id())));
    }

    private static void call(KernelCalls c, int id, int x, ReduceShape shape) {
        c.out(id);
        if (c.g.type(id).dtype() == descent.runtime.DType.F64) {
            ReduceKernel k = Kernels.get("reduce f64 " + shape.tag() + Arrays.toString(c.dims(x)), () -> ReduceEmitter.emit64(shape));
            c.call((buf, step, b) -> k.run64((double[]) buf[x], 0, (double[]) buf[id], 0, b));
            return;
        }
        ReduceKernel k = Kernels.get("reduce " + shape.tag() + Arrays.toString(c.dims(x)), () -> ReduceEmitter.emit(shape));
        c.call((buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, b));
    }
}
