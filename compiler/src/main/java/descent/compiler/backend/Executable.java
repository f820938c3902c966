package descent.compiler.backend;

import descent.compiler.emit.CastEmitter;
import descent.compiler.emit.ElementwiseEmitter;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.IntOpsEmitter;
import descent.compiler.emit.LayoutEmitter;
import descent.compiler.emit.LayoutKernel;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.emit.ReduceEmitter;
import descent.compiler.emit.ReduceKernel;
import descent.compiler.emit.ReduceShape;
import descent.compiler.emit.RowsEmitter;
import descent.compiler.emit.RowsSpec;
import descent.compiler.emit.SoftmaxEmitter;
import descent.compiler.emit.SoftmaxKernel;
import descent.compiler.emit.SoftmaxSparseXentKernel;
import descent.compiler.emit.SoftmaxXentKernel;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.compiler.lower.Kernel;
import descent.compiler.lower.Lowering;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Initializers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A lowered plan made runnable for one binding of the symbolic dimensions: every kernel generated and
 * specialised to its concrete shapes, every intermediate buffer allocated once. {@link #run} executes the
 * kernels in plan order; a state write copies the new value into the state array (after saving the old
 * contents, so a failing step can be undone).
 */
final class Executable {
    /** One kernel call over the buffers. */
    private interface Action { void run(Object[] buf, long step); }

    private record WriteAction(String state, int value) {}

    private final Graph g;
    private final List<Object> actions = new ArrayList<>();
    /** Slot i < graph size: node i's buffer; further slots: scratch and argument arrays of the kernels. */
    private final List<Object> template = new ArrayList<>();
    private final Map<String, Integer> bindings;
    /** Each thread running this step gets its own copy of every buffer, made once. */
    private final ThreadLocal<Object[]> buffers = ThreadLocal.withInitial(this::freshBuffers);

    /** Actions [lockFrom, lockTo] run holding the locks of {@link #lockedState} (use_locking). */
    private int lockFrom = -1, lockTo = -1;
    private final List<String> lockedState;

    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings) {
        this(g, program, bindings, java.util.Set.of());
    }

    /**
     * {@code locked}: state whose updates must be atomic across threads. The actions from the first one that
     * reads any of it to the last write of it run holding its locks, taken in name order (no deadlock).
     */
    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, java.util.Set<String> locked) {
        this.g = g;
        this.bindings = bindings;
        this.lockedState = new java.util.TreeSet<>(locked).stream().toList();
        for (int i = 0; i < g.size(); i++) template.add(null);
        for (Kernel k : program.kernels()) {
            switch (k) {
                case Kernel.Fused f -> fused(f);
                case Kernel.Single s -> single(g.node(s.node()));
                case Kernel.Alias a -> alias(g.node(a.node()));
                case Kernel.Write w -> actions.add(new WriteAction(w.state(), w.value()));
                case Kernel.Barrier b -> { }
            }
            if (!locked.isEmpty()) {
                boolean touches = switch (k) {
                    case Kernel.Write w -> locked.contains(w.state());
                    case Kernel.Fused f -> readsLocked(f.nodes(), locked);
                    case Kernel.Single s -> readsLocked(List.of(s.node()), locked);
                    case Kernel.Alias a -> readsLocked(List.of(a.node()), locked);
                    case Kernel.Barrier b -> false;
                };
                int last = actions.size() - 1;
                if (touches && k instanceof Kernel.Write) lockTo = last;
                if (touches && lockFrom < 0 && last >= 0) lockFrom = firstActionOf(k, last);
            }
        }
    }

    private int firstActionOf(Kernel k, int last) { return k instanceof Kernel.Write ? last : Math.max(0, last); }

    private boolean readsLocked(List<Integer> nodes, java.util.Set<String> locked) {
        for (int n : nodes) {
            for (int in : g.node(n).inputs()) {
                if (g.node(in).op() instanceof Op.Variable v && locked.contains(v.name())) return true;
            }
        }
        return false;
    }

    /**
     * Runs the kernels. {@code leaves} holds the arrays of inputs (feeds) and variables (state); written
     * state arrays are updated in place and their old contents saved in {@code backups} first.
     */
    Object[] run(Object[] leaves, Map<String, Object> state, Map<String, Object> backups, long step,
                 Map<String, java.util.concurrent.locks.ReentrantLock> locks) {
        Object[] buf = buffers.get();
        for (int i = 0; i < leaves.length; i++) if (leaves[i] != null) buf[i] = leaves[i];
        boolean held = false;
        try {
            for (int i = 0; i < actions.size(); i++) {
                if (i == lockFrom) {
                    for (String s : lockedState) locks.get(s).lock();
                    held = true;
                }
                Object a = actions.get(i);
                if (a instanceof WriteAction w) {
                    Object target = state.get(w.state());
                    backups.computeIfAbsent(w.state(), k -> copy(target));
                    System.arraycopy(buf[w.value()], 0, target, 0, java.lang.reflect.Array.getLength(target));
                } else {
                    ((Action) a).run(buf, step);
                }
                if (i == lockTo && held) {
                    unlock(locks);
                    held = false;
                }
            }
        } finally {
            if (held) unlock(locks);
        }
        return buf;
    }

    private void unlock(Map<String, java.util.concurrent.locks.ReentrantLock> locks) {
        for (int i = lockedState.size() - 1; i >= 0; i--) locks.get(lockedState.get(i)).unlock();
    }

    /** A thread's own buffers: primitive arrays copied (constants keep their values), holders fresh. */
    private Object[] freshBuffers() {
        Object[] out = new Object[template.size()];
        for (int i = 0; i < out.length; i++) {
            Object t = template.get(i);
            out[i] = switch (t) {
                case null -> null;
                case float[][] h -> new float[h.length][];
                case Object[] h -> new Object[h.length];
                default -> copy(t);
            };
        }
        return out;
    }

    /** Adds a per-thread scratch or argument array; returns its slot. */
    private int slot(Object array) {
        template.add(array);
        return template.size() - 1;
    }

    // ---- building

    int[] dims(int node) { return g.type(node).shape().concrete(bindings); }

    private int size(int node) { return (int) descent.runtime.Tensor.elementCount(dims(node)); }

    private Object alloc(int node) {
        int n = size(node);
        return switch (g.type(node).dtype()) {
            case F32 -> new float[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
            case F64 -> throw unsupported(g.node(node), "f64 tensors");
        };
    }

    private void out(int node) { template.set(node, alloc(node)); }

    private void fused(Kernel.Fused f) {
        if (f.results().isEmpty()) return;
        Shape domain = f.shape();
        int[] to = domain.concrete(bindings);
        int length = (int) descent.runtime.Tensor.elementCount(to);
        int rowLength = to.length == 0 ? 1 : Math.max(1, to[to.length - 1]);
        int[] inputs = f.inputs().stream().mapToInt(Integer::intValue).toArray();
        // Inputs a fused loop cannot read as they are (a column broadcast, say) are broadcast into a scratch first.
        Set<Integer> materialized = new HashSet<>();
        LayoutKernel[] broadcasts = new LayoutKernel[inputs.length];
        int[] scratch = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            int in = inputs[i];
            if (FusedExpr.kindOf(g.type(in).shape(), domain) != null) continue;
            int[] from = dims(in);
            materialized.add(in);
            broadcasts[i] = Kernels.get("bcast f32" + Arrays.toString(from) + Arrays.toString(to),
                    () -> LayoutEmitter.broadcastTo(DType.F32, from, to));
            scratch[i] = slot(new float[length]);
        }
        FusedExpr expr = FusedExpr.from(g, f.results(), f.inputs(), materialized);
        ElementwiseKernel kernel = Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseEmitter.defaultStyle()));
        int[] results = f.results().stream().mapToInt(Integer::intValue).toArray();
        for (int r : results) out(r);
        int inSlot = slot(new float[inputs.length][]), outSlot = slot(new float[results.length][]);
        int argSlot = slot(new Object[1]), offSlot = slot(new int[1]);
        int[] inOff = new int[inputs.length], outOff = new int[results.length];
        actions.add((Action) (buf, step) -> {
            float[][] in = (float[][]) buf[inSlot], out = (float[][]) buf[outSlot];
            for (int i = 0; i < inputs.length; i++) {
                if (broadcasts[i] != null) {
                    Object[] arg = (Object[]) buf[argSlot];
                    arg[0] = buf[inputs[i]];
                    broadcasts[i].run(arg, (int[]) buf[offSlot], buf[scratch[i]], 0, 0);
                    in[i] = (float[]) buf[scratch[i]];
                } else {
                    in[i] = (float[]) buf[inputs[i]];
                }
            }
            for (int i = 0; i < results.length; i++) out[i] = (float[]) buf[results[i]];
            kernel.run(in, inOff, out, outOff, length, rowLength);
        });
    }

    private void alias(Node n) {
        int id = n.id();
        switch (n.op()) {
            case Op.Const c -> template.set(id, filled(n, c.value()));
            default -> {
                int src = n.input(0);
                actions.add((Action) (buf, step) -> buf[id] = buf[src]);
            }
        }
    }

    private Object filled(Node n, double value) {
        Object a = alloc(n.id());
        switch (a) {
            case float[] f -> Arrays.fill(f, (float) value);
            case int[] i -> Arrays.fill(i, (int) (long) value);
            case long[] l -> Arrays.fill(l, (long) value);
            default -> { }
        }
        return a;
    }

    private void single(Node n) {
        int id = n.id();
        List<Integer> in = n.inputs();
        DType dt = n.type().dtype();
        switch (n.op()) {
            case Op.MatMul m -> {
                int[] a = dims(in.get(0)), b = dims(in.get(1));
                int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? b[0] : b[1];
                MatmulShape shape = new MatmulShape(rows, k, cols, m.transposeA(), m.transposeB(), DType.F32);
                EmittedMatmul e = Kernels.get("matmul " + shape, () -> MatmulEmitter.emit(shape));
                out(id);
                int scratch = e.scratchFloats() > 0 ? slot(e.newScratch()) : -1;
                int x = in.get(0), y = in.get(1);
                actions.add((Action) (buf, step) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows,
                        scratch < 0 ? null : (float[]) buf[scratch]));
            }
            case Op.Reduce r -> {
                requireF32(n);
                int[] d = dims(in.get(0));
                ReduceShape shape = ReduceShape.of(r.fn(), d, r.axes().stream().mapToInt(Integer::intValue).toArray());
                reduce(id, in.get(0), shape);
            }
            case Op.SumTo s -> {
                requireF32(n);
                reduce(id, in.get(0), ReduceShape.sumTo(dims(in.get(0)), dims(id)));
            }
            case Op.Softmax s -> softmax(n, false);
            case Op.LogSoftmax s -> softmax(n, true);
            case Op.SoftmaxXent x -> {
                int[] d = dims(in.get(1));
                int classes = d[d.length - 1], rows = classes == 0 ? 0 : size(in.get(1)) / classes;
                SoftmaxXentKernel kx = Kernels.get("xent " + classes, () -> SoftmaxEmitter.xent(classes));
                out(id);
                int l = in.get(0), z = in.get(1);
                actions.add((Action) (buf, step) -> kx.run((float[]) buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows));
            }
            case Op.SparseSoftmaxXent x -> {
                int[] d = dims(in.get(1));
                int classes = d[d.length - 1], rows = classes == 0 ? 0 : size(in.get(1)) / classes;
                boolean lng = g.type(in.get(0)).dtype() == DType.I64;
                SoftmaxSparseXentKernel kx = Kernels.get("sxent " + classes + lng, () -> SoftmaxEmitter.sparseXent(classes, lng));
                out(id);
                int l = in.get(0), z = in.get(1);
                actions.add((Action) (buf, step) -> kx.run(buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows));
            }
            case Op.Gather ga -> {
                int[] p = dims(in.get(0));
                int outer = prod(p, 0, ga.axis()), rows = p[ga.axis()], inner = prod(p, ga.axis() + 1, p.length);
                rows(id, RowsSpec.gather(outer, rows, inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.ScatterAdd s -> {
                int[] o = dims(id);
                int outer = prod(o, 0, s.axis()), rows = o[s.axis()], inner = prod(o, s.axis() + 1, o.length);
                rows(id, RowsSpec.scatterAdd(outer, rows, inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.DedupSum d -> {
                int n2 = size(in.get(1)), inner = n2 == 0 ? 1 : size(in.get(0)) / n2;
                rows(id, RowsSpec.dedupSum(idRange(in.get(1)), inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.FirstOccurrence f -> {
                requireF32(n);
                rows(id, RowsSpec.firstOccurrence(idRange(in.get(0)), isLong(in.get(0))), -1, in.get(0), -1, -1, false);
            }
            case Op.ScatterUpdate s -> {
                int[] v = dims(in.get(0));
                rows(id, RowsSpec.scatterUpdate(v[0], prod(v, 1, v.length), isLong(in.get(1))), in.get(2), in.get(1), in.get(3),
                        in.get(0), true);
            }
            case Op.ScatterAccumulate s -> {
                int[] v = dims(in.get(0));
                rows(id, RowsSpec.scatterAccumulate(v[0], prod(v, 1, v.length), isLong(in.get(1))), in.get(2), in.get(1), -1,
                        in.get(0), true);
            }
            case Op.OneHot o -> {
                requireF32(n);
                rows(id, RowsSpec.oneHot(o.depth(), o.onValue(), o.offValue(), isLong(in.get(0))), -1, in.get(0), -1, -1, false);
            }
            case Op.Transpose t -> layout(id, List.of(in.get(0)), Kernels.get("transpose " + dt + Arrays.toString(dims(in.get(0))) + t.perm(),
                    () -> LayoutEmitter.transpose(dt, dims(in.get(0)), t.perm().stream().mapToInt(Integer::intValue).toArray())));
            case Op.Concat c -> {
                List<int[]> shapes = in.stream().map(this::dims).toList();
                String key = "concat " + dt + c.axis() + shapes.stream().map(Arrays::toString).toList();
                layout(id, in, Kernels.get(key, () -> LayoutEmitter.concat(dt, shapes, c.axis())));
            }
            case Op.Slice s -> {
                int[] begin = s.begin().stream().mapToInt(Integer::intValue).toArray();
                String key = "slice " + dt + Arrays.toString(dims(in.get(0))) + Arrays.toString(begin) + Arrays.toString(dims(id));
                layout(id, List.of(in.get(0)), Kernels.get(key, () -> LayoutEmitter.slice(dt, dims(in.get(0)), begin, dims(id))));
            }
            case Op.Pad p -> {
                int[] before = p.before().stream().mapToInt(Integer::intValue).toArray();
                String key = "pad " + dt + Arrays.toString(dims(in.get(0))) + Arrays.toString(before) + Arrays.toString(dims(id));
                layout(id, List.of(in.get(0)), Kernels.get(key, () -> LayoutEmitter.pad(dt, dims(in.get(0)), before, dims(id))));
            }
            case Op.Tile t -> {
                int[] mult = t.multiples().stream().mapToInt(Integer::intValue).toArray();
                String key = "tile " + dt + Arrays.toString(dims(in.get(0))) + Arrays.toString(mult);
                layout(id, List.of(in.get(0)), Kernels.get(key, () -> LayoutEmitter.tile(dt, dims(in.get(0)), mult)));
            }
            case Op.BroadcastTo b -> {
                String key = "bcast " + dt + Arrays.toString(dims(in.get(0))) + Arrays.toString(dims(id));
                layout(id, List.of(in.get(0)), Kernels.get(key, () -> LayoutEmitter.broadcastTo(dt, dims(in.get(0)), dims(id))));
            }
            case Op.Cast c -> {
                DType from = g.type(in.get(0)).dtype();
                String key = "cast " + from + c.to() + Arrays.toString(dims(id));
                layout(id, List.of(in.get(0)), Kernels.get(key, () -> CastEmitter.cast(from, c.to(), dims(id))));
            }
            case Op.Unary u when !dt.isFloating() -> layout(id, List.of(in.get(0)),
                    Kernels.get("int " + u.fn() + dt + Arrays.toString(dims(id)), () -> IntOpsEmitter.unary(u.fn(), dt, dims(id))));
            case Op.Binary bi when !g.type(in.get(0)).dtype().isFloating() -> {
                DType operands = g.type(in.get(0)).dtype();
                if (operands != dt) throw unsupported(n, "an integer comparison with a float result");
                String key = "int " + bi.fn() + dt + Arrays.toString(dims(in.get(0))) + Arrays.toString(dims(in.get(1)));
                layout(id, in, Kernels.get(key, () -> IntOpsEmitter.binary(bi.fn(), dt, dims(in.get(0)), dims(in.get(1)))));
            }
            case Op.AddN a -> {
                requireF32(n);
                FusedExpr.Builder b = FusedExpr.builder();
                int acc = -1;
                for (int i = 0; i < in.size(); i++) {
                    int x = b.input(FusedExpr.kindOf(g.type(in.get(i)).shape(), n.type().shape()));
                    acc = acc < 0 ? x : b.binary(descent.compiler.ir.BinaryFn.ADD, acc, x);
                }
                FusedExpr expr = b.build(acc);
                ElementwiseKernel kernel = Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseEmitter.defaultStyle()));
                out(id);
                int length = size(id);
                int[] ins = in.stream().mapToInt(Integer::intValue).toArray();
                int inSlot = slot(new float[ins.length][]), outSlot = slot(new float[1][]);
                int[] inOff = new int[ins.length], outOff = new int[1];
                actions.add((Action) (buf, step) -> {
                    float[][] arrays = (float[][]) buf[inSlot], outs = (float[][]) buf[outSlot];
                    for (int i = 0; i < ins.length; i++) arrays[i] = (float[]) buf[ins[i]];
                    outs[0] = (float[]) buf[id];
                    kernel.run(arrays, inOff, outs, outOff, length, 1);
                });
            }
            case Op.DimSize d -> {
                double count = 1;
                int[] x = dims(in.get(0));
                for (int a : d.axes()) count *= x[a];
                template.set(id, filled(n, count));
            }
            case Op.RandomNormal r -> {
                requireF32(n);
                out(id);
                actions.add((Action) (buf, step) -> {
                    float[] o = (float[]) buf[id];
                    double[] z = Initializers.normals(r.seed(), step, o.length);
                    for (int i = 0; i < o.length; i++) o[i] = (float) (r.mean() + r.stddev() * z[i]);
                });
            }
            default -> throw unsupported(n, n.op().mnemonic() + " on " + n.type());
        }
    }

    private void reduce(int id, int x, ReduceShape shape) {
        ReduceKernel k = Kernels.get("reduce " + shape.tag() + Arrays.toString(dims(x)), () -> ReduceEmitter.emit(shape));
        out(id);
        actions.add((Action) (buf, step) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, 0));
    }

    private void softmax(Node n, boolean log) {
        requireF32(n);
        int[] d = dims(n.id());
        int classes = d[d.length - 1], rows = classes == 0 ? 0 : size(n.id()) / classes;
        SoftmaxKernel k = Kernels.get("softmax " + classes + log, () -> SoftmaxEmitter.softmax(classes, log));
        int id = n.id(), x = n.input(0);
        out(id);
        actions.add((Action) (buf, step) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, rows));
    }

    /** A row op; {@code base} (the variable for in-place ops) is copied into the output first. */
    private void rows(int id, RowsSpec spec, int src, int indices, int aux, int base, boolean copyBase) {
        RowsEmitter.Emitted e = Kernels.get("rows " + spec, () -> RowsEmitter.emit(spec));
        out(id);
        int n = size(indices);
        int scratch = e.scratchInts(n) > 0 ? slot(e.newScratch(n)) : -1;
        actions.add((Action) (buf, step) -> {
            float[] o = (float[]) buf[id];
            if (copyBase) System.arraycopy((float[]) buf[base], 0, o, 0, o.length);
            e.kernel().run(src < 0 ? null : (float[]) buf[src], 0, buf[indices], 0, n, aux < 0 ? null : (float[]) buf[aux], o, 0,
                    scratch < 0 ? null : (int[]) buf[scratch]);
        });
    }

    private void layout(int id, List<Integer> inputs, LayoutKernel k) {
        out(id);
        int[] ins = inputs.stream().mapToInt(Integer::intValue).toArray();
        int[] offs = new int[ins.length];
        int argSlot = slot(new Object[ins.length]);
        actions.add((Action) (buf, step) -> {
            Object[] arrays = (Object[]) buf[argSlot];
            for (int i = 0; i < ins.length; i++) arrays[i] = buf[ins[i]];
            k.run(arrays, offs, buf[id], 0, 0);
        });
    }

    /** The id range of a sparse update's indices: the rows of the variable the same indices gather from. */
    private int idRange(int indices) {
        for (Node m : g.nodes()) {
            boolean uses = m.inputs().size() > 1 && m.input(1) == indices;
            if (uses && (m.op() instanceof Op.ScatterUpdate || m.op() instanceof Op.ScatterAccumulate
                    || m.op() instanceof Op.Gather ga && ga.axis() == 0)) {
                return dims(m.input(0))[0];
            }
        }
        throw new DescentException("the compiled backend cannot bound the indices of %" + indices + "; use --backend interpreter");
    }

    private boolean isLong(int node) { return g.type(node).dtype() == DType.I64; }

    private static int prod(int[] d, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= d[i];
        return p;
    }

    private void requireF32(Node n) { if (n.type().dtype() != DType.F32) throw unsupported(n, n.type() + " values"); }

    static DescentException unsupported(Node n, String what) {
        return new DescentException("the compiled backend does not support " + what + " yet (%" + n.id() + " "
                + n.op().mnemonic() + "); use --backend interpreter");
    }

    static Object copy(Object a) {
        return switch (a) {
            case float[] f -> f.clone();
            case int[] i -> i.clone();
            case long[] l -> l.clone();
            case double[] d -> d.clone();
            default -> throw new IllegalStateException();
        };
    }
}
