package descent.compiler.train.optimizers;

import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.AdagradDAOptimizer (ApplyAdagradDA). The new var is a closed form of the accumulators, with
 * {@code T = global_step + 1} read before this step's increment:
 * {@code var = -lr * sign(ga) * max(|ga| - T*l1, 0) / (l2*T*lr + sqrt(gsa))} (l1 > 0), else
 * {@code -lr * ga / (l2*T*lr + sqrt(gsa))}.
 */
public final class AdagradDA extends Optimizer {
    private final Hyper lr, l1, l2;
    private final VariableInfo globalStep;
    private final double initialSquared;

    public AdagradDA(Hyper learningRate, VariableInfo globalStep, double initialGradientSquaredAccumulatorValue,
                     Hyper l1, Hyper l2, boolean useLocking, String name) {
        super(useLocking, name);
        if (initialGradientSquaredAccumulatorValue <= 0.0) {
            throw new IrException("initial_gradient_squared_accumulator_value must be positive: "
                    + py(initialGradientSquaredAccumulatorValue), null);
        }
        if (globalStep == null) throw new IrException("AdagradDAOptimizer needs global_step", "pass global_step=global_step");
        this.lr = learningRate;
        this.globalStep = globalStep;
        this.initialSquared = initialGradientSquaredAccumulatorValue;
        this.l1 = l1;
        this.l2 = l2;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) {
            zerosSlot(v, "gradient_accumulator");
            slot(v, "gradient_squared_accumulator", initialSquared);
        }
    }

    private int steps() {
        var t = t();
        int gs = t.graph().cast(globalStep.node(), t.dtype());
        return t.add(gs, t.c(1));
    }

    private int closedForm(int ga, int gsa) {
        var t = t();
        int tt = steps();
        int denom = t.add(t.mul(t.mul(h(l2), tt), h(lr)), t.sqrt(gsa));
        int l1Value = h(l1);
        int shrunk = t.mul(t.mul(t.neg(h(lr)), t.sign(ga)), t.max(t.sub(t.abs(ga), t.mul(tt, l1Value)), t.c(0)));
        int plain = t.mul(t.neg(h(lr)), ga);
        int numerator = t.select(t.gt(l1Value, t.c(0)), shrunk, plain);
        return t.div(numerator, denom);
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo ga = slotOf(var, "gradient_accumulator"), gsa = slotOf(var, "gradient_squared_accumulator");
        int gaNew = t.add(t.read(ga), g), gsaNew = t.add(t.read(gsa), t.square(g));
        t.assign(ga, gaNew);
        t.assign(gsa, gsaNew);
        t.assign(var, closedForm(gaNew, gsaNew));
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo ga = slotOf(var, "gradient_accumulator"), gsa = slotOf(var, "gradient_squared_accumulator");
        int gaRows = t.add(t.rows(t.read(ga), g), g.values()), gsaRows = t.add(t.rows(t.read(gsa), g), t.square(g.values()));
        t.scatter(ga, g, gaRows);
        t.scatter(gsa, g, gsaRows);
        t.scatter(var, g, closedForm(gaRows, gsaRows));
    }
}
