package descent.compiler.interp;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: runs any graph in plain scalar Java. It is the oracle every backend is
 * tested against, so it favours the obvious loop over the fast one. Values flow as {@link Arr}
 * (doubles); see {@link Precision} for rounding.
 */
public final class Interpreter {
    private final Graph graph;
    private final Precision precision;
    /** The train step being run: selects the draw of random ops (0 for plain evaluation). */
    private long step;

    public Interpreter(Graph graph, Precision precision) {
        this.graph = graph;
        this.precision = precision;
    }

    public void setStep(long step) { this.step = step; }

    public Precision precision() { return precision; }

    public Graph graph() { return graph; }

    /**
     * Evaluates {@code fetches}. {@code feeds} give the inputs by name and {@code variables} the
     * variables' current values by name; only the nodes the fetches need are computed.
     */
    public Map<Integer, Tensor> run(Map<String, Tensor> feeds, Map<String, Tensor> variables, List<Integer> fetches) {
        BitSet needed = needed(fetches);
        addSizeInputs(graph, needed, java.util.Set.of(), feeds.keySet());
        Map<String, Integer> bindings = bind(feeds, needed);
        Arr[] values = new Arr[graph.size()];
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            Node n = graph.node(id);
            int[] shape = n.type().shape().concrete(bindings);
            Arr v = switch (n.op()) {
                case Op.Input in -> fromTensor(feeds.get(in.name()));
                case Op.Variable var -> {
                    Tensor t = variables.get(var.name());
                    if (t == null) throw new DescentException("variable `" + var.name() + "` has no value");
                    yield fromTensor(t);
                }
                default -> eval(n, shape, values);
            };
            if (!Arrays.equals(v.shape(), shape)) {
                throw new IllegalStateException("%" + id + " " + n.op().mnemonic() + " produced " + Arrays.toString(v.shape())
                        + " but its type says " + Arrays.toString(shape));
            }
            values[id] = round(v, n.type().dtype());
        }
        Map<Integer, Tensor> out = new LinkedHashMap<>();
        for (int f : fetches) out.put(f, toTensor(values[f], graph.type(f).dtype()));
        return out;
    }

    BitSet needed(List<Integer> fetches) {
        BitSet need = new BitSet();
        for (int f : fetches) need.set(f);
        for (int id = graph.size() - 1; id >= 0; id--) {
            if (need.get(id)) for (int in : graph.node(id).inputs()) need.set(in);
        }
        return need;
    }

    /**
     * Adds to {@code needed} the inputs that give each symbolic dimension a needed node's type has but no needed input
     * or {@code given} value binds. A value sized by the batch (a bias gradient broadcast over it, say) needs the
     * batch's size even when it reads no input of that size (TF's shape op reads the input): every {@code fed} input
     * carrying the dimension is then read and checked (so two feeds that disagree on it are an error, not a guess),
     * or, when none is fed, the first such input, which must then be fed.
     */
    public static void addSizeInputs(descent.compiler.ir.Graph g, BitSet needed, java.util.Set<Integer> given, java.util.Set<String> fed) {
        java.util.Set<String> used = new java.util.TreeSet<>(), bound = new java.util.HashSet<>();
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            for (var d : g.type(id).shape().dims()) {
                if (!d.isSymbolic()) continue;
                used.add(d.symbol());
                if (g.node(id).op() instanceof Op.Input) bound.add(d.symbol());
            }
        }
        for (int id : given) for (var d : g.type(id).shape().dims()) if (d.isSymbolic()) bound.add(d.symbol());
        used.removeAll(bound);
        for (String symbol : used) {
            int first = -1;
            boolean any = false;
            for (Node n : g.nodes()) {
                if (n.op() instanceof Op.Input in && n.type().shape().dims().stream().anyMatch(d -> d.isSymbolic() && d.symbol().equals(symbol))) {
                    if (first < 0) first = n.id();
                    if (fed.contains(in.name())) { needed.set(n.id()); any = true; }
                }
            }
            if (!any && first >= 0) needed.set(first);
        }
    }

    /** Checks every needed feed against its input's type and binds the symbolic dimensions. */
    Map<String, Integer> bind(Map<String, Tensor> feeds, BitSet needed) {
        return bind(feeds, needed, new HashMap<>(), new HashMap<>());
    }

    /** As {@link #bind(Map, BitSet)}, adding to bindings already made (by given gradients). */
    Map<String, Integer> bind(Map<String, Tensor> feeds, BitSet needed, Map<String, Integer> bindings,
                              Map<String, String> boundBy) {
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            Node n = graph.node(id);
            if (!(n.op() instanceof Op.Input in)) continue;
            Tensor t = feeds.get(in.name());
            if (t == null) throw new DescentException("input `" + in.name() + "` (" + n.type() + ") is needed but was not fed");
            checkFeed(in.name(), n.type(), t, bindings, boundBy);
        }
        return bindings;
    }

    /** An IndexedSlices gradient's indices must name rows of its variable (checked before anything runs). */
    public static void checkSliceIndices(String what, String variable, descent.compiler.ir.TensorType type, Tensor indices) {
        long rows = type.shape().dim(0).size();
        for (int i = 0; i < indices.size(); i++) {
            long v = switch (indices.data()) {
                case int[] a -> a[i];
                case long[] a -> a[i];
                default -> 0;   // a wrong dtype is checkFeed's to report
            };
            if (v < 0 || v >= rows) {
                throw new DescentException(what + ": index " + v + " at position " + i + " is outside [0, " + rows
                        + "), the rows of `" + variable + "`");
            }
        }
    }

    /** An IndexedSlices gradient's dense shape, when given, must be its variable's (TF's dense_shape may be None). */
    public static void checkDenseShape(String what, String variable, descent.compiler.ir.TensorType type, int[] denseShape) {
        if (denseShape == null) return;
        int[] shape = type.shape().concrete(Map.of());
        if (!java.util.Arrays.equals(shape, denseShape)) {
            throw new DescentException(what + " has dense shape " + Tensor.shapeString(denseShape) + " but `" + variable + "` is " + type);
        }
    }

    /** Validates one feed; binds its symbolic dimensions into {@code bindings}. */
    public static void checkFeed(String name, TensorType type, Tensor t, Map<String, Integer> bindings, Map<String, String> boundBy) {
        checkValue("input `" + name + "`", "`" + name + "`", "the feed", type, t, bindings, boundBy);
    }

    /**
     * Validates a value given for {@code subject} ("input `x`", "the gradient of `w`"; {@code shortName} where another
     * value's message names it), called {@code given} ("the feed") in messages; binds its symbolic dimensions.
     */
    public static void checkValue(String subject, String shortName, String given, TensorType type, Tensor t,
                                  Map<String, Integer> bindings, Map<String, String> boundBy) {
        if (t.dtype() != type.dtype()) {
            throw new DescentException(subject + " is " + type.dtype() + " but " + given + " is " + t.dtype());
        }
        int[] s = t.shape();
        List<Dim> dims = type.shape().dims();
        if (s.length != dims.size()) {
            throw new DescentException(subject + " has shape " + type.shape() + " but " + given + " has shape "
                    + Tensor.shapeString(s) + " (rank " + s.length + ", expected " + dims.size() + ")");
        }
        for (int i = 0; i < s.length; i++) {
            Dim d = dims.get(i);
            if (d.isSymbolic()) {
                Integer prev = bindings.putIfAbsent(d.symbol(), s[i]);
                if (prev != null && prev != s[i]) {
                    throw new DescentException(subject + " has " + d.symbol() + " = " + s[i] + " but "
                            + boundBy.get(d.symbol()) + " has " + d.symbol() + " = " + prev);
                }
                boundBy.putIfAbsent(d.symbol(), shortName);
            } else if (d.size() != s[i]) {
                throw new DescentException(subject + " has shape " + type.shape() + " but " + given + " has shape "
                        + Tensor.shapeString(s));
            }
        }
        if (t.dtype().isFloating()) {
            // Non-finite feeds are accepted: TF accepts them too, and the loss shows their effect.
        }
    }

    Arr round(Arr v, DType dtype) {
        double[] d = v.data();
        switch (dtype) {
            case F32 -> { if (precision == Precision.F32) for (int i = 0; i < d.length; i++) d[i] = (float) d[i]; }
            case F64 -> { }
            case I32 -> { for (int i = 0; i < d.length; i++) d[i] = (int) (long) d[i]; }
            case I64 -> { for (int i = 0; i < d.length; i++) d[i] = (long) d[i]; }
        }
        return v;
    }

    static Arr fromTensor(Tensor t) { return new Arr(t.shape(), t.toDoubles()); }

    static Tensor toTensor(Arr a, DType dtype) { return Tensor.fromDoubles(dtype, a.shape(), a.data()); }

    // ---- ops

    Arr eval(Node n, int[] shape, Arr[] v) {
        List<Integer> in = n.inputs();
        return switch (n.op()) {
            case Op.Const c -> { Arr a = Arr.zeros(shape); Arrays.fill(a.data(), c.value()); yield a; }
            // i32 values are exact in a double, but their products are not: those go through long arithmetic.
            case Op.Unary u when n.type().dtype() == DType.I32 -> map(v[in.get(0)], shape, x -> Kernels.unaryI32(u.fn(), x));
            case Op.Unary u -> {
                boolean f32 = n.type().dtype() == DType.F32;
                yield map(v[in.get(0)], shape, x -> Kernels.unary(u.fn(), x, f32));
            }
            case Op.LeakyRelu l -> map(v[in.get(0)], shape, x -> x > 0 ? x : x * l.alpha());
            case Op.Binary b when n.type().dtype() == DType.I32 -> zip(v[in.get(0)], v[in.get(1)], shape, (x, y) -> Kernels.binaryI32(b.fn(), x, y));
            case Op.Binary b -> {
                boolean f32 = n.type().dtype() == DType.F32;
                yield zip(v[in.get(0)], v[in.get(1)], shape, (x, y) -> Kernels.binary(b.fn(), x, y, f32));
            }
            case Op.LeakyReluGrad l -> {
                Arr g = v[in.get(0)], x = v[in.get(1)];
                int[] gi = Arr.broadcastIndex(g.shape(), shape), xi = Arr.broadcastIndex(x.shape(), shape);
                Arr out = Arr.zeros(shape);
                for (int i = 0; i < gi.length; i++) {
                    double xv = x.data()[xi[i]], gv = g.data()[gi[i]];
                    out.data()[i] = xv > 0 ? gv : gv * l.alpha();
                }
                yield out;
            }
            case Op.Select s -> {
                Arr c = v[in.get(0)], a = v[in.get(1)], b = v[in.get(2)];
                int[] ci = Arr.broadcastIndex(c.shape(), shape), ai = Arr.broadcastIndex(a.shape(), shape),
                        bi = Arr.broadcastIndex(b.shape(), shape);
                Arr out = Arr.zeros(shape);
                for (int i = 0; i < ci.length; i++) out.data()[i] = c.data()[ci[i]] != 0 ? a.data()[ai[i]] : b.data()[bi[i]];
                yield out;
            }
            case Op.MatMul m -> Kernels.matmul(v[in.get(0)], v[in.get(1)], m.transposeA(), m.transposeB());
            case Op.Reduce r -> Kernels.reduce(v[in.get(0)], r.fn(), r.axes(), shape, n.type().dtype());
            case Op.Reshape r -> new Arr(shape, v[in.get(0)].data().clone());
            case Op.Transpose t -> Kernels.transpose(v[in.get(0)], t.perm(), shape);
            case Op.Concat c -> Kernels.concat(in.stream().map(i -> v[i]).toList(), c.axis(), shape);
            case Op.Slice s -> Kernels.slice(v[in.get(0)], s.begin(), shape);
            case Op.Pad p -> Kernels.pad(v[in.get(0)], p.before(), shape);
            case Op.Tile t -> Kernels.tile(v[in.get(0)], shape);
            case Op.BroadcastTo bt -> {
                Arr x = v[in.get(0)];
                int[] xi = Arr.broadcastIndex(x.shape(), shape);
                Arr out = Arr.zeros(shape);
                for (int i = 0; i < xi.length; i++) out.data()[i] = x.data()[xi[i]];
                yield out;
            }
            case Op.SumTo st -> {
                Arr x = v[in.get(0)];
                int[] oi = Arr.broadcastIndex(shape, x.shape());
                Arr out = Arr.zeros(shape);
                for (int i = 0; i < oi.length; i++) out.data()[oi[i]] += x.data()[i];
                yield out;
            }
            case Op.Softmax s -> Kernels.softmax(v[in.get(0)], false);
            case Op.LogSoftmax s -> Kernels.softmax(v[in.get(0)], true);
            case Op.SoftmaxXent x -> Kernels.softmaxXent(v[in.get(0)], v[in.get(1)], shape);
            case Op.SparseSoftmaxXent x -> Kernels.sparseSoftmaxXent(v[in.get(0)], v[in.get(1)], shape);
            case Op.Gather g -> Kernels.gather(v[in.get(0)], v[in.get(1)], g.axis(), shape);
            case Op.ScatterAdd s -> Kernels.scatterAdd(v[in.get(0)], v[in.get(1)], s.axis(), shape);
            case Op.OneHot o -> Kernels.oneHot(v[in.get(0)], o, shape);
            case Op.DedupSum d -> Kernels.dedupSum(v[in.get(0)], v[in.get(1)]);
            case Op.FirstOccurrence f -> Kernels.firstOccurrence(v[in.get(0)]);
            case Op.ScatterUpdate s -> Kernels.scatterUpdate(v[in.get(0)], v[in.get(1)], v[in.get(2)], v[in.get(3)]);
            case Op.ScatterAccumulate s -> Kernels.scatterAccumulate(v[in.get(0)], v[in.get(1)], v[in.get(2)]);
            case Op.RandomNormal r -> {
                double[] d = descent.runtime.Initializers.normals(r.seed(), step, Arr.size(shape));
                for (int i = 0; i < d.length; i++) d[i] = r.mean() + r.stddev() * d[i];
                yield new Arr(shape, d);
            }
            case Op.DimSize d -> {
                int[] xs = v[in.get(0)].shape();
                double count = 1;
                for (int a : d.axes()) count *= xs[a];
                yield new Arr(shape, new double[] {count});
            }
            case Op.Cast c -> castTo(v[in.get(0)], c.to());
            case Op.Identity i -> new Arr(shape, v[in.get(0)].data().clone());
            case Op.StopGradient s -> new Arr(shape, v[in.get(0)].data().clone());
            case Op.AddN a -> {
                Arr out = Arr.zeros(shape);
                for (int i : in) {
                    double[] d = v[i].data();
                    for (int k = 0; k < d.length; k++) out.data()[k] += d[k];
                }
                yield out;
            }
            case Op.Input i -> throw new IllegalStateException("inputs are bound before evaluation");
            case Op.Variable var -> throw new IllegalStateException("variables are bound before evaluation");
        };
    }

    private static Arr castTo(Arr x, DType to) {
        double[] d = x.data().clone();
        if (!to.isFloating()) {
            // TF truncates toward zero when casting floats to integers.
            for (int i = 0; i < d.length; i++) d[i] = d[i] < 0 ? Math.ceil(d[i]) : Math.floor(d[i]);
        }
        return new Arr(x.shape(), d);
    }

    private static Arr map(Arr x, int[] shape, java.util.function.DoubleUnaryOperator f) {
        Arr out = Arr.zeros(shape);
        for (int i = 0; i < out.data().length; i++) out.data()[i] = f.applyAsDouble(x.data()[i]);
        return out;
    }

    private static Arr zip(Arr a, Arr b, int[] shape, java.util.function.DoubleBinaryOperator fn) {
        int[] ai = Arr.broadcastIndex(a.shape(), shape), bi = Arr.broadcastIndex(b.shape(), shape);
        Arr out = Arr.zeros(shape);
        for (int i = 0; i < ai.length; i++) out.data()[i] = fn.applyAsDouble(a.data()[ai[i]], b.data()[bi[i]]);
        return out;
    }

}
