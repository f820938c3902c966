package descent.compiler.backend;

import static descent.compiler.emit.Invocation.Arg.constant;
import static descent.compiler.emit.Invocation.Arg.doubles;
import static descent.compiler.emit.Invocation.Arg.floats;

import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.ReduceEmitter;
import descent.compiler.emit.ReduceKernel;
import descent.compiler.emit.ReduceShape;
import descent.compiler.emit.ReduceUpdateKernel;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.Arrays;
import java.util.Set;

/**
 * reduce and sum_to as calls of a generated {@link ReduceEmitter} kernel (the batch size passed per call); in
 * f64 a scalar kernel bitwise the interpreter's reduction.
 */
final class ReduceCalls {
    private ReduceCalls() {}

    static void reduce(KernelCalls c, Node n, Op.Reduce r) {
        KernelCalls.requireFloating(n);
        call(c, n.id(), n.input(0), shape(c, n));
    }

    static void sumTo(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        call(c, n.id(), n.input(0), shape(c, n));
    }

    private static ReduceShape shape(KernelCalls c, Node n) {
        int[] d = c.dims(n.input(0));
        return switch (n.op()) {
            case Op.Reduce r -> ReduceShape.of(r.fn(), d, r.axes().stream().mapToInt(Integer::intValue).toArray());
            case Op.SumTo s -> ReduceShape.sumTo(d, c.dims(n.id()));
            default -> throw new IllegalArgumentException("not a reduction: " + n);
        };
    }

    /**
     * A reduction with its update inside ({@link Kernel.ReduceUpdate}): one call that reduces into the gradient's
     * buffer (a per-thread scratch when nothing else reads it), then runs the update's loop over it. Bitwise the two
     * kernels apart: the same reduction kernel, the same elementwise kernel, the same inputs.
     */
    static void update(KernelCalls c, Kernel.ReduceUpdate u) {
        Node n = c.g.node(u.reduction());
        KernelCalls.requireFloating(n);
        ReduceShape shape = shape(c, n);
        int x = n.input(0);
        ReduceKernel reduce = Kernels.get("reduce " + shape.tag() + Arrays.toString(c.dims(x)), () -> ReduceEmitter.emit(shape));
        Kernel.Fused f = u.update();
        FusedExpr expr = FusedExpr.from(c.g, f.results(), f.inputs(), Set.of(), Set.of());
        ElementwiseKernel update = ElementwiseCalls.compile(expr);
        int[] dims = c.dims(u.reduction());
        int gradient = u.kept() ? u.reduction() : c.buffers.scratch(DType.F32, Sz.of(dims));
        if (u.kept()) c.out(u.reduction());
        for (int r : f.results()) c.out(r);
        int[] ins = f.inputs().stream().mapToInt(i -> i == u.reduction() ? gradient : i).toArray();
        int[] results = f.results().stream().mapToInt(Integer::intValue).toArray();
        int length = Math.toIntExact(Sz.of(dims).at(0)), row = dims.length == 0 ? 1 : dims[dims.length - 1];
        Whole k = new Whole(reduce, update, new int[ins.length], new int[results.length], length, row);
        c.invoke(new Invocation(k, ReduceUpdateKernel.class, "run", floats(x), floats(gradient), Arg.batch(),
                new Arg.Gathered(c.buffers.holder(ins.length, true), ins, float[][].class),
                new Arg.Gathered(c.buffers.holder(results.length, true), results, float[][].class)));
    }

    /** The reduction into {@code g}, then the update over all of it ({@code inOff}, {@code outOff}: zeros, only read). */
    record Whole(ReduceKernel reduce, ElementwiseKernel update, int[] inOff, int[] outOff, int length, int rowLength)
            implements ReduceUpdateKernel {
        @Override public void run(float[] x, float[] g, int batch, float[][] in, float[][] out) {
            reduce.run(x, 0, g, 0, batch);
            update.run(in, inOff, out, outOff, length, rowLength);
        }
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
