package descent.compiler.train.optimizers;

import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/** tf.train.AdagradOptimizer (ApplyAdagrad): {@code accum += grad^2; var -= grad * lr * rsqrt(accum)}; no epsilon. */
public final class Adagrad extends Optimizer {
    private final Hyper lr;
    private final double initialAccumulator;

    public Adagrad(Hyper learningRate, double initialAccumulatorValue, boolean useLocking, String name) {
        super(useLocking, name);
        if (initialAccumulatorValue <= 0.0) {
            throw new IrException("initial_accumulator_value must be positive: " + py(initialAccumulatorValue), null);
        }
        this.lr = learningRate;
        this.initialAccumulator = initialAccumulatorValue;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) slot(v, "accumulator", initialAccumulator);
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo acc = slotOf(var, "accumulator");
        int a = t.add(t.read(acc), t.square(g));
        t.assign(acc, a);
        t.assign(var, t.sub(t.read(var), t.mul(t.mul(g, h(lr)), t.rsqrt(a))));
    }

    /** SparseApplyAdagrad, per listed row: {@code a += g*g; var -= lr * g / sqrt(a)}. */
    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo acc = slotOf(var, "accumulator");
        int a = t.add(t.rows(t.read(acc), g), t.square(g.values()));
        t.scatter(acc, g, a);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), t.div(t.mul(h(lr), g.values()), t.sqrt(a))));
    }

    /** accum + 0² = accum, var − lr·0/√accum = var. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return true; }
}
