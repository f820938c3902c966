package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.runtime.DType;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.contrib.opt.AdaMaxOptimizer (ApplyAdaMax): {@code m += (grad - m) * (1 - beta1);
 * v = max(beta2 * v, |grad|); var -= lr / (1 - beta1_power) * (m / (v + epsilon))}. Only beta1_power is
 * a non-slot variable. Sparse moves the listed rows.
 */
public final class Adamax extends Optimizer {
    private final Hyper lr, beta1, beta2, epsilon;

    public Adamax(Hyper learningRate, Hyper beta1, Hyper beta2, Hyper epsilon, boolean useLocking, String name) {
        super(useLocking, name);
        this.lr = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        nonSlot("beta1_power", constant(beta1, "beta1"), DType.F32);
        for (VariableInfo v : vars) {
            zerosSlot(v, "m");
            zerosSlot(v, "v");
        }
    }

    private int lrT() {
        var t = t();
        int p = t.read(nonSlotOf("beta1_power"));
        if (t.graph().dtype(p) != t.dtype()) p = t.graph().cast(p, t.dtype());
        return t.div(h(lr), t.sub(t.c(1), p));
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int mNew = t.add(t.read(m), t.mul(t.sub(g, t.read(m)), t.sub(t.c(1), h(beta1))));
        // ApplyAdaMax's cwiseMax: a NaN gradient leaves v at beta2·v (the Python sparse path's maximum keeps it).
        int vNew = t.cwiseMax(t.mul(h(beta2), t.read(v)), t.abs(g));
        t.assign(m, mNew);
        t.assign(v, vNew);
        t.assign(var, t.sub(t.read(var), t.mul(lrT(), t.div(mNew, t.add(vNew, h(epsilon))))));
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int mRows = t.add(t.mul(h(beta1), t.rows(t.read(m), g)), t.mul(t.sub(t.c(1), h(beta1)), g.values()));
        int vRows = t.max(t.mul(h(beta2), t.rows(t.read(v), g)), t.abs(g.values()));
        t.scatter(m, g, mRows);
        t.scatter(v, g, vRows);
        t.scatter(var, g, t.sub(t.rows(t.read(var), g), t.mul(lrT(), t.div(mRows, t.add(vRows, h(epsilon))))));
    }

    @Override protected void finish() {
        var t = t();
        VariableInfo p = nonSlotOf("beta1_power");
        t.inDType(p.type().dtype());
        t.assign(p, t.mul(t.read(p), h(beta1)));
    }
}
