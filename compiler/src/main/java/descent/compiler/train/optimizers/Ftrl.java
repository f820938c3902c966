package descent.compiler.train.optimizers;

import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;
import java.util.Locale;

/**
 * tf.train.FtrlOptimizer (ApplyFtrl, or ApplyFtrlV2 when l2_shrinkage > 0). The accumulator takes the raw
 * gradient; only {@code linear} sees the shrinkage-adjusted one.
 */
public final class Ftrl extends Optimizer {
    private final Hyper lr, l1, l2, l2Shrinkage;
    private final double power, initialAccumulator;
    private final String accumName, linearName;

    public Ftrl(Hyper learningRate, double learningRatePower, double initialAccumulatorValue, Hyper l1, Hyper l2,
                boolean useLocking, String name, String accumName, String linearName, Hyper l2Shrinkage) {
        super(useLocking, name);
        if (initialAccumulatorValue < 0.0) {
            throw new IrException(String.format(Locale.ROOT, "initial_accumulator_value %f needs to be positive or zero",
                    initialAccumulatorValue), null);
        }
        if (learningRatePower > 0.0) {
            throw new IrException(String.format(Locale.ROOT, "learning_rate_power %f needs to be negative or zero",
                    learningRatePower), null);
        }
        check(l1, "l1_regularization_strength");
        check(l2, "l2_regularization_strength");
        check(l2Shrinkage, "l2_shrinkage_regularization_strength");
        this.lr = learningRate;
        this.power = learningRatePower;
        this.initialAccumulator = initialAccumulatorValue;
        this.l1 = l1;
        this.l2 = l2;
        this.l2Shrinkage = l2Shrinkage;
        this.accumName = accumName;
        this.linearName = linearName;
    }

    /** TF's check of a regularization strength; %f formats as Python's does, whatever the default locale. */
    private static void check(Hyper h, String what) {
        if (h.isConst() && h.constValue() < 0.0) {
            throw new IrException(String.format(Locale.ROOT, "%s %f needs to be positive or zero", what, h.constValue()), null);
        }
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) {
            slot(v, "accum", initialAccumulator, accumName != null ? accumName : name);
            slot(v, "linear", 0.0, linearName != null ? linearName : name);
        }
    }

    /** accum^(-power): sqrt for the special-cased -0.5. */
    private int powered(int accum) {
        var t = t();
        return power == -0.5 ? t.sqrt(accum) : t.pow(accum, t.c(-power));
    }

    /**
     * {new accum, new linear, new var}. TF's dense kernel sets the variable to {@code |linear| > l1 ? (sign·l1 −
     * linear) / y : 0}; its sparse one ({@code sparse}) to {@code (clip(linear, −l1, l1) − linear) / y}: the same
     * bits, except that a NaN linear gives NaN there and 0 here.
     */
    private int[] rule(int var, int accum, int linear, int g, boolean sparse) {
        var t = t();
        boolean shrink = !l2Shrinkage.isConst() || l2Shrinkage.constValue() > 0;
        int gShrunk = shrink ? t.add(g, t.mul(t.mul(t.c(2), h(l2Shrinkage)), var)) : g;
        int newAccum = t.add(accum, t.square(g));
        int sigma = t.div(t.sub(powered(newAccum), powered(accum)), h(lr));
        int newLinear = t.add(linear, t.sub(gShrunk, t.mul(sigma, var)));
        int x = t.sub(t.mul(h(l1), t.sign(newLinear)), newLinear);
        int y = t.add(t.div(powered(newAccum), h(lr)), t.mul(t.c(2), h(l2)));
        int newVar = sparse ? t.div(t.sub(t.min(t.max(newLinear, t.neg(h(l1))), h(l1)), newLinear), y)
                : t.select(t.gt(t.abs(newLinear), h(l1)), t.div(x, y), t.c(0));
        return new int[] {newAccum, newLinear, t.graph().broadcastTo(newVar, t.graph().shape(var))};
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "accum"), linear = slotOf(var, "linear");
        int[] r = rule(t.read(var), t.read(accum), t.read(linear), g, false);
        t.assign(accum, r[0]);
        t.assign(linear, r[1]);
        t.assign(var, r[2]);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "accum"), linear = slotOf(var, "linear");
        int[] r = rule(t.rows(t.read(var), g), t.rows(t.read(accum), g), t.rows(t.read(linear), g), g.values(), true);
        t.scatter(accum, g, r[0]);
        t.scatter(linear, g, r[1]);
        t.scatter(var, g, r[2]);
    }
}
