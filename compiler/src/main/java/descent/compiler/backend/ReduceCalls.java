package descent.compiler.backend;

import static descent.compiler.emit.Invocation.Arg.constant;
import static descent.compiler.emit.Invocation.Arg.doubles;
import static descent.compiler.emit.Invocation.Arg.floats;

import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
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
            c.invoke(new Invocation(k, ReduceKernel.class, "run64", doubles(x), constant(0),
                    doubles(id), constant(0), Arg.batch()));
            return;
        }
        ReduceKernel k = Kernels.get("reduce " + shape.tag() + Arrays.toString(c.dims(x)), () -> ReduceEmitter.emit(shape));
        c.invoke(new Invocation(k, ReduceKernel.class, "run", floats(x), constant(0),
                floats(id), constant(0), Arg.batch()));
    }
}
