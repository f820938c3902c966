package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.SparseGrad;

/**
 * tf.contrib.opt.LazyAdamOptimizer: dense as Adam; sparse moves only the listed rows of m, v and var.
 * It keeps Adam's constructor, so its default name is "Adam", as in TF.
 */
public final class LazyAdam extends Adam {
    public LazyAdam(Hyper learningRate, Hyper beta1, Hyper beta2, Hyper epsilon, boolean useLocking, String name) {
        super(learningRate, beta1, beta2, epsilon, useLocking, name);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int lrT = alpha();
        int mRows = t.add(t.mul(h(beta1), t.rows(t.read(m), g)), t.mul(t.sub(t.c(1), h(beta1)), g.values()));
        int vRows = t.add(t.mul(h(beta2), t.rows(t.read(v), g)), t.mul(t.sub(t.c(1), h(beta2)), t.square(g.values())));
        t.scatter(m, g, mRows);
        t.scatter(v, g, vRows);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), t.div(t.mul(lrT, mRows), t.add(t.sqrt(vRows), h(epsilon)))));
    }

    /** Lazy: rows no index names keep their moments and values. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return false; }
}
