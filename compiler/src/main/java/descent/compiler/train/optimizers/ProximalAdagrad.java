package descent.compiler.train.optimizers;

import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.ProximalAdagradOptimizer (ApplyProximalAdagrad): {@code accum += grad^2; eta = lr * rsqrt(accum)},
 * then a proximal step after {@code var - grad*eta}.
 */
public final class ProximalAdagrad extends Optimizer {
    private final Hyper lr, l1, l2;
    private final double initialAccumulator;

    public ProximalAdagrad(Hyper learningRate, double initialAccumulatorValue, Hyper l1, Hyper l2, boolean useLocking,
                           String name) {
        super(useLocking, name);
        if (initialAccumulatorValue <= 0.0) {
            throw new IrException("initial_accumulator_value must be positive: " + py(initialAccumulatorValue), null);
        }
        this.lr = learningRate;
        this.initialAccumulator = initialAccumulatorValue;
        this.l1 = l1;
        this.l2 = l2;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) slot(v, "accumulator", initialAccumulator);
    }

    /** {new accum, new var}. */
    private int[] rule(int var, int accum, int g) {
        var t = t();
        int a = t.add(accum, t.square(g));
        int eta = t.mul(h(lr), t.rsqrt(a));
        int prox = t.sub(var, t.mul(g, eta));
        return new int[] {a, Proximal.apply(t, prox, eta, l1, h(l1), h(l2))};
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo acc = slotOf(var, "accumulator");
        int[] r = rule(t.read(var), t.read(acc), g);
        t.assign(acc, r[0]);
        t.assign(var, r[1]);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo acc = slotOf(var, "accumulator");
        int[] r = rule(t.rows(t.read(var), g), t.rows(t.read(acc), g), g.values());
        t.scatter(acc, g, r[0]);
        t.scatter(var, g, r[1]);
    }
}
