package descent.compiler.autodiff;

import descent.compiler.ir.Aggregation;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Grad;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation on the IR, producing IR (TF's {@code tf.gradients}). Gradient rules are
 * TensorFlow's (math_grad.py, nn_grad.py, array_grad.py), so ties, kinks and cross entropies match TF.
 * Contributions to one value are combined by the {@link Aggregation} method in the order they are produced.
 */
public final class Autodiff {
    private final GraphBuilder b;
    private final Aggregation aggregation;
    private final Map<Integer, List<Grad>> pending = new HashMap<>();
    private final List<TrainStep.GradGroup> groups;

    private Autodiff(GraphBuilder b, Aggregation aggregation, List<TrainStep.GradGroup> groups) {
        this.b = b;
        this.aggregation = aggregation;
        this.groups = groups;
    }

    /**
     * Gradients of {@code sum(ys[i] * gradYs[i])} with respect to each of {@code xs}. A null entry of
     * {@code gradYs} means ones. Nodes are appended to {@code b}.
     */
    public static List<Grad> gradients(GraphBuilder b, List<Integer> ys, List<Integer> gradYs, List<Integer> xs,
                                       Aggregation aggregation) {
        return new Autodiff(b, aggregation, new ArrayList<>()).run(ys, gradYs, xs);
    }

    /**
     * As {@link #gradients(GraphBuilder, List, List, List, Aggregation)}, also recording into {@code groups}
     * the gradient nodes each backward op produced together (what GATE_OP gates).
     */
    public static List<Grad> gradients(GraphBuilder b, List<Integer> ys, List<Integer> gradYs, List<Integer> xs,
                                       Aggregation aggregation, List<TrainStep.GradGroup> groups) {
        return new Autodiff(b, aggregation, groups).run(ys, gradYs, xs);
    }

    private List<Grad> run(List<Integer> ys, List<Integer> gradYs, List<Integer> xs) {
        int limit = b.size();
        BitSet between = between(ys, xs, limit);
        for (int i = 0; i < ys.size(); i++) {
            int y = ys.get(i);
            Integer gy = gradYs == null ? null : gradYs.get(i);
            int seed = gy != null ? gy : b.constant(1.0, b.type(y));
            contribute(y, new Grad.Dense(seed));
        }
        Map<Integer, Grad> finals = new LinkedHashMap<>();
        List<Integer> wanted = new ArrayList<>(xs);
        for (int id = limit - 1; id >= 0; id--) {
            List<Grad> contributions = pending.remove(id);
            if (contributions == null || !between.get(id)) continue;
            Grad total = aggregate(contributions);
            if (wanted.contains(id)) finals.put(id, total);
            Node n = b.node(id);
            if (n.inputs().isEmpty()) continue;
            int g = total.toDense(b);
            List<Grad> inputGrads = rule(n, g);
            // TF gates (control_flow_ops.tuple) only an op with two or more gradients; an IndexedSlices is one.
            List<Integer> group = new ArrayList<>();
            int gradients = 0;
            for (int i = 0; i < n.inputs().size(); i++) {
                if (!between.get(n.input(i))) continue;
                switch (inputGrads.get(i)) {
                    case Grad.Dense d -> { group.add(d.node()); gradients++; }
                    case Grad.Sliced s -> { group.add(s.values()); group.add(s.indices()); gradients++; }
                    case Grad.None none -> { }
                }
            }
            if (gradients >= 2) groups.add(new TrainStep.GradGroup(id, group));
            for (int i = 0; i < n.inputs().size(); i++) {
                int in = n.input(i);
                Grad gi = inputGrads.get(i);
                if (!(gi instanceof Grad.None) && between.get(in)) contribute(in, gi);
            }
        }
        List<Grad> out = new ArrayList<>();
        for (int x : xs) out.add(finals.getOrDefault(x, Grad.NONE));
        return out;
    }

    private void contribute(int node, Grad g) { pending.computeIfAbsent(node, k -> new ArrayList<>()).add(g); }

    /** Nodes on a path from some x to some y, through differentiable (floating, non-stopped) values. */
    private BitSet between(List<Integer> ys, List<Integer> xs, int limit) {
        BitSet fromX = new BitSet();
        for (int x : xs) fromX.set(x);
        int first = xs.stream().mapToInt(Integer::intValue).min().orElse(limit);
        for (int id = first; id < limit; id++) {
            Node n = b.node(id);
            if (fromX.get(id) || n.op() instanceof Op.StopGradient || !n.type().dtype().isFloating()) continue;
            for (int in : n.inputs()) if (fromX.get(in)) { fromX.set(id); break; }
        }
        BitSet toY = new BitSet();
        for (int y : ys) toY.set(y);
        for (int id = limit - 1; id >= 0; id--) {
            if (!toY.get(id) || !fromX.get(id)) continue;
            Node n = b.node(id);
            if (n.op() instanceof Op.StopGradient) continue;
            for (int in : n.inputs()) toY.set(in);
        }
        toY.and(fromX);
        return toY;
    }

    private Grad aggregate(List<Grad> gs) {
        if (gs.size() == 1) return gs.get(0);
        if (gs.stream().allMatch(g -> g instanceof Grad.Sliced)) {
            // TF concatenates IndexedSlices contributions; duplicates are summed by whoever applies them.
            // Mixed i32/i64 indices are all cast to i64 first, as TF's _as_indexed_slices_list does.
            boolean mixed = gs.stream().map(g -> b.dtype(((Grad.Sliced) g).indices())).distinct().count() > 1;
            List<Integer> values = new ArrayList<>(), indices = new ArrayList<>();
            Shape dense = null;
            boolean allStatic = true;
            Shape firstIndexShape = b.shape(((Grad.Sliced) gs.get(0)).indices());
            boolean sameIndexShapes = true;
            for (Grad g : gs) {
                Grad.Sliced s = (Grad.Sliced) g;
                allStatic &= b.shape(s.indices()).isStatic();
                sameIndexShapes &= b.shape(s.indices()).equals(firstIndexShape);
                dense = s.denseShape();
            }
            if (allStatic) {
                for (Grad g : gs) {
                    Grad.Sliced s = (Grad.Sliced) g;
                    values.add(flattenSlices(s.values(), b.shape(s.indices()).rank()));
                    indices.add(flattenIndices(castIndices(s.indices(), mixed)));
                }
                return new Grad.Sliced(b.concat(values, 0), b.concat(indices, 0), dense);
            }
            if (sameIndexShapes) {
                // Ids with a symbolic dimension (e.g. [batch]) cannot be concatenated (batch + batch has no
                // static form), but contributions with one index shape can be stacked on a new first axis:
                // indices [k, batch], values [k, batch, rest...] hold the same rows in the same order.
                for (Grad g : gs) {
                    Grad.Sliced s = (Grad.Sliced) g;
                    values.add(b.reshape(s.values(), withLeadingOne(b.shape(s.values()))));
                    int idx = castIndices(s.indices(), mixed);
                    indices.add(b.reshape(idx, withLeadingOne(b.shape(idx))));
                }
                return new Grad.Sliced(b.concat(values, 0), b.concat(indices, 0), dense);
            }
            String batch = leadingSymbol(gs);
            if (batch != null) {
                // Ids [batch, 3] and [batch] (a table looked up twice): each as [batch, k] (values [batch, k, row...]),
                // joined along the second axis. TF concatenates the flattened slices (all of one, then the other);
                // here each example's rows of one, then of the other: the same rows, so the same update, but an
                // index's duplicate values are summed in another order (within rounding of TF's sum).
                for (Grad g : gs) {
                    Grad.Sliced s = (Grad.Sliced) g;
                    int idx = castIndices(s.indices(), mixed);
                    Shape is = b.shape(idx);
                    long k = is.rank() == 1 ? 1 : Shape.of(is.dims().subList(1, is.rank()).stream().mapToLong(Dim::size).toArray()).staticSize();
                    List<Dim> rows = new ArrayList<>(List.of(Dim.sym(batch), Dim.of(k)));
                    indices.add(b.reshape(idx, new Shape(rows)));
                    rows.addAll(dense.dims().subList(1, dense.rank()));
                    values.add(b.reshape(s.values(), new Shape(rows)));
                }
                return new Grad.Sliced(b.concat(values, 1), b.concat(indices, 1), dense);
            }
            // Other symbolic index shapes: no IndexedSlices form; sum densely below, marked (GraphBuilder.densifiedSlices).
        }
        List<Integer> dense = new ArrayList<>();
        for (Grad g : gs) dense.add(g.toDense(b));
        int sum;
        if (aggregation == Aggregation.EXPERIMENTAL_TREE) {
            sum = dense.get(0);
            for (int i = 1; i < dense.size(); i++) sum = b.binary(BinaryFn.ADD, sum, dense.get(i));
        } else {
            sum = b.addN(dense, aggregation);
        }
        if (gs.stream().allMatch(g -> g instanceof Grad.Sliced)) {
            b.densifiedSlices(sum, String.join(" and ", gs.stream().map(g -> b.shape(((Grad.Sliced) g).indices()).toString()).distinct().toList()));
        }
        return new Grad.Dense(sum);
    }

    /** The symbol every contribution's ids start with when their other dimensions are static ([batch, 3], [batch]), or null. */
    private String leadingSymbol(List<Grad> gs) {
        String symbol = null;
        for (Grad g : gs) {
            Shape is = b.shape(((Grad.Sliced) g).indices());
            if (is.rank() == 0 || !is.dim(0).isSymbolic() || !new Shape(is.dims().subList(1, is.rank())).isStatic()) return null;
            if (symbol != null && !symbol.equals(is.dim(0).symbol())) return null;
            symbol = is.dim(0).symbol();
        }
        return symbol;
    }

    private int castIndices(int indices, boolean toI64) {
        return toI64 && b.dtype(indices) != DType.I64 ? b.cast(indices, DType.I64) : indices;
    }

    private static Shape withLeadingOne(Shape s) {
        List<Dim> dims = new ArrayList<>();
        dims.add(Dim.of(1));
        dims.addAll(s.dims());
        return new Shape(dims);
    }

    /** Values of an IndexedSlices with rank-k indices, as [n, rest...]: only possible for static index shapes. */
    private int flattenSlices(int values, int indexRank) {
        Shape s = b.shape(values);
        if (indexRank == 1) return values;
        List<Dim> dims = new ArrayList<>();
        long n = 1;
        for (int i = 0; i < indexRank; i++) {
            if (s.dim(i).isSymbolic()) {
                throw new IrException("cannot combine gathers whose ids have a symbolic dimension other than the first",
                        "give the ids a static shape, or gather once");
            }
            n *= s.dim(i).size();
        }
        dims.add(Dim.of(n));
        dims.addAll(s.dims().subList(indexRank, s.rank()));
        return b.reshape(values, new Shape(dims));
    }

    private int flattenIndices(int indices) {
        Shape s = b.shape(indices);
        if (s.rank() == 1) return indices;
        return b.reshape(indices, b.reshapeTarget(indices, new long[] {-1}));
    }

    // ---- the rules: one per op, returning one gradient per input

    private List<Grad> rule(Node n, int g) {
        List<Integer> in = n.inputs();
        return switch (n.op()) {
            case Op.Input i -> List.of();
            case Op.Variable v -> List.of();
            case Op.Const c -> List.of();
            case Op.Unary u -> List.of(dense(unaryRule(u.fn(), in.get(0), n.id(), g)));
            case Op.LeakyRelu l -> List.of(dense(b.leakyReluGrad(g, in.get(0), l.alpha())));
            case Op.Binary bin -> binaryRule(bin.fn(), in.get(0), in.get(1), n.id(), g);
            case Op.LeakyReluGrad l -> throw noSecondOrder("leaky_relu");
            case Op.Select s -> {
                int zero = zerosLike(g);
                yield List.of(Grad.NONE, dense(b.sumTo(b.select(in.get(0), g, zero), b.shape(in.get(1)))),
                        dense(b.sumTo(b.select(in.get(0), zero, g), b.shape(in.get(2)))));
            }
            case Op.MatMul m -> matmulRule(m, in.get(0), in.get(1), g);
            case Op.Reduce r -> List.of(dense(reduceRule(r, in.get(0), n.id(), g)));
            case Op.Reshape r -> List.of(dense(b.reshape(g, b.shape(in.get(0)))));
            case Op.Transpose t -> {
                int[] inv = new int[t.perm().size()];
                for (int i = 0; i < inv.length; i++) inv[t.perm().get(i)] = i;
                yield List.of(dense(b.transpose(g, inv)));
            }
            case Op.Concat c -> concatRule(c.axis(), in, g);
            case Op.Slice s -> List.of(dense(b.pad(g, s.begin(), b.shape(in.get(0)))));
            case Op.Pad p -> {
                Shape xs = b.shape(in.get(0));
                long[] begin = new long[xs.rank()], size = new long[xs.rank()];
                for (int i = 0; i < begin.length; i++) {
                    begin[i] = p.before().get(i);
                    size[i] = xs.dim(i).isSymbolic() ? -1 : xs.dim(i).size();
                }
                yield List.of(dense(b.slice(g, begin, size)));
            }
            case Op.Tile t -> List.of(dense(tileRule(t, in.get(0), g)));
            case Op.BroadcastTo bt -> List.of(dense(b.sumTo(g, b.shape(in.get(0)))));
            case Op.SumTo st -> List.of(dense(b.broadcastTo(g, b.shape(in.get(0)))));
            case Op.Softmax s -> {
                int y = n.id();
                int sum = b.reduce(ReduceFn.SUM, b.binary(BinaryFn.MUL, g, y), new int[] {-1}, true);
                yield List.of(dense(b.binary(BinaryFn.MUL, b.binary(BinaryFn.SUB, g, sum), y)));
            }
            case Op.LogSoftmax s -> {
                int softmax = b.unary(UnaryFn.EXP, n.id());
                int sum = b.reduce(ReduceFn.SUM, g, new int[] {-1}, true);
                yield List.of(dense(b.binary(BinaryFn.SUB, g, b.binary(BinaryFn.MUL, sum, softmax))));
            }
            case Op.SoftmaxXent x -> {
                // TF's kernel backprop is softmax(logits) - labels; the TF 1 wrapper stops the labels' gradient.
                int backprop = b.binary(BinaryFn.SUB, b.softmax(in.get(1)), in.get(0));
                yield List.of(Grad.NONE, dense(b.binary(BinaryFn.MUL, expandLast(g), backprop)));
            }
            case Op.SparseSoftmaxXent x -> {
                int logits = in.get(1);
                int classes = (int) b.shape(logits).dim(b.shape(logits).rank() - 1).size();
                int oneHot = b.oneHot(in.get(0), classes, 1.0, 0.0, b.dtype(logits));
                int backprop = b.binary(BinaryFn.SUB, b.softmax(logits), oneHot);
                yield List.of(Grad.NONE, dense(b.binary(BinaryFn.MUL, expandLast(g), backprop)));
            }
            case Op.Gather ga -> {
                int params = in.get(0), indices = in.get(1);
                if (ga.axis() == 0) yield List.of(new Grad.Sliced(g, indices, b.shape(params)), Grad.NONE);
                yield List.of(dense(b.scatterAdd(g, indices, ga.axis(), b.shape(params))), Grad.NONE);
            }
            case Op.ScatterAdd s -> List.of(dense(b.gather(g, in.get(1), s.axis())), Grad.NONE);
            case Op.OneHot o -> List.of(Grad.NONE);
            case Op.DedupSum d -> throw noSecondOrder("dedup_sum");
            case Op.FirstOccurrence f -> List.of(Grad.NONE);
            case Op.ScatterUpdate s -> throw noSecondOrder("an optimizer update");
            case Op.ScatterAccumulate s -> throw noSecondOrder("an optimizer update");
            case Op.RandomNormal r -> List.of();
            case Op.DimSize d -> List.of(Grad.NONE);
            case Op.Cast c -> b.dtype(in.get(0)).isFloating() && c.to().isFloating()
                    ? List.of(dense(b.cast(g, b.dtype(in.get(0))))) : List.of(Grad.NONE);
            case Op.Identity i -> List.of(dense(g));
            case Op.StopGradient s -> List.of(Grad.NONE);
            case Op.AddN a -> {
                List<Grad> out = new ArrayList<>();
                for (int ignored : in) out.add(dense(g));
                yield out;
            }
        };
    }

    private int unaryRule(UnaryFn fn, int x, int y, int g) {
        return switch (fn) {
            case NEG -> b.unaryAnyNumber(UnaryFn.NEG, g);
            case ABS -> b.binary(BinaryFn.MUL, g, b.unaryAnyNumber(UnaryFn.SIGN, x));
            case SIGN -> zerosLike(x);
            case SQUARE -> b.binary(BinaryFn.MUL, g, b.binary(BinaryFn.MUL, b.scalar(2.0, b.dtype(x)), x));
            case HALF_SQUARE -> b.binary(BinaryFn.MUL, g, x);   // TF's _L2LossGrad: x * grad
            case SQRT -> b.binary(BinaryFn.SQRT_GRAD, y, g);
            case RSQRT -> b.binary(BinaryFn.RSQRT_GRAD, y, g);
            case EXP -> b.binary(BinaryFn.MUL, g, y);
            case LOG -> b.binary(BinaryFn.MUL, g, b.unary(UnaryFn.RECIPROCAL, x));
            case LOG1P -> b.binary(BinaryFn.MUL, g,
                    b.unary(UnaryFn.RECIPROCAL, b.binary(BinaryFn.ADD, b.scalar(1.0, b.dtype(x)), x)));
            case RECIPROCAL -> b.binary(BinaryFn.RECIPROCAL_GRAD, y, g);
            case RELU -> b.binary(BinaryFn.RELU_GRAD, g, y);
            case RELU6 -> b.binary(BinaryFn.RELU6_GRAD, g, x);
            case ELU -> b.binary(BinaryFn.ELU_GRAD, g, y);
            case SELU -> b.binary(BinaryFn.SELU_GRAD, g, y);
            case SOFTPLUS -> b.binary(BinaryFn.SOFTPLUS_GRAD, g, x);
            case SOFTSIGN -> b.binary(BinaryFn.SOFTSIGN_GRAD, g, x);
            case SIGMOID -> b.binary(BinaryFn.SIGMOID_GRAD, y, g);
            case TANH -> b.binary(BinaryFn.TANH_GRAD, y, g);
            case FLOOR, CEIL, IS_FINITE -> zerosLike(x);
            case COS -> b.unaryAnyNumber(UnaryFn.NEG, b.binary(BinaryFn.MUL, g, b.unary(UnaryFn.SIN, x)));
            case SIN -> b.binary(BinaryFn.MUL, g, b.unary(UnaryFn.COS, x));
        };
    }

    private List<Grad> binaryRule(BinaryFn fn, int x, int y, int z, int g) {
        Shape sx = b.shape(x), sy = b.shape(y);
        DType dt = b.dtype(x);
        return switch (fn) {
            case ADD -> List.of(dense(b.sumTo(g, sx)), dense(b.sumTo(g, sy)));
            case SUB -> List.of(dense(b.sumTo(g, sx)), dense(b.unaryAnyNumber(UnaryFn.NEG, b.sumTo(g, sy))));
            case MUL -> List.of(dense(b.sumTo(b.binary(BinaryFn.MUL, g, y), sx)),
                    dense(b.sumTo(b.binary(BinaryFn.MUL, x, g), sy)));
            case DIV -> {
                int gx = b.sumTo(b.binary(BinaryFn.DIV, g, y), sx);
                int negX = b.unaryAnyNumber(UnaryFn.NEG, x);
                int gy = b.sumTo(b.binary(BinaryFn.MUL, g, b.binary(BinaryFn.DIV, b.binary(BinaryFn.DIV, negX, y), y)), sy);
                yield List.of(dense(gx), dense(gy));
            }
            case MAX, MIN -> {
                // TF: ties go to x (greater_equal for maximum, less_equal for minimum).
                int mask = b.binary(fn == BinaryFn.MAX ? BinaryFn.GREATER_EQUAL : BinaryFn.LESS_EQUAL, x, y);
                int zero = zerosLike(g);
                yield List.of(dense(b.sumTo(b.select(mask, g, zero), sx)), dense(b.sumTo(b.select(mask, zero, g), sy)));
            }
            case POW -> {
                int one = b.scalar(1.0, dt);
                int gx = b.sumTo(b.binary(BinaryFn.MUL, b.binary(BinaryFn.MUL, g, y),
                        b.binary(BinaryFn.POW, x, b.binary(BinaryFn.SUB, y, one))), sx);
                int zero = b.scalar(0.0, dt);
                int mask = b.binary(BinaryFn.GREATER, x, zero);
                int safeX = b.select(mask, x, b.broadcastTo(one, sx));
                int logX = b.select(mask, b.unary(UnaryFn.LOG, safeX), b.broadcastTo(zero, sx));
                int gy = b.sumTo(b.binary(BinaryFn.MUL, b.binary(BinaryFn.MUL, g, z), logX), sy);
                yield List.of(dense(gx), dense(gy));
            }
            case SQUARED_DIFFERENCE -> {
                int xg = b.binary(BinaryFn.MUL, b.binary(BinaryFn.MUL, b.scalar(2.0, dt), g), b.binary(BinaryFn.SUB, x, y));
                yield List.of(dense(b.sumTo(xg, sx)), dense(b.unaryAnyNumber(UnaryFn.NEG, b.sumTo(xg, sy))));
            }
            case GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL -> List.of(Grad.NONE, Grad.NONE);
            default -> throw noSecondOrder(fn.name().toLowerCase());
        };
    }

    private List<Grad> matmulRule(Op.MatMul m, int a, int bb, int g) {
        boolean ta = m.transposeA(), tb = m.transposeB();
        if (!ta && !tb) return List.of(dense(b.matmul(g, bb, false, true)), dense(b.matmul(a, g, true, false)));
        if (!ta) return List.of(dense(b.matmul(g, bb, false, false)), dense(b.matmul(g, a, true, false)));
        if (!tb) return List.of(dense(b.matmul(bb, g, false, true)), dense(b.matmul(a, g, false, false)));
        return List.of(dense(b.matmul(bb, g, true, true)), dense(b.matmul(g, a, true, true)));
    }

    private int reduceRule(Op.Reduce r, int x, int y, int g) {
        Shape sx = b.shape(x);
        Shape kept = keptShape(sx, r.axes());
        int gk = r.keepDims() ? g : b.reshape(g, kept);
        return switch (r.fn()) {
            case SUM -> b.broadcastTo(gk, sx);
            case MEAN -> {
                // TF tiles, then divides; dividing the reduced gradient first gives the same floats (one
                // division per element either way) and divides count-times fewer of them.
                int count = b.dimSize(x, r.axes(), b.dtype(x));
                yield b.broadcastTo(b.binary(BinaryFn.DIV, gk, count), sx);
            }
            case MAX, MIN -> {
                // TF splits the gradient equally among tied extrema.
                int yk = r.keepDims() ? y : b.reshape(y, kept);
                int indicators = b.binary(BinaryFn.EQUAL, yk, x);
                int numSelected = b.reduce(ReduceFn.SUM, indicators, toArray(r.axes()), true);
                yield b.binary(BinaryFn.MUL, b.binary(BinaryFn.DIV, indicators, numSelected), gk);
            }
        };
    }

    private List<Grad> concatRule(int axis, List<Integer> in, int g) {
        List<Grad> out = new ArrayList<>();
        long offset = 0;
        for (int x : in) {
            Shape s = b.shape(x);
            long[] begin = new long[s.rank()], size = new long[s.rank()];
            for (int i = 0; i < s.rank(); i++) {
                begin[i] = i == axis ? offset : 0;
                size[i] = s.dim(i).isSymbolic() ? -1 : s.dim(i).size();
            }
            out.add(dense(b.slice(g, begin, size)));
            offset += s.dim(axis).size();
        }
        return out;
    }

    private int tileRule(Op.Tile t, int x, int g) {
        // TF: reshape the gradient to [m0, d0, m1, d1, ...] and sum over the multiples' axes.
        Shape sx = b.shape(x);
        List<Dim> split = new ArrayList<>();
        int[] axes = new int[sx.rank()];
        for (int i = 0; i < sx.rank(); i++) {
            split.add(Dim.of(t.multiples().get(i)));
            split.add(sx.dim(i));
            axes[i] = 2 * i;
        }
        int r = b.reshape(g, new Shape(split));
        return b.reduce(ReduceFn.SUM, r, axes, false);
    }

    private int expandLast(int g) {
        List<Dim> dims = new ArrayList<>(b.shape(g).dims());
        dims.add(Dim.of(1));
        return b.reshape(g, new Shape(dims));
    }

    private int zerosLike(int x) { return b.constant(0.0, b.type(x)); }

    private static Shape keptShape(Shape s, List<Integer> axes) {
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) dims.add(axes.contains(i) ? Dim.of(1) : s.dim(i));
        return new Shape(dims);
    }

    private static int[] toArray(List<Integer> xs) { return xs.stream().mapToInt(Integer::intValue).toArray(); }

    private static Grad dense(int node) { return new Grad.Dense(node); }

    private static IrException noSecondOrder(String op) {
        return new IrException("second-order gradients through " + op + " are not supported",
                "differentiate the original expression once");
    }

}
