package descent.compiler.ir;

import descent.compiler.diag.Span;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link Graph} one node at a time, inferring each node's dtype and shape and rejecting what the
 * op does not accept with an {@link IrException}. Front end, autodiff and optimizers all build through it,
 * so every node in every graph has been checked the same way.
 */
public final class GraphBuilder {
    private final List<Node> nodes = new ArrayList<>();
    private Span span = Span.NONE;

    public GraphBuilder() {}

    /** Continues building on top of an existing graph. */
    public GraphBuilder(Graph base) { nodes.addAll(base.nodes()); }

    /** Source position recorded on the nodes built from now on. */
    public void at(Span span) { this.span = span; }

    public Graph build() { return new Graph(nodes); }
    public int size() { return nodes.size(); }

    /** Drops the nodes from {@code size} on: what a failed expression built ({@code Checker.expression}), when nothing refers to them. */
    public void truncate(int size) {
        if (size < 0 || size > nodes.size()) throw new IllegalArgumentException("no node " + size);
        nodes.subList(size, nodes.size()).clear();
    }
    public Node node(int id) { return nodes.get(id); }
    public TensorType type(int id) { return nodes.get(id).type(); }
    public Shape shape(int id) { return type(id).shape(); }
    public DType dtype(int id) { return type(id).dtype(); }

    /** Gives node {@code id} a user-visible name (the last assignment wins). */
    public void name(int id, String name) {
        Node n = nodes.get(id);
        nodes.set(id, new Node(n.id(), n.op(), n.inputs(), n.type(), name, n.span()));
    }

    /** The longest array HotSpot allocates (the JDK's own ArraysSupport.SOFT_MAX_ARRAY_LENGTH): a tensor's most elements. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Whether {@code type}'s static dimensions alone hold more than {@link #MAX_ELEMENTS} elements. */
    public static boolean tooLarge(TensorType type) {
        long elements = 1;   // each dimension is at most 2^31 and the product is capped at 2^32: it cannot overflow
        for (Dim d : type.shape().dims()) if (!d.isSymbolic()) elements = Math.min(elements * d.size(), 1L << 32);
        return elements > MAX_ELEMENTS;
    }

    public int add(Op op, TensorType type, int... inputs) {
        if (tooLarge(type)) {
            throw new IrException(op.mnemonic() + " would give " + type + ", more elements than a tensor can hold (" + MAX_ELEMENTS + ")",
                    "tensors are Java arrays, indexed by int; use smaller shapes");
        }
        int id = nodes.size();
        List<Integer> in = new ArrayList<>();
        for (int i : inputs) in.add(i);
        nodes.add(new Node(id, op, in, type, null, span));
        return id;
    }

    // ---- leaves

    public int input(String name, TensorType type) { return add(new Op.Input(name), type); }
    public int variable(String name, TensorType type) { return add(new Op.Variable(name), type); }
    /** Constants are shared: one node per (value, type), so IR dumps and plans hold each once. */
    public int constant(double value, TensorType type) {
        return constants.computeIfAbsent(Double.doubleToRawLongBits(value) + " " + type, k -> add(new Op.Const(value), type));
    }

    private final java.util.Map<String, Integer> constants = new java.util.HashMap<>();

    /**
     * Gradients that TF would hold as one IndexedSlices concatenated from several lookups, but whose ids' shapes
     * have no joined form here ([batch, seq] and [batch]: batch·seq + batch is no dimension), so they were summed
     * densely: node → the ids' shapes. Where the dense value's use differs from TF's sparse one (an optimizer whose
     * dense rule moves rows no id names, a clip of each slice) the checker reports it.
     */
    private final java.util.Map<Integer, String> densifiedSlices = new java.util.HashMap<>();

    public void densifiedSlices(int node, String idsShapes) { densifiedSlices.put(node, idsShapes); }

    /** The ids' shapes of a densely summed IndexedSlices ({@link #densifiedSlices(int, String)}), or null. */
    public String densifiedSlices(int node) { return densifiedSlices.get(node); }
    public int scalar(double value, DType dtype) { return constant(value, TensorType.scalar(dtype)); }

    // ---- elementwise

    public int unary(UnaryFn fn, int x) {
        requireFloat(x, fn.name().toLowerCase());
        return add(new Op.Unary(fn), type(x), x);
    }

