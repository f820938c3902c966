package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.SparseGrad;

/**
 * tf.contrib.opt.NadamOptimizer: Adam's kernel with use_nesterov, i.e. the numerator
 * {@code (grad * (1 - beta1) + beta1 * m) * alpha}. Sparse: m and v decay on all rows, var moves on the
 * listed rows only (contrib's _apply_sparse_shared).
 */
public final class Nadam extends Adam {
    public Nadam(Hyper learningRate, Hyper beta1, Hyper beta2, Hyper epsilon, boolean useLocking, String name) {
        super(learningRate, beta1, beta2, epsilon, useLocking, name);
    }

    @Override protected int numerator(int g, int mNew, int alpha) {
        var t = t();
        return t.mul(t.add(t.mul(g, t.sub(t.c(1), h(beta1))), t.mul(h(beta1), mNew)), alpha);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int lrT = alpha();
        int mScaled = t.mul(g.values(), t.sub(t.c(1), h(beta1)));
        decayThenAdd(m, beta1, g, mScaled);
        int mBar = t.add(mScaled, t.mul(h(beta1), t.rows(t.read(m), g)));
        decayThenAdd(v, beta2, g, t.mul(t.mul(g.values(), g.values()), t.sub(t.c(1), h(beta2))));
        int vSqrtRows = t.rows(t.sqrt(t.read(v)), g);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), t.div(t.mul(lrT, mBar), t.add(vSqrtRows, h(epsilon)))));
    }

    /** TF's sparse Nadam moves only the listed rows of var. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return false; }
}
