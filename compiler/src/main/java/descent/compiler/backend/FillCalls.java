package descent.compiler.backend;

import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.Initializers;

/**
 * dim_size and random_normal: values that depend only on the batch size or the step, computed by a plain
 * Java call rather than a generated kernel.
 */
final class FillCalls {
    private FillCalls() {}

    static void dimSize(KernelCalls c, Node n, Op.DimSize d) {
        int id = n.id();
        int[] x = c.dims(n.input(0));
        c.out(id);
        Sz count = c.size(id);
        c.call((buf, step, b) -> {
            double v = 1;
            for (int a : d.axes()) v *= x[a] < 0 ? b : x[a];
            BufferPlan.fill(buf[id], count.at(b), v);
        });
    }

    /** Draws the runtime's {@link Initializers#normals} stream for the step, so values match the interpreter. */
    static void randomNormal(KernelCalls c, Node n, Op.RandomNormal r) {
        KernelCalls.requireFloating(n);
        int id = n.id();
        c.out(id);
        Sz count = c.size(id);
        c.call((buf, step, b) -> {
            int len = count.at(b);
            double[] z = Initializers.normals(r.seed(), step, len);
            if (buf[id] instanceof double[] o) {
                for (int i = 0; i < len; i++) o[i] = r.mean() + r.stddev() * z[i];
            } else {
                float[] o = (float[]) buf[id];
                for (int i = 0; i < len; i++) o[i] = (float) (r.mean() + r.stddev() * z[i]);
            }
        });
    }
}
