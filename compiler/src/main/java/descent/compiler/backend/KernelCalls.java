package descent.compiler.backend;

import descent.compiler.emit.Invocation;
import descent.compiler.emit.StepCall;
import descent.compiler.emit.StepWriter;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import descent.runtime.DescentException;
import java.util.List;
import java.util.Map;

/**
 * How each lowered kernel becomes a call of a generated kernel over the buffers: the kernel is generated (or
 * found in {@link Kernels}) now, its buffers are registered with the {@link BufferPlan}, and a {@link Call}
 * that only reads slots and runs it is appended. The families of single ops live in their own classes
 * ({@link MatmulCalls}, {@link ReduceCalls}, {@link SoftmaxCalls}, {@link RowsCalls}, {@link LayoutCalls},
 * {@link ElementwiseCalls}, {@link FillCalls}); this class dispatches to them and holds what they share.
 */
final class KernelCalls {
    /** One kernel call over the buffers; {@code b} is the runtime size of the symbolic dimension. */
    interface Call extends descent.compiler.emit.StepCall {}

    /** Thrown while building a symbolic executable for what only a concrete binding can emit. */
    static final class Fallback extends RuntimeException {
        Fallback() { super("needs a concrete batch size", null, false, false); }
    }

    final Graph g;
    final BufferPlan buffers;
    /** The symbolic dimension left symbolic, or null. */
    final String symbol;
    private final Map<String, Integer> bindings;
    private final List<Object> calls;
    /** The threads a call may split its work over. */
    final StepThreads threads;
    /** Weight gradients split by rows of W: C's node → their multiply-adds ({@link WeightGradientCalls#splitsAt}). */
    final Map<Integer, Sz> rowSplits = new java.util.HashMap<>();
    /**
     * Values the threads write part by part, each into its own columns (a layer's input gradient dZ·Wᵀ,
     * {@link ColumnsOfWMatmul}): the node → the test under which it is split.
     */
    final Map<Integer, StepWriter.Test> spread = new java.util.HashMap<>();
        /** softmax nodes (f32, one kernel each) by their logits, with the index of their kernel: see {@link #softmaxLater}. */
    private final Map<Integer, int[]> softmaxes = new java.util.HashMap<>();
    /** Nodes an earlier kernel has already computed: their own kernels emit nothing. */
    private final java.util.Set<Integer> computed = new java.util.HashSet<>();

    /** Per-kernel timers, or null (the usual case: calls are not wrapped). */
    final StepProfile profile = StepProfile.ifEnabled();
    private String currentKernel;
    /** The index of the kernel being translated: where the buffers it defines start to live. */
    private int current;

    /** Appends to {@code calls}; dims bound to -1 in {@code bindings} are the symbolic one. */
    KernelCalls(Graph g, Map<String, Integer> bindings, String symbol, BufferPlan buffers, List<Object> calls, StepThreads threads) {
        this.g = g;
        this.threads = threads;
        this.bindings = bindings;
        this.symbol = symbol;
        this.buffers = buffers;
        this.calls = calls;
    }

    /** Notes what the kernels about to be added compute, so one kernel can compute a later one's value too. */
    void lookAhead(List<Kernel> kernels) {
        for (int i = kernels.size() - 1; i >= 0; i--) {
            if (kernels.get(i) instanceof Kernel.Single s && g.node(s.node()).op() instanceof Op.Softmax
                    && g.type(s.node()).dtype() == DType.F32) {
                softmaxes.put(g.node(s.node()).input(0), new int[] {i, s.node()});
            }
        }
    }

    /**
     * The f32 softmax of {@code logits} a later kernel of this executable computes, now taken over by the caller
     * (which must write it in the current kernel: its own kernel then emits nothing); or -1.
     */
    int softmaxLater(int logits) {
        int[] s = softmaxes.get(logits);
        if (s == null || s[0] <= current || computed.contains(s[1])) return -1;
        computed.add(s[1]);
        return s[1];
    }

