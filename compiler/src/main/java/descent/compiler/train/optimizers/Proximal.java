package descent.compiler.train.optimizers;

import descent.compiler.train.Hyper;
import descent.compiler.train.TrainBuilder;
import java.util.function.IntSupplier;

/** The proximal step the Proximal* kernels share: soft-threshold by {@code step*l1}, shrink by {@code 1 + l2*step}. */
final class Proximal {
    private Proximal() {}

    /**
     * {@code l1 > 0 ? sign(prox) * max(|prox| - step*l1, 0) / (1 + l2*step) : prox / (1 + l2*step)}. With a
     * constant l1 the branch is chosen at compile time; with a tensor l1 both are built and selected.
     */
    static int apply(TrainBuilder t, int prox, int step, Hyper l1, int l1Node, int l2Node) {
        int denom = t.add(t.c(1), t.mul(l2Node, step));
        IntSupplier shrunk = () -> t.div(t.mul(t.sign(prox), t.max(t.sub(t.abs(prox), t.mul(step, l1Node)), t.c(0))), denom);
        IntSupplier plain = () -> t.div(prox, denom);
        if (l1.isConst()) return l1.constValue() > 0 ? shrunk.getAsInt() : plain.getAsInt();
        return t.select(t.gt(l1Node, t.c(0)), shrunk.getAsInt(), plain.getAsInt());
    }
}