    /** abs, sign, square and negation also accept integers, as in TF. */
    public int unaryAnyNumber(UnaryFn fn, int x) { return add(new Op.Unary(fn), type(x), x); }

    /**
     * TF's alpha is a float attribute, for f64 features too: {@code leaky_relu(x, alpha=0.2)} multiplies by the float
     * nearest 0.2 (0.20000000298…), so alpha is rounded to float here, once, for every backend.
     */
    public int leakyRelu(int x, double alpha) {
        requireFloat(x, "leaky_relu");
        return add(new Op.LeakyRelu((float) alpha), type(x), x);
    }

    public int leakyReluGrad(int g, int x, double alpha) {
        return add(new Op.LeakyReluGrad((float) alpha), new TensorType(dtype(x), broadcastShape(g, x, "leaky_relu_grad")), g, x);
    }

    public int binary(BinaryFn fn, int a, int b) {
        String name = fn.name().toLowerCase();
        if (dtype(a) != dtype(b)) {
            throw new IrException(name + " of " + dtype(a) + " and " + dtype(b) + ": both sides must have the same dtype",
                    "convert one side, e.g. cast(x, " + dtype(a) + "); dtypes are never converted implicitly");
        }
        if (fn == BinaryFn.DIV && !dtype(a).isFloating()) {
            throw new IrException("division of " + dtype(a) + " tensors is not supported",
                    "integer division is not defined; cast both sides to f32 first, e.g. cast(a, f32) / cast(b, f32)");
        }
        if (fn == BinaryFn.POW || fn.ordinal() >= BinaryFn.RELU_GRAD.ordinal() && fn.ordinal() < BinaryFn.GREATER.ordinal()) {
            requireFloat(a, name);
        }
        return add(new Op.Binary(fn), new TensorType(dtype(a), broadcastShape(a, b, name)), a, b);
    }

    public int select(int cond, int a, int b) {
        Shape s = Shape.broadcast(Shape.broadcast(shape(cond), shape(a)), shape(b));
        return add(new Op.Select(), new TensorType(dtype(a), s), cond, a, b);
    }

    private Shape broadcastShape(int a, int b, String op) {
        Shape s = Shape.broadcast(shape(a), shape(b));
        if (s == null) {
            Shape sa = shape(a), sb = shape(b);
            String clash = "";
            for (int i = 1; i <= Math.min(sa.rank(), sb.rank()); i++) {
                Dim da = sa.dim(sa.rank() - i), db = sb.dim(sb.rank() - i);
                if (!da.equals(db) && !da.isOne() && !db.isOne()) { clash = "; here " + da + " meets " + db; break; }
            }
            throw new IrException("shapes " + sa + " and " + sb + " do not broadcast in " + op,
                    "dimensions are matched from the right and must be equal or 1" + clash);
        }
        return s;
    }

    // ---- linear algebra

    public int matmul(int a, int b, boolean ta, boolean tb) {
        Shape sa = shape(a), sb = shape(b);
        if (sa.rank() != 2 || sb.rank() != 2) {
            Shape vec = sb.rank() == 1 ? sb : sa.rank() == 1 ? sa : null;
            throw new IrException("matmul needs two matrices (rank 2), got " + sa + " and " + sb,
                    vec != null ? "make the vector a matrix: declare it [" + vec.dim(0) + (vec == sb ? ", 1]" : "] as [1, " + vec.dim(0) + "]")
                            + " or use expand_dims; for elementwise multiplication use `*`"
                            : "reshape the operands to rank 2, or use `*` for elementwise multiplication");
        }
        if (dtype(a) != dtype(b)) throw new IrException("matmul of " + dtype(a) + " and " + dtype(b), "cast one operand");
        requireFloat(a, "matmul");
        Dim m = sa.dim(ta ? 1 : 0), ka = sa.dim(ta ? 0 : 1), kb = sb.dim(tb ? 1 : 0), n = sb.dim(tb ? 0 : 1);
        if (!ka.equals(kb)) {
            throw new IrException("matmul inner dimensions differ: " + sa + (ta ? "ᵀ" : "") + " @ " + sb + (tb ? "ᵀ" : "")
                    + " multiplies " + ka + " columns by " + kb + " rows",
                    "the left operand's columns must equal the right operand's rows, e.g. " + sa + " @ [" + ka + ", " + n
                            + "]; transpose_a/transpose_b may help");
        }
        return add(new Op.MatMul(ta, tb), new TensorType(dtype(a), new Shape(List.of(m, n))), a, b);
    }