    /**
     * Appends the calls of kernel {@code index} (none for writes and barriers, which the run loop handles): an
     * {@link Invocation} where the marshalling is fixed, a {@link Call} closure where it decides at run time.
     */
    void add(Kernel k, int index) {
        current = index;
        if (profile != null) currentKernel = descent.compiler.lower.KernelPrinter.line(g, k);
        switch (k) {
            case Kernel.Fused f -> ElementwiseCalls.fused(this, f);
            case Kernel.Single s -> { if (!computed.contains(s.node())) single(g.node(s.node())); }
            case Kernel.Alias a -> alias(g.node(a.node()));
            case Kernel.MatmulEpilogue e -> MatmulCalls.matmulEpilogue(this, e);
            case Kernel.SparseRows r -> SparseRowsCalls.rows(this, r);
            case Kernel.ProductUpdate u -> ProductUpdateCalls.add(this, u);
            case Kernel.ReduceUpdate u -> ReduceCalls.update(this, u);
            case Kernel.Write w -> { }
            case Kernel.Barrier b -> { }
        }
    }

    void call(Call c) { calls.add(profile == null ? c : profile.wrap(current, currentKernel, c)); }

    /** Appends a call the step class writes out (timed through a closure when profiling). */
    void invoke(Invocation v) {
        if (profile == null) calls.add(v);
        else call(asCall(v));
    }

    /**
     * Appends a choice or fork the step class writes out (with its calls given as {@link StepWriter.Action}s; a
     * closure of it, timed, when profiling).
     */
    void act(StepWriter.Action a) {
        if (profile == null) calls.add(a);
        else call(asCall(a, threads));
    }

    /** {@code action} (a {@link Call}, an {@link Invocation} or a move) as a closure. */
    static Call asCall(Object action) { return asCall(action, StepThreads.SINGLE); }

    /** {@code action} as a closure; a fork in it runs its parts on {@code threads} (allocating a little per fork: for the profile). */
    static Call asCall(Object action, StepThreads threads) {
        return switch (action) {
            case Call c -> c;
            case StepWriter.Action.Move m -> (buf, step, b) -> buf[m.to()] = buf[m.from()];
            case Invocation v -> {
                StepCall s = StepWriter.call(v, v.type().getSimpleName(), Kernels::stepClass);
                yield s::run;
            }
            case StepWriter.Action a -> {
                StepCall s = StepWriter.call(a, Kernels::stepClass, new ForkHooks(threads));
                yield s::run;
            }
            default -> throw new IllegalArgumentException(String.valueOf(action));
        };
    }

    /** The hooks of a closure over a choice or fork: forks only, each run with a new {@link ForkParts}. */
    private record ForkHooks(StepThreads threads) implements descent.compiler.emit.StepHooks {
        @Override public void write(Object ctx, int action) { throw new UnsupportedOperationException(); }
        @Override public void lock(Object ctx) { throw new UnsupportedOperationException(); }
        @Override public void unlock(Object ctx) { throw new UnsupportedOperationException(); }
        @Override public void fork(Object ctx, descent.compiler.emit.Step step, int fork, int parts, Object[] buf, long n, int b) {
            new ForkParts(fork).run(threads, step, this, ctx, parts, buf, n, b);
        }
    }

    /**
     * Appends {@code then} where {@code test} holds at the run's batch size, else {@code otherwise}: chosen now when
     * the test does not depend on the batch size, else by a {@link StepWriter.Action.Choose} in the step.
     */
    void choose(StepWriter.Test test, List<StepWriter.Action> then, List<StepWriter.Action> otherwise) {
        acts(branch(test, then, otherwise));
    }

    /** Appends {@code actions} in order (calls as calls, so the profile times them). */
    void acts(List<StepWriter.Action> actions) {
        for (StepWriter.Action a : actions) {
            switch (a) {
                case StepWriter.Action.Invoke v -> invoke(v.invocation());
                case StepWriter.Action.Call c -> call((Call) c.call()::run);
                default -> act(a);
            }
        }
    }

    /** {@code then} or {@code otherwise} as one list of actions: the one chosen now when {@code test} does not depend on the batch, else a choice. */
    static List<StepWriter.Action> branch(StepWriter.Test test, List<StepWriter.Action> then, List<StepWriter.Action> otherwise) {
        if (batchDependent(test)) return List.of(new StepWriter.Action.Choose(test, then, otherwise));
        return test.at(0) ? then : otherwise;
    }

    private static boolean batchDependent(StepWriter.Test t) {
        return switch (t) {
            case StepWriter.Test.Below x -> x.p() > 0 && x.c() != 0;
            case StepWriter.Test.Not n -> batchDependent(n.test());
            case StepWriter.Test.Any a -> a.tests().stream().anyMatch(KernelCalls::batchDependent);
        };
    }

