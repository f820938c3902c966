package descent.compiler.train;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Grad;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.UnaryFn;
import java.util.ArrayList;
import java.util.List;

/**
 * tf.clip_by_value, clip_by_norm, global_norm, clip_by_global_norm and clip_by_average_norm, built as
 * TensorFlow 1's clip_ops.py builds them. IndexedSlices keep their sparsity where TF keeps it
 * (clip_by_norm, clip_by_global_norm scale the values).
 */
public final class GradientTransforms {
    private GradientTransforms() {}

    public static int clipByValue(GraphBuilder b, int t, int min, int max) {
        return b.identity(b.binary(BinaryFn.MAX, b.binary(BinaryFn.MIN, t, max), min));
    }

    /** TF: t * clip_norm / max(l2norm, clip_norm), with l2norm over {@code axes} (null: all), zero-safe. */
    public static int clipByNorm(GraphBuilder b, int t, int clipNorm, int[] axes) {
        requireFloat(b, t, "clip_by_norm");
        int l2sum = b.reduce(ReduceFn.SUM, b.binary(BinaryFn.MUL, t, t), axes, true);
        int zero = b.constant(0.0, b.type(l2sum));
        int pred = b.binary(BinaryFn.GREATER, l2sum, zero);
        int safe = b.select(pred, l2sum, b.constant(1.0, b.type(l2sum)));
        int l2norm = b.select(pred, b.unary(UnaryFn.SQRT, safe), l2sum);
        int intermediate = b.binary(BinaryFn.MUL, t, clipNorm);
        return b.identity(b.binary(BinaryFn.DIV, intermediate, b.binary(BinaryFn.MAX, l2norm, clipNorm)));
    }

    /** sqrt(2 * sum of l2_loss(t)): None entries are skipped, IndexedSlices count their values. */
    public static int globalNorm(GraphBuilder b, List<Grad> ts) {
        List<Integer> halves = new ArrayList<>();
        for (Grad g : ts) {
            int v = switch (g) {
                case Grad.Dense d -> d.node();
                case Grad.Sliced s -> s.values();
                case Grad.None n -> -1;
            };
            if (v < 0) continue;
            requireFloat(b, v, "global_norm");
            // TF's global_norm sums l2_loss of each tensor: the squares halved before the sum.
            halves.add(descent.compiler.ir.Composites.l2Loss(b, v));
        }
        if (halves.isEmpty()) throw new IrException("global_norm of no tensors", "the list holds only None gradients");
        int sum = halves.get(0);
        for (int i = 1; i < halves.size(); i++) sum = b.binary(BinaryFn.ADD, sum, castLike(b, halves.get(i), sum));
        return b.unary(UnaryFn.SQRT, b.binary(BinaryFn.MUL, sum, b.scalar(2.0, b.dtype(sum))));
    }

    /** The clipped list and the norm used: t * clip_norm * min(1/norm, 1/clip_norm), NaN when the norm is. */
    public record Clipped(List<Grad> list, int norm) {}

    public static Clipped clipByGlobalNorm(GraphBuilder b, List<Grad> ts, int clipNorm, int useNorm) {
        int norm = useNorm >= 0 ? useNorm : globalNorm(b, ts);
        int one = b.scalar(1.0, b.dtype(norm));
        int scaleFinite = b.binary(BinaryFn.MUL, castLike(b, clipNorm, norm),
                b.binary(BinaryFn.MIN, b.binary(BinaryFn.DIV, one, norm), b.binary(BinaryFn.DIV, one, castLike(b, clipNorm, norm))));
        // TF adds (norm - norm) so that an infinite or NaN norm makes every value NaN.
        int scale = b.binary(BinaryFn.ADD, scaleFinite, b.binary(BinaryFn.SUB, norm, norm));
        List<Grad> out = new ArrayList<>();
        for (Grad g : ts) {
            out.add(switch (g) {
                case Grad.Dense d -> new Grad.Dense(b.identity(b.binary(BinaryFn.MUL, d.node(), castLike(b, scale, d.node()))));
                case Grad.Sliced s -> new Grad.Sliced(b.identity(b.binary(BinaryFn.MUL, s.values(), castLike(b, scale, s.values()))),
                        s.indices(), s.denseShape());
                case Grad.None n -> n;
            });
        }
        return new Clipped(out, norm);
    }

    /** TF: t * clip_norm * min(rsqrt(sum(t*t)) * n_elements, 1 / clip_norm). */
    public static int clipByAverageNorm(GraphBuilder b, int t, int clipNorm) {
        requireFloat(b, t, "clip_by_average_norm");
        int n = b.dimSize(t, GraphBuilder.normalizeAxes(null, b.shape(t).rank(), "clip_by_average_norm"), b.dtype(t));
        int l2normInv = b.unary(UnaryFn.RSQRT, b.reduce(ReduceFn.SUM, b.binary(BinaryFn.MUL, t, t), null, false));
        int one = b.scalar(1.0, b.dtype(t));
        int factor = b.binary(BinaryFn.MIN, b.binary(BinaryFn.MUL, l2normInv, n), b.binary(BinaryFn.DIV, one, clipNorm));
        return b.identity(b.binary(BinaryFn.MUL, b.binary(BinaryFn.MUL, t, clipNorm), factor));
    }

    private static int castLike(GraphBuilder b, int x, int like) {
        return b.dtype(x) == b.dtype(like) ? x : b.cast(x, b.dtype(like));
    }

    private static void requireFloat(GraphBuilder b, int t, String op) {
        if (!b.dtype(t).isFloating()) throw new IrException(op + " needs a floating-point tensor, got " + b.type(t), null);
    }
}