    // ---- reductions

    /** {@code axes} null means all axes; negative axes count from the end. */
    public int reduce(ReduceFn fn, int x, int[] axes, boolean keepDims) {
        Shape s = shape(x);
        List<Integer> norm = normalizeAxes(axes, s.rank(), "reduce_" + fn.name().toLowerCase());
        if (fn == ReduceFn.MEAN && !dtype(x).isFloating()) {
            // TF allows integer means (truncating); we keep it, as TF does.
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (norm.contains(i)) { if (keepDims) out.add(Dim.of(1)); }
            else out.add(s.dim(i));
        }
        return add(new Op.Reduce(fn, norm, keepDims), new TensorType(dtype(x), new Shape(out)), x);
    }

    public static List<Integer> normalizeAxes(int[] axes, int rank, String op) {
        List<Integer> out = new ArrayList<>();
        if (axes == null) {
            for (int i = 0; i < rank; i++) out.add(i);
            return out;
        }
        for (int a : axes) {
            int n = a < 0 ? a + rank : a;
            if (n < 0 || n >= rank) {
                throw new IrException("axis " + a + " is out of range for " + op + " of a rank-" + rank + " tensor",
                        rank == 0 ? "a scalar has no axes" : "axes run from " + (-rank) + " to " + (rank - 1));
            }
            if (out.contains(n)) throw new IrException("axis " + a + " is repeated in " + op);
            out.add(n);
        }
        out.sort(null);
        return out;
    }

    // ---- shape manipulation

    public int reshape(int x, Shape target) {
        Shape s = shape(x);
        long in = s.staticSize(), out = target.staticSize();
        if (in >= 0 && out >= 0 && in != out) {
            throw new IrException("cannot reshape " + s + " (" + in + " elements) to " + target + " (" + out + " elements)",
                    "the number of elements must stay the same; -1 infers one dimension");
        }
        if ((in < 0) != (out < 0) || in < 0 && !sameSymbols(s, target)) {
            throw new IrException("cannot reshape " + s + " to " + target + ": the symbolic dimensions differ",
                    "keep the symbolic dimension as its own axis, or use -1 for it");
        }
        return add(new Op.Reshape(), new TensorType(dtype(x), target), x);
    }