    /** A call of {@code inv} as an action of a choice or fork, named {@code label} in the step class. */
    static StepWriter.Action invokes(Invocation inv, String label) { return new StepWriter.Action.Invoke(inv, label); }

    /** The batch-size test {@code s < limit} ({@code s} counts something per step: multiply-adds, elements). */
    static StepWriter.Test below(Sz s, long limit) { return new StepWriter.Test.Below(s.c(), s.p(), limit); }

    private void alias(Node n) {
        int id = n.id();
        switch (n.op()) {
            case Op.Const c -> {
                buffers.constant(id, n.type().dtype(), size(id), c.value());
            }
            default -> {
                int src = n.input(0);
                if (profile == null) calls.add(new StepWriter.Action.Move(src, id));
                else call((buf, step, b) -> buf[id] = buf[src]);
            }
        }
    }

    private void single(Node n) {
        DType dt = n.type().dtype();
        switch (n.op()) {
            case Op.MatMul m -> MatmulCalls.matmul(this, n, m);
            case Op.Reduce r -> ReduceCalls.reduce(this, n, r);
            case Op.SumTo s -> ReduceCalls.sumTo(this, n);
            case Op.Softmax s -> SoftmaxCalls.softmax(this, n, false);
            case Op.LogSoftmax s -> SoftmaxCalls.softmax(this, n, true);
            case Op.SoftmaxXent x -> SoftmaxCalls.xent(this, n);
            case Op.SparseSoftmaxXent x -> SoftmaxCalls.sparseXent(this, n);
            case Op.Gather ga -> RowsCalls.gather(this, n, ga);
            case Op.ScatterAdd s -> RowsCalls.scatterAdd(this, n, s);
            case Op.DedupSum d -> RowsCalls.dedupSum(this, n);
            case Op.FirstOccurrence f -> RowsCalls.firstOccurrence(this, n);
            case Op.ScatterUpdate s -> RowsCalls.scatterUpdate(this, n);
            case Op.ScatterAccumulate s -> RowsCalls.scatterAccumulate(this, n);
            case Op.OneHot o -> RowsCalls.oneHot(this, n, o);
            case Op.Transpose t -> LayoutCalls.transpose(this, n, t);
            case Op.Concat c -> LayoutCalls.concat(this, n, c);
            case Op.Slice s -> LayoutCalls.slice(this, n, s);
            case Op.Pad p -> LayoutCalls.pad(this, n, p);
            case Op.Tile t -> LayoutCalls.tile(this, n, t);
            case Op.BroadcastTo b -> LayoutCalls.broadcastTo(this, n);
            case Op.Cast c -> LayoutCalls.cast(this, n, c);
            case Op.Unary u when !dt.isFloating() -> LayoutCalls.intUnary(this, n, u);
            case Op.Binary bi when !g.type(n.input(0)).dtype().isFloating() -> LayoutCalls.intBinary(this, n, bi);
            case Op.AddN a -> ElementwiseCalls.addN(this, n);
            case Op.DimSize d -> FillCalls.dimSize(this, n, d);
            case Op.RandomNormal r -> FillCalls.randomNormal(this, n, r);
            default -> throw unsupported(n, n.op().mnemonic() + " on " + n.type());
        }
    }

    // ---- shared by the families

    /** Registers node {@code node}'s buffer as written by the current kernel. */
    void out(int node) {
        buffers.node(node, g.type(node).dtype(), size(node), current);
    }

    int[] dims(int node) { return concrete(g.type(node).shape()); }

    /** The dims of {@code s}, with -1 for the symbolic dimension. */
    int[] concrete(Shape s) { return s.concrete(bindings); }

    Sz size(int node) { return Sz.of(dims(node)); }

    /** A size that must not depend on the symbolic dimension (else the symbolic build falls back). */
    static int fixed(Sz s) {
        if (s.p() != 0) throw new Fallback();
        return Math.toIntExact(s.c());
    }

    static int fixedDim(int d) {
        if (d < 0) throw new Fallback();
        return d;
    }

    boolean isLong(int node) { return g.type(node).dtype() == DType.I64; }

    static void requireFloating(Node n) { if (!n.type().dtype().isFloating()) throw unsupported(n, n.type() + " values"); }


    static DescentException unsupported(Node n, String what) {
        return new DescentException("the compiled backend does not support " + what + " yet (%" + n.id() + " "
                + n.op().mnemonic() + "); use --backend interpreter");
    }
}
