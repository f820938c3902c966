package descent.compiler.ir;

/**
 * Ops TensorFlow 1 builds in Python from primitives, built here the same way (so their gradients are
 * TF's too). The language front end and the Java graph API both build them through this class.
 */
public final class Composites {
    private Composites() {}

    /**
     * TF: raw = reduce_max(x, keepdims=True); max = stop_gradient(where(is_finite(raw), raw, 0));
     * log(reduce_sum(exp(x - max))) + max — so a row whose maximum is infinite gives ±inf, not NaN.
     */
    public static int reduceLogSumExp(GraphBuilder b, int x, int[] axes, boolean keepDims) {
        if (!b.dtype(x).isFloating()) {
            throw new IrException("reduce_logsumexp needs a floating-point tensor, got " + b.type(x), "use cast(x, f32)");
        }
        int raw = b.reduce(ReduceFn.MAX, x, axes, true);
        int max = b.stopGradient(b.select(b.unaryAnyNumber(UnaryFn.IS_FINITE, raw), raw, b.constant(0.0, b.type(raw))));
        int sum = b.reduce(ReduceFn.SUM, b.unary(UnaryFn.EXP, b.binary(BinaryFn.SUB, x, max)), axes, keepDims);
        int maxOut = keepDims ? max : b.reshape(max, b.shape(sum));
        return b.binary(BinaryFn.ADD, b.unary(UnaryFn.LOG, sum), maxOut);
    }

    /** TF (nn_impl.py): where(x >= 0, x, 0) - x * z + log1p(exp(where(x >= 0, -x, x))). */
    public static int sigmoidCrossEntropyWithLogits(GraphBuilder b, int labels, int logits) {
        int x = logits, z = labels;
        if (!b.shape(x).equals(b.shape(z))) {
            throw new IrException("labels " + b.shape(z) + " and logits " + b.shape(x) + " must have the same shape",
                    "sigmoid cross entropy takes one 0/1 label per logit");
        }
        int zeros = b.constant(0.0, b.type(x));
        int cond = b.binary(BinaryFn.GREATER_EQUAL, x, zeros);
        int reluLogits = b.select(cond, x, zeros);
        int negAbs = b.select(cond, b.unaryAnyNumber(UnaryFn.NEG, x), x);
        return b.binary(BinaryFn.ADD, b.binary(BinaryFn.SUB, reluLogits, b.binary(BinaryFn.MUL, x, z)),
                b.unary(UnaryFn.LOG1P, b.unary(UnaryFn.EXP, negAbs)));
    }

    /**
     * sum(t²) / 2 as TF's L2Loss kernel computes and differentiates it: each square is halved before the sum
     * ({@code (t.square() * 0.5).sum()}; here {@link UnaryFn#HALF_SQUARE}, {@code (t·0.5)·t}, the same float wherever
     * TF's square is finite), and the gradient is {@code g·t}, one contribution rounded once, as TF's
     * {@code _L2LossGrad}. Squaring first and halving the sum made an f32 loss infinite from a sum of squares past
     * 3.4·10³⁸ (two elements of 1.5·10¹⁹), and the gradient {@code (g·0.5)·(2·t)} infinite from |t| ≈ 1.7·10³⁸; writing
     * it as the product {@code (t·0.5)·t} gave t two contributions, which an add_n with t's other gradients rounded
     * twice. Left: where |t| lies between 1.8·10¹⁹ and 2.6·10¹⁹ (f32) TF's square overflows and this does not
     * (docs/language.md §15).
     */
    public static int l2Loss(GraphBuilder b, int t) {
        return b.reduce(ReduceFn.SUM, b.unary(UnaryFn.HALF_SQUARE, t), null, false);
    }

    /** x + bias with bias rank 1 matching x's last dimension. */
    public static int biasAdd(GraphBuilder b, int x, int bias) {
        Shape sx = b.shape(x), sb = b.shape(bias);
        if (sb.rank() != 1 || sx.rank() < 1 || !sx.dim(sx.rank() - 1).equals(sb.dim(0))) {
            throw new IrException("bias_add needs a rank-1 bias matching the last dimension of " + sx + ", got " + sb,
                    "the bias has one entry per output feature");
        }
        return b.binary(BinaryFn.ADD, x, bias);
    }
}
