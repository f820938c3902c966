package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.MomentumOptimizer (ApplyMomentum): {@code accum = accum * momentum + grad}, then
 * {@code var -= accum * lr}, or with Nesterov {@code var -= grad * lr + accum * momentum * lr}.
 * MomentumW adds decoupled weight decay before it ({@link DecoupledWeightDecay}).
 */
public class Momentum extends Optimizer {
    private final Hyper lr, momentum;
    private final boolean nesterov;

    public Momentum(Hyper learningRate, Hyper momentum, boolean useLocking, String name, boolean useNesterov) {
        super(useLocking, name);
        this.lr = learningRate;
        this.momentum = momentum;
        this.nesterov = useNesterov;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) zerosSlot(v, "momentum");
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "momentum");
        int a = t.add(t.mul(t.read(accum), h(momentum)), g);
        t.assign(accum, a);
        t.assign(var, t.sub(t.read(var), step(g, a)));
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "momentum");
        int a = t.add(t.mul(t.rows(t.read(accum), g), h(momentum)), g.values());
        t.scatter(accum, g, a);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), step(g.values(), a)));
    }

    private int step(int g, int accum) {
        var t = t();
        return nesterov ? t.add(t.mul(g, h(lr)), t.mul(t.mul(accum, h(momentum)), h(lr))) : t.mul(accum, h(lr));
    }
}
