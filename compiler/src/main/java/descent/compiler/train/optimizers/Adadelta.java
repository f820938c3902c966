package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;
import java.util.List;

/**
 * tf.train.AdadeltaOptimizer (ApplyAdadelta): {@code accum = accum*rho + grad^2*(1-rho);
 * update = sqrt(accum_update + eps) * rsqrt(accum + eps) * grad; var -= update * lr;
 * accum_update = accum_update*rho + update^2*(1-rho)}.
 */
public final class Adadelta extends Optimizer {
    private final Hyper lr, rho, epsilon;

    public Adadelta(Hyper learningRate, Hyper rho, Hyper epsilon, boolean useLocking, String name) {
        super(useLocking, name);
        this.lr = learningRate;
        this.rho = rho;
        this.epsilon = epsilon;
    }

    @Override protected void createSlots(List<VariableInfo> vars) {
        for (VariableInfo v : vars) {
            zerosSlot(v, "accum");
            zerosSlot(v, "accum_update");
        }
    }

    /** Returns {new accum, new accum_update, new var} for (var, accum, accum_update, grad) values. */
    private int[] rule(int var, int accum, int accumUpdate, int g) {
        var t = t();
        int oneMinusRho = t.sub(t.c(1), h(rho));
        int a = t.add(t.mul(accum, h(rho)), t.mul(t.square(g), oneMinusRho));
        int update = t.mul(t.mul(t.sqrt(t.add(accumUpdate, h(epsilon))), t.rsqrt(t.add(a, h(epsilon)))), g);
        int v = t.sub(var, t.mul(update, h(lr)));
        int au = t.add(t.mul(accumUpdate, h(rho)), t.mul(t.square(update), oneMinusRho));
        return new int[] {a, au, v};
    }

    @Override protected void applyDense(int g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "accum"), au = slotOf(var, "accum_update");
        int[] r = rule(t.read(var), t.read(accum), t.read(au), g);
        t.assign(accum, r[0]);
        t.assign(au, r[1]);
        t.assign(var, r[2]);
    }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        var t = t();
        VariableInfo accum = slotOf(var, "accum"), au = slotOf(var, "accum_update");
        int[] r = rule(t.rows(t.read(var), g), t.rows(t.read(accum), g), t.rows(t.read(au), g), g.values());
        t.scatter(accum, g, r[0]);
        t.scatter(au, g, r[1]);
        t.scatter(var, g, r[2]);
    }
}