    /** Resolves a reshape spec with at most one -1 against the input shape. */
    public Shape reshapeTarget(int x, long[] spec) {
        Shape s = shape(x);
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < spec.length; i++) {
            if (spec[i] == -1) {
                if (inferred >= 0) throw new IrException("reshape allows only one -1", null);
                inferred = i;
            } else if (spec[i] < 0) {
                throw new IrException("reshape dimension " + spec[i] + " is negative", "only -1 (infer) may be negative");
            } else known *= spec[i];
        }
        List<Dim> dims = new ArrayList<>();
        for (long d : spec) dims.add(Dim.of(d));
        if (inferred >= 0) {
            long total = s.staticSize();
            if (total >= 0) {
                if (known == 0 || total % known != 0) {
                    throw new IrException("cannot reshape " + s + " (" + total + " elements) to " + Arrays.toString(spec),
                            total + " is not divisible by " + known);
                }
                dims.set(inferred, Dim.of(total / known));
            } else {
                // One symbolic dimension times static ones: -1 stands for the symbol when the static parts agree.
                long staticPart = 1;
                String sym = null;
                for (Dim d : s.dims()) {
                    if (d.isSymbolic()) {
                        if (sym != null) throw new IrException("cannot infer -1 from two symbolic dimensions in " + s, null);
                        sym = d.symbol();
                    } else staticPart *= d.size();
                }
                if (staticPart != known) {
                    throw new IrException("cannot reshape " + s + " to " + Arrays.toString(spec)
                            + ": -1 would have to be `" + sym + "` times " + staticPart + "/" + known,
                            "the static dimensions must keep the same product so -1 stands for `" + sym + "`");
                }
                dims.set(inferred, Dim.sym(sym));
            }
        }
        return new Shape(dims);
    }

    private static boolean sameSymbols(Shape a, Shape b) {
        List<String> sa = a.dims().stream().filter(Dim::isSymbolic).map(Dim::symbol).sorted().toList();
        List<String> sb = b.dims().stream().filter(Dim::isSymbolic).map(Dim::symbol).sorted().toList();
        long pa = 1, pb = 1;
        for (Dim d : a.dims()) if (!d.isSymbolic()) pa *= d.size();
        for (Dim d : b.dims()) if (!d.isSymbolic()) pb *= d.size();
        return sa.equals(sb) && pa == pb;
    }

    public int transpose(int x, int[] perm) {
        Shape s = shape(x);
        if (perm == null) {
            perm = new int[s.rank()];
            for (int i = 0; i < perm.length; i++) perm[i] = s.rank() - 1 - i;
        }
        if (perm.length != s.rank()) {
            throw new IrException("transpose perm " + Arrays.toString(perm) + " has " + perm.length
                    + " entries for a rank-" + s.rank() + " tensor", "perm lists every axis once");
        }
        boolean[] seen = new boolean[perm.length];
        List<Dim> out = new ArrayList<>();
        List<Integer> p = new ArrayList<>();
        for (int a : perm) {
            if (a < 0 || a >= perm.length || seen[a]) {
                List<Integer> reversed = new ArrayList<>();
                for (int i = perm.length - 1; i >= 0; i--) reversed.add(i);
                throw new IrException("transpose perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (perm.length - 1),
                        "perm lists every axis exactly once, e.g. " + reversed);
            }
            seen[a] = true;
            out.add(s.dim(a));
            p.add(a);
        }
        return add(new Op.Transpose(p), new TensorType(dtype(x), new Shape(out)), x);
    }

    public int concat(List<Integer> xs, int axis) {
        if (xs.isEmpty()) throw new IrException("concat needs at least one tensor", null);
        Shape s0 = shape(xs.get(0));
        int rank = s0.rank();
        if (rank == 0) throw new IrException("concat of scalars", "use expand_dims or a rank-1 tensor");
        int ax = normalizeAxes(new int[] {axis}, rank, "concat").get(0);
        long total = 0;
        boolean symbolic = false;
        for (int x : xs) {
            Shape s = shape(x);
            if (dtype(x) != dtype(xs.get(0))) throw new IrException("concat of " + dtype(xs.get(0)) + " and " + dtype(x), "cast so all have one dtype");
            if (s.rank() != rank) {
                throw new IrException("concat of " + s0 + " (rank " + rank + ") and " + s + " (rank " + s.rank() + ")",
                        "all tensors must have the same rank; expand_dims or reshape the lower-rank one");
            }
            for (int i = 0; i < rank; i++) {
                if (i != ax && !s.dim(i).equals(s0.dim(i))) {
                    throw new IrException("concat on axis " + axis + " of " + s0 + " and " + s + ": dimension " + i + " differs",
                            "every dimension except the concatenated one must match");
                }
            }
            if (s.dim(ax).isSymbolic()) symbolic = true;
            else total += s.dim(ax).size();
        }
        if (symbolic && xs.size() > 1) throw new IrException("concat along a symbolic dimension", "concatenate along a static axis");
        List<Dim> out = new ArrayList<>(s0.dims());
        if (!symbolic) out.set(ax, Dim.of(total));
        int[] in = xs.stream().mapToInt(Integer::intValue).toArray();
        return add(new Op.Concat(ax), new TensorType(dtype(xs.get(0)), new Shape(out)), in);
    }

    public int slice(int x, long[] begin, long[] size) {
        Shape s = shape(x);
        if (begin.length != s.rank() || size.length != s.rank()) {
            throw new IrException("slice of a rank-" + s.rank() + " tensor needs " + s.rank() + " begin and size entries",
                    "got " + begin.length + " and " + size.length);
        }
        List<Dim> out = new ArrayList<>();
        List<Integer> b = new ArrayList<>();
        for (int i = 0; i < begin.length; i++) {
            Dim d = s.dim(i);
            if (d.isSymbolic()) {
                if (begin[i] != 0 || size[i] != -1) {
                    throw new IrException("slice of symbolic dimension `" + d.symbol() + "` must take all of it",
                            "use begin 0 and size -1 on that axis");
                }
                out.add(d);
            } else {
                long sz = size[i] == -1 ? d.size() - begin[i] : size[i];
                if (begin[i] < 0 || sz < 0 || begin[i] + sz > d.size()) {
                    throw new IrException("slice of " + s + " is out of range on axis " + i + ": begin " + begin[i] + " and size "
                            + size[i] + " select [" + begin[i] + ", " + (begin[i] + sz) + "), but the axis has size " + d.size(),
                            "begin + size must be at most the axis size; size -1 takes everything from begin on");
                }
                out.add(Dim.of(sz));
            }
            b.add((int) begin[i]);
        }
        return add(new Op.Slice(b), new TensorType(dtype(x), new Shape(out)), x);
    }

    public int pad(int x, List<Integer> before, Shape out) {
        return add(new Op.Pad(before), new TensorType(dtype(x), out), x);
    }

    public int tile(int x, long[] multiples) {
        Shape s = shape(x);
        if (multiples.length != s.rank()) {
            throw new IrException("tile multiples have " + multiples.length + " entries for a rank-" + s.rank() + " tensor",
                    "give one multiple per axis");
        }
        List<Dim> out = new ArrayList<>();
        List<Integer> m = new ArrayList<>();
        for (int i = 0; i < multiples.length; i++) {
            if (multiples[i] < 0) throw new IrException("tile multiple " + multiples[i] + " is negative", null);
            Dim d = s.dim(i);
            if (d.isSymbolic() && multiples[i] != 1) {
                throw new IrException("cannot tile symbolic dimension `" + d.symbol() + "`", "use multiple 1 on that axis");
            }
            out.add(d.isSymbolic() ? d : Dim.of(d.size() * multiples[i]));
            m.add((int) multiples[i]);
        }
        return add(new Op.Tile(m), new TensorType(dtype(x), new Shape(out)), x);
    }

    public int broadcastTo(int x, Shape target) {
        if (shape(x).equals(target)) return x;
        Shape s = Shape.broadcast(shape(x), target);
        if (s == null || !s.equals(target)) {
            throw new IrException("cannot broadcast " + shape(x) + " to " + target, null);
        }
        return add(new Op.BroadcastTo(), new TensorType(dtype(x), target), x);
    }

    /** Sums {@code x} down to {@code target}, which must broadcast to x's shape. */
    public int sumTo(int x, Shape target) {
        if (shape(x).equals(target)) return x;
        return add(new Op.SumTo(), new TensorType(dtype(x), target), x);
    }

    // ---- neural-network ops

    public int softmax(int x) { return lastAxisOp(new Op.Softmax(), x, "softmax"); }
    public int logSoftmax(int x) { return lastAxisOp(new Op.LogSoftmax(), x, "log_softmax"); }

    private int lastAxisOp(Op op, int x, String name) {
        requireFloat(x, name);
        if (shape(x).rank() < 1) throw new IrException(name + " of a scalar", "it works over the last axis of a rank ≥ 1 tensor");
        return add(op, type(x), x);
    }

    public int softmaxXent(int labels, int logits) {
        requireFloat(logits, "softmax_cross_entropy_with_logits");
        Shape sl = shape(logits);
        if (sl.rank() < 1) throw new IrException("softmax_cross_entropy_with_logits of scalar logits", "logits are [batch, classes]");
        if (!shape(labels).equals(sl) || dtype(labels) != dtype(logits)) {
            throw new IrException("labels " + type(labels) + " do not match logits " + type(logits),
                    "softmax_cross_entropy_with_logits takes one probability per class; for class ids use sparse_softmax_cross_entropy_with_logits");
        }
        return add(new Op.SoftmaxXent(), new TensorType(dtype(logits), new Shape(sl.dims().subList(0, sl.rank() - 1))), labels, logits);
    }

    public int sparseSoftmaxXent(int labels, int logits) {
        requireFloat(logits, "sparse_softmax_cross_entropy_with_logits");
        Shape sl = shape(logits);
        if (dtype(labels).isFloating()) {
            throw new IrException("sparse_softmax_cross_entropy_with_logits labels are " + dtype(labels) + ", not integer class ids",
                    "for one probability per class use softmax_cross_entropy_with_logits");
        }
        if (sl.rank() < 1 || !shape(labels).equals(new Shape(sl.dims().subList(0, sl.rank() - 1)))) {
            Shape want = sl.rank() < 1 ? null : new Shape(sl.dims().subList(0, sl.rank() - 1));
            boolean trailingOne = want != null && shape(labels).rank() == sl.rank() && shape(labels).dim(sl.rank() - 1).isOne()
                    && shape(labels).dims().subList(0, sl.rank() - 1).equals(want.dims());
            throw new IrException("labels " + shape(labels) + " do not fit logits " + sl
                    + (want != null ? ": class-id labels must be " + want : ""),
                    trailingOne ? "drop the trailing axis of size 1, e.g. squeeze(labels, axis=-1)"
                            : "labels have the logits' shape without the last (class) axis");
        }
        return add(new Op.SparseSoftmaxXent(), new TensorType(dtype(logits), shape(labels)), labels, logits);
    }

    public int gather(int params, int indices, int axis) {
        if (dtype(indices).isFloating()) {
            throw new IrException("indices must be integers (i32 or i64), got " + type(indices), "convert them with cast(ids, i32)");
        }
        Shape sp = shape(params);
        int ax = normalizeAxes(new int[] {axis}, sp.rank(), "gather").get(0);
        if (sp.dim(ax).isSymbolic()) throw new IrException("gather along symbolic dimension `" + sp.dim(ax).symbol() + "`", null);
        List<Dim> out = new ArrayList<>(sp.dims().subList(0, ax));
        out.addAll(shape(indices).dims());
        out.addAll(sp.dims().subList(ax + 1, sp.rank()));
        return add(new Op.Gather(ax), new TensorType(dtype(params), new Shape(out)), params, indices);
    }

    public int dedupSum(int values, int indices) { return add(new Op.DedupSum(), type(values), values, indices); }

    public int firstOccurrence(int indices, DType dtype) {
        return add(new Op.FirstOccurrence(), new TensorType(dtype, shape(indices)), indices);
    }

    public int scatterUpdate(int var, int indices, int rows, int mask) {
        return add(new Op.ScatterUpdate(), type(var), var, indices, rows, mask);
    }

    public int scatterAccumulate(int var, int indices, int rows) {
        return add(new Op.ScatterAccumulate(), type(var), var, indices, rows);
    }

    public int randomNormal(TensorType type, long seed, double mean, double stddev) {
        return add(new Op.RandomNormal(seed, mean, stddev), type);
    }

    public int scatterAdd(int updates, int indices, int axis, Shape out) {
        return add(new Op.ScatterAdd(axis), new TensorType(dtype(updates), out), updates, indices);
    }

    public int oneHot(int indices, int depth, double on, double off, DType dtype) {
        if (dtype(indices).isFloating()) throw new IrException("one_hot indices are " + dtype(indices), "indices must be i32 or i64");
        if (depth < 0) throw new IrException("one_hot depth " + depth + " is negative", null);
        List<Dim> out = new ArrayList<>(shape(indices).dims());
        out.add(Dim.of(depth));
        return add(new Op.OneHot(depth, on, off), new TensorType(dtype, new Shape(out)), indices);
    }

    public int dimSize(int x, List<Integer> axes, DType dtype) {
        return add(new Op.DimSize(List.copyOf(axes)), TensorType.scalar(dtype), x);
    }

    public int cast(int x, DType to) {
        if (dtype(x) == to) return add(new Op.Identity(), type(x), x);
        return add(new Op.Cast(to), new TensorType(to, shape(x)), x);
    }

    public int identity(int x) { return add(new Op.Identity(), type(x), x); }
    public int stopGradient(int x) { return add(new Op.StopGradient(), type(x), x); }

    public int addN(List<Integer> xs, Aggregation method) {
        if (xs.size() == 1) return xs.get(0);
        int[] in = xs.stream().mapToInt(Integer::intValue).toArray();
        return add(new Op.AddN(method), type(xs.get(0)), in);
    }

    private void requireFloat(int x, String op) {
        if (!dtype(x).isFloating()) {
            throw new IrException(op + " needs a floating-point tensor, got " + type(x),
                    "use cast(x, f32) to convert integers");
        }
    }
}
