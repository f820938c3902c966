package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.SparseGrad;

/** tf.train.ProximalGradientDescentOptimizer (ApplyProximalGradientDescent): a proximal step after {@code var - grad*lr}. */
public final class ProximalGradientDescent extends Optimizer {
    private final Hyper lr, l1, l2;

    public ProximalGradientDescent(Hyper learningRate, Hyper l1, Hyper l2, boolean useLocking, String name) {
        super(useLocking, name);
        this.lr = learningRate;
        this.l1 = l1;
        this.l2 = l2;
    }

    private int rule(int var, int g) {
        var t = t();
        int prox = t.sub(var, t.mul(g, h(lr)));
        return Proximal.apply(t, prox, h(lr), l1, h(l1), h(l2));
    }

    @Override protected void applyDense(int g, VariableInfo var) { t().assign(var, rule(t().read(var), g)); }

    @Override protected void applySparse(SparseGrad g, VariableInfo var) {
        t().scatter(var, g, rule(t().rows(t().read(var), g), g.values()));
    }
}
