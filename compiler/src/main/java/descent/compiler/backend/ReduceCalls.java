package descent.compiler.backend;

import descent.compiler.emit.ReduceEmitter;
import descent.compiler.emit.ReduceKernel;
import descent.compiler.emit.ReduceShape;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import java.util.Arrays;

/** reduce and sum_to as calls of a generated {@link ReduceEmitter} kernel (the batch size passed per call). */
final class ReduceCalls {
    private ReduceCalls() {}

    static void reduce(KernelCalls c, Node n, Op.Reduce r) {
        KernelCalls.requireF32(n);
        int[] d = c.dims(n.input(0));
        ReduceShape shape = ReduceShape.of(r.fn(), d, r.axes().stream().mapToInt(Integer::intValue).toArray());
        call(c, n.id(), n.input(0), shape);
    }

    static void sumTo(KernelCalls c, Node n) {
        KernelCalls.requireF32(n);
        call(c, n.id(), n.input(0), ReduceShape.sumTo(c.dims(n.input(0)), c.dims(n.id())));
    }

    private static void call(KernelCalls c, int id, int x, ReduceShape shape) {
        ReduceKernel k = Kernels.get("reduce " + shape.tag() + Arrays.toString(c.dims(x)), () -> ReduceEmitter.emit(shape));
        c.out(id);
        c.call((buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, b));
    }
}
