package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.runtime.DType;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.AdamOptimizer. Dense is the ApplyAdam kernel; sparse is TF's Python rule, which is not lazy:
 * m and v decay on every row and every row of var moves. Beta powers are non-slot variables updated in
 * {@link #finish}, after all updates, so step t uses beta^t.
 */
public class Adam extends Optimizer {
    protected final Hyper lr, beta1, beta2, epsilon;

    public Adam(Hyper learningRate, Hyper beta1, Hyper beta2, Hyper epsilon, boolean useLocking, String name) {
        super(useLocking, name);
        this.lr = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        // TF creates the beta powers first, from Python floats: float32 variables whatever the var dtype.
        nonSlot("beta1_power", constant(beta1, "beta1"), DType.F32);
        nonSlot("beta2_power", constant(beta2, "beta2"), DType.F32);
        for (VariableInfo v : vars) {
            zerosSlot(v, "m");
            zerosSlot(v, "v");
        }
    }

    /** lr * sqrt(1 - beta2_power) / (1 - beta1_power), in the kernel's order. */
    protected int alpha() {
        var t = t();
        int b1p = power("beta1_power"), b2p = power("beta2_power");
        return t.div(t.mul(h(lr), t.sqrt(t.sub(t.c(1), b2p))), t.sub(t.c(1), b1p));
    }

    protected int power(String name) {
        var t = t();
        int p = t.read(nonSlotOf(name));
        return t.graph().dtype(p) == t.dtype() ? p : t.graph().cast(p, t.dtype());
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int alpha = alpha();
        int mNew = t.add(t.read(m), t.mul(t.sub(g, t.read(m)), t.sub(t.c(1), h(beta1))));
        int vNew = t.add(t.read(v), t.mul(t.sub(t.square(g), t.read(v)), t.sub(t.c(1), h(beta2))));
        t.assign(m, mNew);
        t.assign(v, vNew);
        t.assign(var, t.sub(t.read(var), t.div(numerator(g, mNew, alpha), t.add(t.sqrt(vNew), h(epsilon)))));
    }

    /** {@code m * alpha}; Nadam replaces it with the Nesterov form. */
    protected int numerator(int g, int mNew, int alpha) { return t().mul(mNew, alpha); }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo m = slotOf(var, "m"), v = slotOf(var, "v");
        int lrT = alpha();
        decayThenAdd(m, beta1, g, t.mul(g.values(), t.sub(t.c(1), h(beta1))));
        decayThenAdd(v, beta2, g, t.mul(t.mul(g.values(), g.values()), t.sub(t.c(1), h(beta2))));
        t.assign(var, t.sub(t.read(var), t.div(t.mul(lrT, t.read(m)), t.add(t.sqrt(t.read(v)), h(epsilon)))));
    }

    /** TF's sparse moment update: {@code slot = slot * beta} on every row, then scatter_add of {@code scaled}. */
    protected void decayThenAdd(VariableInfo slot, Hyper beta, SparseGrad g, int scaled) {
        var t = t();
        t.assign(slot, t.mul(t.read(slot), h(beta)));
        t.scatterAdd(slot, g.indices(), scaled);
    }

    @Override protected void finish() {
        var t = t();
        for (String p : List.of("beta1_power", "beta2_power")) {
            VariableInfo pv = nonSlotOf(p);
            t.inDType(pv.type().dtype());
            t.assign(pv, t.mul(t.read(pv), h(p.equals("beta1_power") ? beta1 : beta2)));
        }
    }

    /** TF's sparse Adam decays m and v and moves var on every row, as the dense rule does. */
    @Override protected boolean denseRuleKeepsRowsWithoutGradient() { return true; }
}
