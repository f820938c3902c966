package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.SparseGrad;
import java.util.Set;

/** tf.contrib.opt.AdamWOptimizer: decoupled weight decay, then Adam. */
public final class AdamW extends Adam {
    private final Hyper weightDecay;
    private Set<String> decayVars;

    public AdamW(Hyper weightDecay, Hyper learningRate, Hyper beta1, Hyper beta2, Hyper epsilon, boolean useLocking,
                 String name) {
        super(learningRate, beta1, beta2, epsilon, useLocking, name);
        this.weightDecay = weightDecay;
    }

    /** minimize/apply_gradients's decay_var_list: the variables to decay (null: all). */
    public void setDecayVarList(Set<String> names) { this.decayVars = names; }

    @Override protected void applyDense(int g, VariableInfo var) {
        if (DecoupledWeightDecay.applies(decayVars, var)) DecoupledWeightDecay.dense(t(), var, exact(weightDecay));
        super.applyDense(g, var);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        if (DecoupledWeightDecay.applies(decayVars, var)) DecoupledWeightDecay.sparse(t(), var, g, exact(weightDecay));
        super.applySparse(g, var);
    }

    /** The sparse weight decay applies to the listed rows only. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return false; }
}
