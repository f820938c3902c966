package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.RMSPropOptimizer (ApplyRMSProp / ApplyCenteredRMSProp). The "rms" slot starts at 1.0;
 * epsilon is inside the square root. Sparse uses the sparse kernels' operation order.
 */
public final class RMSProp extends Optimizer {
    private final Hyper lr, decay, momentum, epsilon;
    private final boolean centered;

    public RMSProp(Hyper learningRate, Hyper decay, Hyper momentum, Hyper epsilon, boolean useLocking, boolean centered,
                   String name) {
        super(useLocking, name);
        this.lr = learningRate;
        this.decay = decay;
        this.momentum = momentum;
        this.epsilon = epsilon;
        this.centered = centered;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        // TF's creation order decides the _1/_2 suffixes: rms, mg (centered only), momentum.
        for (VariableInfo v : vars) {
            slot(v, "rms", 1.0);
            if (centered) zerosSlot(v, "mg");
            zerosSlot(v, "momentum");
        }
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo ms = slotOf(var, "rms"), mom = slotOf(var, "momentum");
        int oneMinusRho = t.sub(t.c(1), h(decay));
        int msNew = t.add(t.read(ms), t.mul(t.sub(t.square(g), t.read(ms)), oneMinusRho));
        t.assign(ms, msNew);
        int denom = msNew;
        if (centered) {
            VariableInfo mg = slotOf(var, "mg");
            int mgNew = t.add(t.read(mg), t.mul(t.sub(g, t.read(mg)), oneMinusRho));
            t.assign(mg, mgNew);
            denom = t.sub(msNew, t.square(mgNew));
        }
        int momNew = t.add(t.mul(t.read(mom), h(momentum)), t.div(t.mul(g, h(lr)), t.sqrt(t.add(denom, h(epsilon)))));
        t.assign(mom, momNew);
        t.assign(var, t.sub(t.read(var), momNew));
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo ms = slotOf(var, "rms"), mom = slotOf(var, "momentum");
        int gv = g.values();
        int oneMinusRho = t.sub(t.c(1), h(decay));
        int msRows = t.add(t.mul(t.rows(t.read(ms), g), h(decay)), t.mul(t.square(gv), oneMinusRho));
        t.scatter(ms, g, msRows);
        int denom = t.add(msRows, h(epsilon));
        if (centered) {
            VariableInfo mg = slotOf(var, "mg");
            int mgRows = t.add(t.mul(t.rows(t.read(mg), g), h(decay)), t.mul(gv, oneMinusRho));
            t.scatter(mg, g, mgRows);
            denom = t.sub(denom, t.square(mgRows));
        }
        int momRows = t.add(t.mul(t.rows(t.read(mom), g), h(momentum)), t.mul(t.mul(t.rsqrt(denom), h(lr)), gv));
        t.scatter(mom, g, momRows);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), momRows));
    }
}
