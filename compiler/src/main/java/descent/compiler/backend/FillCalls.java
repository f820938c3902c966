package descent.compiler.backend;

import descent.compiler.emit.FillKernel;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.Initializers;

/**
 * dim_size and random_normal: values that depend only on the batch size or the step, computed by a plain
 * Java {@link FillKernel} rather than a generated kernel, called like one.
 */
final class FillCalls {
    private FillCalls() {}

    static void dimSize(KernelCalls c, Node n, Op.DimSize d) {
        int[] x = c.dims(n.input(0));
        long fixed = 1;
        int batches = 0;
        for (int a : d.axes()) {
            if (x[a] < 0) batches++;
            else fixed *= x[a];
        }
        fill(c, n, new DimSize(fixed, batches));
    }

    /** Draws the runtime's {@link Initializers#normals} stream for the step, so values match the interpreter. */
    static void randomNormal(KernelCalls c, Node n, Op.RandomNormal r) {
        KernelCalls.requireFloating(n);
        fill(c, n, new RandomNormal(r.seed(), r.mean(), r.stddev()));
    }

    private static void fill(KernelCalls c, Node n, FillKernel kernel) {
        c.out(n.id());
        fill(c, n.id(), c.size(n.id()), kernel);
    }

    /** Appends a call of {@code kernel} filling {@code count} elements of buffer {@code id}. */
    static void fill(KernelCalls c, int id, Sz count, FillKernel kernel) {
        c.invoke(new Invocation(kernel, FillKernel.class, "run", new Arg.Slot(id, Object.class), new Arg.Count(count.c(), count.p()),
                new Arg.Step(), Arg.batch()));
    }

    /** One value everywhere. */
    record Constant(double value) implements FillKernel {
        @Override public void run(Object dst, int count, long step, int b) { BufferPlan.fill(dst, count, value); }
    }

    /** The product of some axes' sizes: {@code fixed} times the batch size {@code batches} times (as a double, as the interpreter multiplies). */
    record DimSize(long fixed, int batches) implements FillKernel {
        @Override public void run(Object dst, int count, long step, int b) {
            double v = fixed;
            for (int i = 0; i < batches; i++) v *= b;
            BufferPlan.fill(dst, count, v);
        }
    }

    /** {@code mean + stddev · z}, z the step's standard normals from {@code seed}. */
    record RandomNormal(long seed, double mean, double stddev) implements FillKernel {
        @Override public void run(Object dst, int count, long step, int b) { Initializers.normalsInto(seed, step, dst, count, mean, stddev); }
    }
}
