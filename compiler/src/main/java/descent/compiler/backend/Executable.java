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
 * A lowered plan made runnable: every kernel generated once, every intermediate buffer planned by lifetime.
 * With a symbolic dimension left symbolic ({@code symbol}), kernels take its size per call (runtime M, BATCH,
 * runtime lengths and rows) and each thread's buffers are sized for the largest batch it has run, grown
 * by reallocation when a larger one arrives. Without one, everything is specialised to {@code bindings}.
 * Nodes whose lifetimes over the kernel sequence do not overlap share one array of their dtype; an input of
 * a kernel never shares with its output; fetched and written values live to the end of the step.
 * {@link #run} executes the kernels in plan order; a state write copies the new value into the state array
 * (after saving the old contents in per-thread backup arrays, so a failing step is undone).
 */
final class Executable {
    /** One kernel call over the buffers; {@code b} is the runtime size of the symbolic dimension. */
    private interface Action { void run(Object[] buf, long step, int b); }

    private record WriteAction(String state, int value, int index) {}

    /** An element count {@code c · b^p}, where b is the runtime size of the symbolic dimension. */
    record Sz(long c, int p) {
        int at(int b) {
            long v = c;
            for (int i = 0; i < p; i++) v *= b;
            return Math.toIntExact(v);
        }
    }

    /** What a buffer slot holds: a pooled node array, a scratch array, a holder, or a constant. */
    private static final class SlotSpec {
        DType dtype;           // array slots
        Sz size;               // array slots
        int holder = -1;       // >= 0: a float[holder][] (floatHolder) or Object[holder]
        boolean floatHolder;
        boolean lazy;          // grown by its action
        Double fill;           // constants: filled after allocation
        int pool = -1;         // pooled node buffers
    }

    /** Per-thread state: the buffers for capacity {@code cap}, and the backups of written state. */
    static final class Ctx {
        Object[] buf;
        int cap = -1;
        int b;
        final Object[] backups;
        final boolean[] saved;
        Ctx(int writes) { backups = new Object[writes]; saved = new boolean[writes]; }
    }

    private final Graph g;
    private final List<Object> actions = new ArrayList<>();
    private Object[] actionArray;
    private final List<SlotSpec> slots = new ArrayList<>();
    private final Map<String, Integer> bindings;
    /** The symbolic dimension left symbolic, or null. */
    final String symbol;
    private final ThreadLocal<Ctx> contexts;
    /** Distinct written states, in order of first write. */
    private final List<String> written = new ArrayList<>();
    /** For variable node ids: the index of its state in {@link #written}, or -1. */
    private final int[] writtenIndex;
    /** Pools: dtype and member sizes. */
    private final List<DType> poolType = new ArrayList<>();
    private final List<List<Sz>> poolSizes = new ArrayList<>();
    private final int[] def, last;
    private int current;

    /** Actions [lockFrom, lockTo] run holding the locks of {@link #lockedState} (use_locking). */
    private int lockFrom = -1, lockTo = -1;
    private final List<String> lockedState;

    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings) {
        this(g, program, bindings, java.util.Set.of(), List.of());
    }

    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, java.util.Set<String> locked) {
        this(g, program, bindings, locked, List.of());
    }

    /** Leaves the single dimension {@code symbol} symbolic. */
    static Executable symbolic(Graph g, Lowering.Program program, String symbol, java.util.Set<String> locked, List<Integer> fetches) {
        return new Executable(g, program, Map.of(symbol, -1), locked, fetches, symbol);
    }

    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, java.util.Set<String> locked, List<Integer> fetches) {
        this(g, program, bindings, locked, fetches, null);
    }

    /**
     * {@code locked}: state whose updates must be atomic across threads. The actions from the first one that
     * reads any of it to the last write of it run holding its locks, taken in name order (no deadlock).
     */
    private Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, java.util.Set<String> locked,
                       List<Integer> fetches, String symbol) {
        this.g = g;
        this.bindings = bindings;
        this.symbol = symbol;
        this.lockedState = new java.util.TreeSet<>(locked).stream().toList();
        this.def = new int[g.size()];
        this.last = new int[g.size()];
        Arrays.fill(def, -1);
        Arrays.fill(last, -1);
        this.writtenIndex = new int[g.size()];
        Arrays.fill(writtenIndex, -1);
        for (int i = 0; i < g.size(); i++) slots.add(null);
        List<Kernel> kernels = program.kernels();
        for (int ki = 0; ki < kernels.size(); ki++) {
            Kernel k = kernels.get(ki);
            current = ki;
            switch (k) {
                case Kernel.Fused f -> fused(f);
                case Kernel.Single s -> single(g.node(s.node()));
                case Kernel.Alias a -> alias(g.node(a.node()));
                case Kernel.Write w -> {
                    int wi = written.indexOf(w.state());
                    if (wi < 0) { wi = written.size(); written.add(w.state()); }
                    actions.add(new WriteAction(w.state(), w.value(), wi));
                }
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
                int lastAction = actions.size() - 1;
                if (touches && k instanceof Kernel.Write) lockTo = lastAction;
                if (touches && lockFrom < 0 && lastAction >= 0) lockFrom = firstActionOf(k, lastAction);
            }
        }
        for (Node n : g.nodes()) {
            if (n.op() instanceof Op.Variable v && written.contains(v.name())) writtenIndex[n.id()] = written.indexOf(v.name());
        }
        planBuffers(kernels, fetches);
        actionArray = actions.toArray();
        int writes = written.size();
        contexts = ThreadLocal.withInitial(() -> new Ctx(writes));
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

    // ---- buffer planning

    /** The node whose array an alias chain ends at. */
    private int root(int id, int[] aliasOf) {
        while (aliasOf[id] >= 0) id = aliasOf[id];
        return id;
    }

    /** Greedy interval allocation over the kernel sequence: a pool is reused once its occupant's last use is over. */
    private void planBuffers(List<Kernel> kernels, List<Integer> fetches) {
        int[] aliasOf = new int[g.size()];
        Arrays.fill(aliasOf, -1);
        for (Kernel k : kernels) {
            if (k instanceof Kernel.Alias a && !(g.node(a.node()).op() instanceof Op.Const)) aliasOf[a.node()] = g.node(a.node()).input(0);
        }
        int end = Integer.MAX_VALUE;
        for (int ki = 0; ki < kernels.size(); ki++) {
            List<Integer> reads = switch (kernels.get(ki)) {
                case Kernel.Fused f -> f.results().isEmpty() ? List.of() : f.inputs();
                case Kernel.Single s -> g.node(s.node()).inputs();
                case Kernel.Alias a -> g.node(a.node()).inputs();
                case Kernel.Write w -> List.of(w.value());
                case Kernel.Barrier b -> List.of();
            };
            for (int r : reads) { int x = root(r, aliasOf); last[x] = Math.max(last[x], ki); }
            if (kernels.get(ki) instanceof Kernel.Write w) last[root(w.value(), aliasOf)] = end;
        }
        for (int f : fetches) last[root(f, aliasOf)] = end;
        // node buffers in order of definition
        List<Integer> nodes = new ArrayList<>();
        for (int id = 0; id < g.size(); id++) if (slots.get(id) != null && slots.get(id).fill == null && slots.get(id).holder < 0) nodes.add(id);
        nodes.sort((a, b) -> Integer.compare(def[a], def[b]));
        List<Integer> poolFreeAfter = new ArrayList<>();   // last use of the pool's current occupant
        for (int id : nodes) {
            SlotSpec s = slots.get(id);
            int lastUse = Math.max(last[id], def[id]);
            int best = -1;
            for (int p = 0; p < poolType.size(); p++) {
                if (poolType.get(p) != s.dtype || poolFreeAfter.get(p) >= def[id]) continue;
                if (best < 0 || score(p, s.size) > score(best, s.size)) best = p;
            }
            if (best < 0) {
                best = poolType.size();
                poolType.add(s.dtype);
                poolSizes.add(new ArrayList<>());
                poolFreeAfter.add(0);
            }
            poolSizes.get(best).add(s.size);
            poolFreeAfter.set(best, lastUse);
            s.pool = best;
        }
    }

    /** Prefers a pool whose arrays already fit (same power of b, large enough), then the largest of the same power. */
    private int score(int pool, Sz need) {
        long have = 0;
        boolean samePower = false;
        for (Sz s : poolSizes.get(pool)) if (s.p() == need.p()) { samePower = true; have = Math.max(have, s.c()); }
        if (!samePower) return 0;
        if (have >= need.c()) return (int) Math.max(1, 2_000_000_000L - (have - need.c()) / 1024);
        return (int) Math.max(1, Math.min(1_000_000_000L, have / 1024 + 1));
    }

    /** Bytes of the node buffers a thread allocates at batch size {@code b} (pooled), and unpooled for comparison. */
    long[] bufferBytes(int b) {
        long pooled = 0, unpooled = 0;
        for (int p = 0; p < poolType.size(); p++) {
            long max = 0;
            for (Sz s : poolSizes.get(p)) { max = Math.max(max, s.at(b)); unpooled += (long) s.at(b) * width(poolType.get(p)); }
            pooled += max * width(poolType.get(p));
        }
        return new long[] {unpooled, pooled};
    }

    private static int width(DType t) { return t == DType.I64 || t == DType.F64 ? 8 : 4; }

    /** A thread's buffers for capacity {@code cap}. */
    private Object[] allocate(int cap) {
        Object[] out = new Object[slots.size()];
        Object[] pools = new Object[poolType.size()];
        for (int p = 0; p < pools.length; p++) {
            int max = 0;
            for (Sz s : poolSizes.get(p)) max = Math.max(max, s.at(cap));
            pools[p] = newArray(poolType.get(p), max);
        }
        for (int i = 0; i < out.length; i++) {
            SlotSpec s = slots.get(i);
            if (s == null || s.lazy) continue;
            if (s.holder >= 0) out[i] = s.floatHolder ? new float[s.holder][] : new Object[s.holder];
            else if (s.pool >= 0) out[i] = pools[s.pool];
            else {
                Object a = newArray(s.dtype, s.size.at(cap));
                if (s.fill != null) {
                    double value = s.fill;
                    switch (a) {
                        case float[] f -> Arrays.fill(f, (float) value);
                        case int[] n -> Arrays.fill(n, (int) (long) value);
                        case long[] l -> Arrays.fill(l, (long) value);
                        default -> { }
                    }
                }
                out[i] = a;
            }
        }
        return out;
    }

    private static Object newArray(DType t, int n) {
        return switch (t) {
            case F32 -> new float[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
            case F64 -> new double[n];
        };
    }

    // ---- running

    /** This thread's context with buffers for batch size {@code b} (0 without a symbol); grows them when needed. */
    Ctx context(int b) {
        Ctx c = contexts.get();
        if (c.buf == null || b > c.cap) {
            c.buf = allocate(b);
            c.cap = b;
        }
        c.b = b;
        return c;
    }

    /**
     * Runs the kernels over {@code c} (its leaves already set). On failure the written state is restored
     * from the backups and the exception rethrown.
     */
    void run(Ctx c, Map<String, Object> state, long step, Map<String, java.util.concurrent.locks.ReentrantLock> locks) {
        Object[] buf = c.buf;
        int b = c.b;
        boolean[] saved = c.saved;
        Arrays.fill(saved, false);
        Object[] acts = actionArray;
        boolean held = false;
        try {
            for (int i = 0; i < acts.length; i++) {
                if (i == lockFrom) {
                    for (int s = 0; s < lockedState.size(); s++) locks.get(lockedState.get(s)).lock();
                    held = true;
                }
                Object a = acts[i];
                if (a instanceof WriteAction w) {
                    Object target = state.get(w.state());
                    int n = java.lang.reflect.Array.getLength(target);
                    if (!saved[w.index()]) {
                        Object bk = c.backups[w.index()];
                        if (bk == null) c.backups[w.index()] = bk = copy(target);
                        else System.arraycopy(target, 0, bk, 0, n);
                        saved[w.index()] = true;
                    }
                    System.arraycopy(buf[w.value()], 0, target, 0, n);
                } else {
                    ((Action) a).run(buf, step, b);
                }
                if (i == lockTo && held) {
                    unlock(locks);
                    held = false;
                }
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < saved.length; i++) {
                if (saved[i]) {
                    Object target = state.get(written.get(i));
                    System.arraycopy(c.backups[i], 0, target, 0, java.lang.reflect.Array.getLength(target));
                    saved[i] = false;
                }
            }
            throw e;
        } finally {
            if (held) unlock(locks);
        }
    }

    /** The value of fetched node {@code id} after {@link #run(Ctx, Map, long, Map)}: a written variable's old value. */
    Object fetched(Ctx c, int id) {
        int wi = writtenIndex[id];
        if (wi >= 0 && c.saved[wi]) return c.backups[wi];
        return c.buf[id];
    }

    private void unlock(Map<String, java.util.concurrent.locks.ReentrantLock> locks) {
        for (int i = lockedState.size() - 1; i >= 0; i--) locks.get(lockedState.get(i)).unlock();
    }

    /** Adds a per-thread scratch array of {@code size} elements; returns its slot. */
    private int scratch(DType t, Sz size) {
        SlotSpec s = new SlotSpec();
        s.dtype = t;
        s.size = size;
        slots.add(s);
        return slots.size() - 1;
    }

    /** Adds a per-thread scratch slot its action allocates (and grows) itself. */
    private int lazySlot() {
        SlotSpec s = new SlotSpec();
        s.lazy = true;
        slots.add(s);
        return slots.size() - 1;
    }

    private int holder(int n, boolean floats) {
        SlotSpec s = new SlotSpec();
        s.holder = n;
        s.floatHolder = floats;
        slots.add(s);
        return slots.size() - 1;
    }

    // ---- building

    int[] dims(int node) { return g.type(node).shape().concrete(bindings); }

    /** The element count of concrete dims with -1 for the symbolic dimension. */
    private static Sz sz(int[] d) {
        long c = 1;
        int p = 0;
        for (int x : d) { if (x < 0) p++; else c *= x; }
        return new Sz(c, p);
    }

    private Sz size(int node) { return sz(dims(node)); }

    /** A size that must not depend on the symbolic dimension (else the symbolic build falls back). */
    private int fixed(Sz s) {
        if (s.p() != 0) throw new Fallback();
        return Math.toIntExact(s.c());
    }

    private static int fixedDim(int d) {
        if (d < 0) throw new Fallback();
        return d;
    }

    /** Thrown while building a symbolic executable for what only a concrete binding can emit. */
    static final class Fallback extends RuntimeException {
        Fallback() { super("needs a concrete batch size", null, false, false); }
    }

    private void out(int node) {
        if (g.type(node).dtype() == DType.F64) throw unsupported(g.node(node), "f64 tensors");
        SlotSpec s = new SlotSpec();
        s.dtype = g.type(node).dtype();
        s.size = size(node);
        slots.set(node, s);
        def[node] = current;
    }

    private void fused(Kernel.Fused f) {
        if (f.results().isEmpty()) return;
        Shape domain = f.shape();
        int[] to = domain.concrete(bindings);
        Sz length = sz(to);
        int rowDim = to.length == 0 ? 1 : to[to.length - 1];
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
            scratch[i] = scratch(DType.F32, length);
        }
        FusedExpr expr = FusedExpr.from(g, f.results(), f.inputs(), materialized);
        ElementwiseKernel kernel = Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseEmitter.defaultStyle()));
        int[] results = f.results().stream().mapToInt(Integer::intValue).toArray();
        for (int r : results) out(r);
        int inSlot = holder(inputs.length, true), outSlot = holder(results.length, true);
        int argSlot = holder(1, false), offSlot = scratch(DType.I32, new Sz(1, 0));
        int[] inOff = new int[inputs.length], outOff = new int[results.length];
        actions.add((Action) (buf, step, b) -> {
            float[][] in = (float[][]) buf[inSlot], out = (float[][]) buf[outSlot];
            for (int i = 0; i < inputs.length; i++) {
                if (broadcasts[i] != null) {
                    Object[] arg = (Object[]) buf[argSlot];
                    arg[0] = buf[inputs[i]];
                    broadcasts[i].run(arg, (int[]) buf[offSlot], buf[scratch[i]], 0, b);
                    in[i] = (float[]) buf[scratch[i]];
                } else {
                    in[i] = (float[]) buf[inputs[i]];
                }
            }
            for (int i = 0; i < results.length; i++) out[i] = (float[]) buf[results[i]];
            kernel.run(in, inOff, out, outOff, length.at(b), rowDim < 0 ? b : Math.max(1, rowDim));
        });
    }

    private void alias(Node n) {
        int id = n.id();
        switch (n.op()) {
            case Op.Const c -> {
                if (n.type().dtype() == DType.F64) throw unsupported(n, "f64 tensors");
                SlotSpec s = new SlotSpec();
                s.dtype = n.type().dtype();
                s.size = size(id);
                s.fill = c.value();
                slots.set(id, s);
            }
            default -> {
                int src = n.input(0);
                actions.add((Action) (buf, step, b) -> buf[id] = buf[src]);
            }
        }
    }

    private void single(Node n) {
        int id = n.id();
        List<Integer> in = n.inputs();
        DType dt = n.type().dtype();
        switch (n.op()) {
            case Op.MatMul m -> {
                int[] a = dims(in.get(0)), bd = dims(in.get(1));
                int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? bd[0] : bd[1];
                out(id);
                int x = in.get(0), y = in.get(1);
                if (k >= 0 && cols >= 0) {
                    MatmulShape shape = new MatmulShape(rows < 0 ? MatmulShape.RUNTIME_M : rows, k, cols, m.transposeA(), m.transposeB(), DType.F32);
                    EmittedMatmul e = Kernels.get("matmul " + shape, () -> MatmulEmitter.emit(shape));
                    int scratch = e.scratchFloats() > 0 ? scratch(DType.F32, new Sz(e.scratchFloats(), 0)) : -1;
                    actions.add((Action) (buf, step, b) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0,
                            rows < 0 ? b : rows, scratch < 0 ? null : (float[]) buf[scratch]));
                } else {
                    // The batch is contracted or is C's column count: a kernel per batch size, made when first needed.
                    if (symbol == null) throw new IllegalStateException();
                    boolean ta = m.transposeA(), tb = m.transposeB();
                    int scratch = lazySlot();
                    java.util.concurrent.atomic.AtomicReference<Object[]> lastKernel = new java.util.concurrent.atomic.AtomicReference<>();
                    actions.add((Action) (buf, step, b) -> {
                        Object[] lk = lastKernel.get();
                        if (lk == null || (int) lk[0] != b) {
                            MatmulShape shape = new MatmulShape(rows < 0 ? b : rows, k < 0 ? b : k, cols < 0 ? b : cols, ta, tb, DType.F32);
                            lk = new Object[] {b, Kernels.get("matmul " + shape, () -> MatmulEmitter.emit(shape))};
                            lastKernel.set(lk);
                        }
                        EmittedMatmul e = (EmittedMatmul) lk[1];
                        float[] s = null;
                        if (e.scratchFloats() > 0) {
                            s = (float[]) buf[scratch];
                            if (s == null || s.length < e.scratchFloats()) buf[scratch] = s = new float[e.scratchFloats()];
                        }
                        e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows < 0 ? b : rows, s);
                    });
                }
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
                int classes = fixedDim(d[d.length - 1]);
                Sz rows = perRow(size(in.get(1)), classes);
                SoftmaxXentKernel kx = Kernels.get("xent " + classes, () -> SoftmaxEmitter.xent(classes));
                out(id);
                int l = in.get(0), z = in.get(1);
                actions.add((Action) (buf, step, b) -> kx.run((float[]) buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
            }
            case Op.SparseSoftmaxXent x -> {
                int[] d = dims(in.get(1));
                int classes = fixedDim(d[d.length - 1]);
                Sz rows = perRow(size(in.get(1)), classes);
                boolean lng = g.type(in.get(0)).dtype() == DType.I64;
                SoftmaxSparseXentKernel kx = Kernels.get("sxent " + classes + lng, () -> SoftmaxEmitter.sparseXent(classes, lng));
                out(id);
                int l = in.get(0), z = in.get(1);
                actions.add((Action) (buf, step, b) -> kx.run(buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
            }
            case Op.Gather ga -> {
                int[] p = dims(in.get(0));
                int outer = fixed(sz(Arrays.copyOfRange(p, 0, ga.axis()))), rows = fixedDim(p[ga.axis()]),
                        inner = fixed(sz(Arrays.copyOfRange(p, ga.axis() + 1, p.length)));
                rows(id, RowsSpec.gather(outer, rows, inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.ScatterAdd s -> {
                int[] o = dims(id);
                int outer = fixed(sz(Arrays.copyOfRange(o, 0, s.axis()))), rows = fixedDim(o[s.axis()]),
                        inner = fixed(sz(Arrays.copyOfRange(o, s.axis() + 1, o.length)));
                rows(id, RowsSpec.scatterAdd(outer, rows, inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.DedupSum d -> {
                Sz n2 = size(in.get(1)), values = size(in.get(0));
                if (n2.p() != values.p()) throw new Fallback();
                int inner = n2.c() == 0 ? 1 : Math.toIntExact(values.c() / n2.c());
                rows(id, RowsSpec.dedupSum(idRange(in.get(1)), inner, isLong(in.get(1))), in.get(0), in.get(1), -1, -1, false);
            }
            case Op.FirstOccurrence f -> {
                requireF32(n);
                rows(id, RowsSpec.firstOccurrence(idRange(in.get(0)), isLong(in.get(0))), -1, in.get(0), -1, -1, false);
            }
            case Op.ScatterUpdate s -> {
                int[] v = dims(in.get(0));
                rows(id, RowsSpec.scatterUpdate(fixedDim(v[0]), fixed(sz(Arrays.copyOfRange(v, 1, v.length))), isLong(in.get(1))),
                        in.get(2), in.get(1), in.get(3), in.get(0), true);
            }
            case Op.ScatterAccumulate s -> {
                int[] v = dims(in.get(0));
                rows(id, RowsSpec.scatterAccumulate(fixedDim(v[0]), fixed(sz(Arrays.copyOfRange(v, 1, v.length))), isLong(in.get(1))),
                        in.get(2), in.get(1), -1, in.get(0), true);
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
                FusedExpr.Builder bld = FusedExpr.builder();
                int acc = -1;
                for (int i = 0; i < in.size(); i++) {
                    int x = bld.input(FusedExpr.kindOf(g.type(in.get(i)).shape(), n.type().shape()));
                    acc = acc < 0 ? x : bld.binary(descent.compiler.ir.BinaryFn.ADD, acc, x);
                }
                FusedExpr expr = bld.build(acc);
                ElementwiseKernel kernel = Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseEmitter.defaultStyle()));
                out(id);
                Sz length = size(id);
                int[] ins = in.stream().mapToInt(Integer::intValue).toArray();
                int inSlot = holder(ins.length, true), outSlot = holder(1, true);
                int[] inOff = new int[ins.length], outOff = new int[1];
                actions.add((Action) (buf, step, b) -> {
                    float[][] arrays = (float[][]) buf[inSlot], outs = (float[][]) buf[outSlot];
                    for (int i = 0; i < ins.length; i++) arrays[i] = (float[]) buf[ins[i]];
                    outs[0] = (float[]) buf[id];
                    kernel.run(arrays, inOff, outs, outOff, length.at(b), 1);
                });
            }
            case Op.DimSize d -> {
                int[] x = dims(in.get(0));
                out(id);
                Sz count = size(id);
                actions.add((Action) (buf, step, b) -> {
                    double v = 1;
                    for (int a : d.axes()) v *= x[a] < 0 ? b : x[a];
                    int len = count.at(b);
                    switch (buf[id]) {
                        case float[] f -> Arrays.fill(f, 0, len, (float) v);
                        case int[] i -> Arrays.fill(i, 0, len, (int) (long) v);
                        case long[] l -> Arrays.fill(l, 0, len, (long) v);
                        default -> { }
                    }
                });
            }
            case Op.RandomNormal r -> {
                requireF32(n);
                out(id);
                Sz count = size(id);
                actions.add((Action) (buf, step, b) -> {
                    float[] o = (float[]) buf[id];
                    int len = count.at(b);
                    double[] z = Initializers.normals(r.seed(), step, len);
                    for (int i = 0; i < len; i++) o[i] = (float) (r.mean() + r.stddev() * z[i]);
                });
            }
            default -> throw unsupported(n, n.op().mnemonic() + " on " + n.type());
        }
    }

    /** Rows of a tensor of {@code size} elements with {@code classes} per row. */
    private static Sz perRow(Sz size, int classes) { return classes == 0 ? new Sz(0, 0) : new Sz(size.c() / classes, size.p()); }

    private void reduce(int id, int x, ReduceShape shape) {
        ReduceKernel k = Kernels.get("reduce " + shape.tag() + Arrays.toString(dims(x)), () -> ReduceEmitter.emit(shape));
        out(id);
        actions.add((Action) (buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, b));
    }

    private void softmax(Node n, boolean log) {
        requireF32(n);
        int[] d = dims(n.id());
        int classes = fixedDim(d[d.length - 1]);
        Sz rows = perRow(size(n.id()), classes);
        SoftmaxKernel k = Kernels.get("softmax " + classes + log, () -> SoftmaxEmitter.softmax(classes, log));
        int id = n.id(), x = n.input(0);
        out(id);
        actions.add((Action) (buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    /** A row op; {@code base} (the variable for in-place ops) is copied into the output first. */
    private void rows(int id, RowsSpec spec, int src, int indices, int aux, int base, boolean copyBase) {
        RowsEmitter.Emitted e = Kernels.get("rows " + spec, () -> RowsEmitter.emit(spec));
        out(id);
        Sz n = size(indices);
        Sz baseSize = base < 0 ? null : size(base);
        int scratch = e.scratchInts(0) > 0 || e.scratchInts(1) > 0 ? lazySlot() : -1;
        actions.add((Action) (buf, step, b) -> {
            float[] o = (float[]) buf[id];
            int count = n.at(b);
            if (copyBase) System.arraycopy((float[]) buf[base], 0, o, 0, baseSize.at(b));
            int[] s = null;
            if (scratch >= 0) {
                s = (int[]) buf[scratch];
                int need = e.scratchInts(count);
                if (s == null || s.length < need) buf[scratch] = s = new int[need];
            }
            e.kernel().run(src < 0 ? null : (float[]) buf[src], 0, buf[indices], 0, count, aux < 0 ? null : (float[]) buf[aux], o, 0, s);
        });
    }

    private void layout(int id, List<Integer> inputs, LayoutKernel k) {
        out(id);
        int[] ins = inputs.stream().mapToInt(Integer::intValue).toArray();
        int[] offs = new int[ins.length];
        int argSlot = holder(ins.length, false);
        actions.add((Action) (buf, step, b) -> {
            Object[] arrays = (Object[]) buf[argSlot];
            for (int i = 0; i < ins.length; i++) arrays[i] = buf[ins[i]];
            k.run(arrays, offs, buf[id], 0, b);
        });
    }

    /** The id range of a sparse update's indices: the rows of the variable the same indices gather from. */
    private int idRange(int indices) {
        for (Node m : g.nodes()) {
            boolean uses = m.inputs().size() > 1 && m.input(1) == indices;
            if (uses && (m.op() instanceof Op.ScatterUpdate || m.op() instanceof Op.ScatterAccumulate
                    || m.op() instanceof Op.Gather ga && ga.axis() == 0)) {
                return fixedDim(dims(m.input(0))[0]);
            }
        }
        throw new DescentException("the compiled backend cannot bound the indices of %" + indices + "; use --backend interpreter");
    }

    private boolean isLong(int node) { return g.type(node).dtype() == DType.I64; }

    private void requireF32(Node n) { if (n.type().dtype() != DType.F32) throw unsupported(n, n.type() + " values"); }

    static DescentException unsupported(Node n, String what) {
        return new DescentException("the compiled backend does not support " + what + " yet (%" + n.id() + " "
                + n.op().mnemonic() + "); use --backend interpreter");
    }

    /** The first {@code n} elements of a primitive array, copied. */
    static Object copy(Object a, int n) {
        return switch (a) {
            case float[] f -> Arrays.copyOf(f, n);
            case int[] i -> Arrays.copyOf(i, n);
            case long[] l -> Arrays.copyOf(l, n);
            case double[] d -> Arrays.copyOf(d, n);
            default -> throw new IllegalStateException();
        };
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
