package descent.compiler.train.optimizers;

import descent.compiler.ir.Grad;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;

/** tf.train.GradientDescentOptimizer: {@code var -= grad * lr} (ApplyGradientDescent). */
public final class GradientDescent extends Optimizer {
    private final Hyper lr;

    public GradientDescent(Hyper learningRate, boolean useLocking, String name) {
        super(useLocking, name);
        this.lr = learningRate;
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        t.assign(var, t.sub(t.read(var), t.mul(g, h(lr))));
    }

    /** TF does not de-duplicate here: scatter_sub applies repeated indices one after another. */
    @Override protected void applySparseDuplicateIndices(Grad.Sliced g, VariableInfo var) {
        var t = t();
        t.scatterAdd(var, g.indices(), t.neg(t.mul(g.values(), h(lr))));
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        throw new IllegalStateException("GradientDescent applies IndexedSlices without de-duplication");
    }

    /** var − lr·0 = var. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return true; }
}
