package descent.compiler.backend;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
import descent.compiler.emit.Step;
import descent.compiler.emit.StepHooks;
import descent.compiler.emit.StepWriter;
import descent.compiler.lower.Lowering;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A lowered plan made runnable, and the loop that runs it. Every kernel becomes a call of a generated kernel
 * once ({@link KernelCalls}) over buffers planned by lifetime ({@link BufferPlan}). With a symbolic dimension
 * left symbolic ({@code symbol}), kernels take its size per call and each thread's buffers are sized for the
 * largest batch it has run, grown by reallocation when a larger one arrives; without one, everything is
 * specialised to the bindings. {@link #run} executes the calls in plan order through a generated class
 * ({@link StepWriter}: straight-line bytecode, one call site per kernel); a state write copies the new value
 * into the state array after saving the old contents in per-thread backup arrays, so a failing step is
 * undone, and use_locking state is updated holding its locks.
 *
 * <p>A write the lowering marked in place ({@link Kernel.Write#inPlace}) is direct when nothing after its
 * kernel can fail and its variable is not fetched: the kernel then stores straight into the state array (an
 * optimizer update moves each element once, with no buffer, backup or copy). Only kernels that check indices
 * or labels can fail on a validated call, so "nothing after it can fail" is decided from the kernel list.
 *
 * <p>With two threads or more, independent products of the step run at once ({@link BranchPairs},
 * {@link BranchFork}); the kernel list is then the plan's with the second product of each pair moved up.
 */
final class Executable implements StepHooks {
    /** A state write; {@code direct}: its kernel already stored the value into the state array. */
    record WriteAction(String state, int value, int index, boolean direct) {}

    /** Per-thread state: the buffers for capacity {@code cap}, and the backups of written state. */
    static final class Ctx {
        Object[] buf;
        int cap = -1;
        int b;
        /** Whether this thread holds the use_locking locks (between the step's lock and unlock). */
        boolean held;
        final Object[] backups;
        final boolean[] saved;
        /** The state and locks of the step running (set for its duration). */
        Map<String, Object> state;
        Map<String, ReentrantReadWriteLock> locks;
        /** By fork id: this thread's view of each fork of the step ({@link #fork}), made at its first run. */
        final ForkParts[] forks;
        Ctx(int writes, int forks) { backups = new Object[writes]; saved = new boolean[writes]; this.forks = new ForkParts[forks]; }
    }

    /**
     * The calls in plan order: {@link KernelCalls.Call}s, {@link descent.compiler.emit.Invocation}s, moves
     * ({@link StepWriter.Action.Move}) and {@link WriteAction}s.
     */
    private final Object[] actions;
    /**
     * The generated class that runs {@link #actions} in order ({@link StepWriter}), defined by the first run: an
     * executable built only to record its kernels ({@link KernelRecording}) never needs one.
     */
    private volatile Step body;
    private final List<StepWriter.Action> kinds;
    private final BufferPlan buffers;
    /** The symbolic dimension left symbolic, or null. */
    final String symbol;
    private final ThreadLocal<Ctx> contexts;
    /** Distinct written states, in order of first write. */
    private final List<String> written;
    /** For variable node ids: the index of its state in {@link #written}, or -1. */
    private final int[] writtenIndex;

    /** The threads the step's forks run their parts on. */
    private final StepThreads threads;

    /** How many pairs of products run at once ({@link BranchPairs}). */
    final int forks;

    /** Per-kernel timers when profiling is on ({@link StepProfile}), else null. */
    final StepProfile profile;

    /** Actions [lockFrom, lockTo] run holding the locks of {@link #lockedState} (use_locking). */
    private int lockFrom = -1, lockTo = -1;
    private final List<String> lockedState;

    /** Leaves the single dimension {@code symbol} symbolic. */
    static Executable symbolic(Graph g, Lowering.Program program, String symbol, Set<String> locked, List<Integer> fetches,
                               StepThreads threads) {
        return new Executable(g, program, Map.of(symbol, -1), locked, fetches, symbol, threads);
    }

    Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, Set<String> locked, List<Integer> fetches,
               StepThreads threads) {
        this(g, program, bindings, locked, fetches, null, threads);
    }

    /**
     * {@code locked}: state whose updates must be atomic across threads. The actions from the first one that
     * reads any of it to the last write of it run holding its locks, taken in name order (no deadlock).
     */
    private Executable(Graph g, Lowering.Program program, Map<String, Integer> bindings, Set<String> locked,
                       List<Integer> fetches, String symbol, StepThreads threads) {
        this.symbol = symbol;
        this.written = new ArrayList<>();
        this.lockedState = new TreeSet<>(locked).stream().toList();
        this.writtenIndex = new int[g.size()];
        Arrays.fill(writtenIndex, -1);
        this.buffers = new BufferPlan(g.size());
        List<Object> actions = new ArrayList<>();
        KernelCalls calls = new KernelCalls(g, bindings, symbol, buffers, actions, threads);
        this.profile = calls.profile;
        BranchPairs pairs = BranchPairs.of(g, program.kernels(), threads.threads(), !locked.isEmpty(), bindings);
        List<Kernel> kernels = pairs.kernels();
        calls.lookAhead(kernels);
        this.forks = pairs.count();
        int lastFallible = lastFallible(g, kernels);
        Map<String, Long> writeCounts = new java.util.HashMap<>();
        for (Kernel k : kernels) if (k instanceof Kernel.Write w) writeCounts.merge(w.state(), 1L, Long::sum);
        int pairStart = 0, fallibleEnd = -1;
        List<String> labels = new ArrayList<>();
        List<Integer> directValues = new ArrayList<>();
        List<String> directStates = new ArrayList<>();
        for (int ki = 0; ki < kernels.size(); ki++) {
            Kernel k = kernels.get(ki);
            int start = actions.size();
            calls.add(k, ki);
            if (ki > 0 && pairs.withNext()[ki - 1]) {
                // The pair's calls become one call that runs the two products at once.
                List<Object> both = actions.subList(pairStart, actions.size());
                Kernel before = kernels.get(ki - 1);
                Sz rowsOfW = BranchPairs.readsRowsOfW(g, before) ? BranchPairs.macs(g, before, bindings)
                        : BranchPairs.readsRowsOfW(g, k) ? BranchPairs.macs(g, k, bindings) : null;
                String pairLabel = "pair_" + label(before) + "_" + label(k);
                List<StepWriter.Action> first = asActions(both.subList(0, start - pairStart), pairLabel + "_a"),
                        second = asActions(both.subList(start - pairStart, both.size()), pairLabel + "_b");
                StepWriter.Action pair = BranchFork.action(first, second, BranchPairs.macs(g, before, bindings),
                        BranchPairs.macs(g, k, bindings), rowsOfW);
                Object fork = profile == null ? pair : KernelCalls.asCall(pair, threads);
                both.clear();
                actions.add(fork);
            }
            pairStart = start;
            String label = ki > 0 && pairs.withNext()[ki - 1] ? "pair_" + label(kernels.get(ki - 1)) + "_" + label(k) : label(k);
            while (labels.size() > actions.size()) labels.removeLast();
            while (labels.size() < actions.size()) labels.add(label);
            if (ki > 0 && pairs.withNext()[ki - 1]) labels.set(actions.size() - 1, label);
            if (k instanceof Kernel.Write w) {
                int wi = written.indexOf(w.state());
                if (wi < 0) { wi = written.size(); written.add(w.state()); }
                int producer = ki;
                while (producer >= 0 && kernels.get(producer) instanceof Kernel.Write) producer--;
                // A row update of a value the fused kernel before it made (Lowering.inPlace): that value lives in
                // the state's storage too, so the fused loop stores there and the rows are added in place.
                int base = producer >= 0 && kernels.get(producer) instanceof Kernel.Single s && Lowering.isRowUpdate(g.node(s.node()))
                        && g.node(s.node()).input(0) != variableNode(g, w.state()) ? g.node(s.node()).input(0) : -1;
                boolean direct = w.inPlace() && (base < 0 ? producer : producer - 1) > lastFallible && writeCounts.get(w.state()) == 1
                        && !fetchesState(g, fetches, variableNode(g, w.state()));
                if (direct) { directValues.add(w.value()); directStates.add(w.state()); }
                if (direct && base >= 0) { directValues.add(base); directStates.add(w.state()); }
                actions.add(new WriteAction(w.state(), w.value(), wi, direct));
            }
            if (!locked.isEmpty() && touchesLocked(g, k, locked)) {
                int lastAction = actions.size() - 1;
                if (k instanceof Kernel.Write) lockTo = lastAction;
                if (lockFrom < 0 && lastAction >= 0) lockFrom = lastAction;
            }
            if (ki == lastFallible) fallibleEnd = actions.size() - 1;
        }
        // A kernel that fails after the last locked write makes run() restore that write from its backup: the locks
        // are held until then, or the restore would overwrite what other threads' steps wrote meanwhile.
        if (lockTo >= 0 && fallibleEnd > lockTo) lockTo = fallibleEnd;
        for (Node n : g.nodes()) {
            if (n.op() instanceof Op.Variable v && written.contains(v.name())) writtenIndex[n.id()] = written.indexOf(v.name());
        }
        // A reshape or identity of written state is that state's array (a move): fetched, it is the old value too.
        for (Kernel k : kernels) if (k instanceof Kernel.Alias a) writtenIndex[a.node()] = writtenIndex[g.sameArray(a.node())];
        buffers.plan(g, kernels, fetches, pairs.time());
        this.actions = actions.toArray();
        this.kinds = stepActions(this.actions, labels);
        this.directValues = directValues.stream().mapToInt(Integer::intValue).toArray();
        this.directStates = directStates.toArray(String[]::new);
        int writes = written.size(), forkCount = StepWriter.forks(this.kinds);
        this.threads = threads;
        contexts = ThreadLocal.withInitial(() -> new Ctx(writes, forkCount));
    }

    /**
     * An executable as data, everything {@link #run} needs and nothing of the graph it was lowered from: what a model
     * jar carries ({@link CarriedExecutables}). {@code actions}: {@link WriteAction}s, {@link descent.compiler.emit.Invocation}s
     * and step actions, which {@code kinds} names for the step class.
     */
    record Parts(Object[] actions, List<StepWriter.Action> kinds, BufferPlan buffers, String symbol, List<String> written,
                 int[] writtenIndex, int lockFrom, int lockTo, List<String> lockedState, int[] directValues, String[] directStates,
                 int forks) {}

    /** This executable as data (null while profiling: its closures time kernels and are not data). */
    Parts parts() {
        if (profile != null) return null;
        return new Parts(actions.clone(), kinds, buffers, symbol, List.copyOf(written), writtenIndex.clone(), lockFrom, lockTo,
                lockedState, directValues.clone(), directStates.clone(), forks);
    }

    /**
     * The executable {@code p} describes, running its forks on {@code threads}; {@code step} runs its actions (a
     * model class's segment), or null to make its step class when first run.
     */
    Executable(Parts p, StepThreads threads, Step step) {
        this.body = step;
        this.actions = p.actions().clone();
        this.kinds = List.copyOf(p.kinds());
        this.buffers = p.buffers();
        this.symbol = p.symbol();
        this.written = new ArrayList<>(p.written());
        this.writtenIndex = p.writtenIndex().clone();
        this.lockFrom = p.lockFrom();
        this.lockTo = p.lockTo();
        this.lockedState = List.copyOf(p.lockedState());
        this.directValues = p.directValues().clone();
        this.directStates = p.directStates().clone();
        this.forks = p.forks();
        this.profile = null;
        this.threads = threads;
        int writes = written.size(), forkCount = StepWriter.forks(kinds);
        contexts = ThreadLocal.withInitial(() -> new Ctx(writes, forkCount));
    }

    /** Whether kernel {@code k} reads or writes state of {@code locked}: the lock range runs from the first to the last write. */
    private static boolean touchesLocked(Graph g, Kernel k, Set<String> locked) {
        return switch (k) {
            case Kernel.Write w -> locked.contains(w.state());
            case Kernel.Fused f -> readsLocked(g, f.nodes(), locked);
            case Kernel.Single s -> readsLocked(g, List.of(s.node()), locked);
            case Kernel.Alias a -> readsLocked(g, List.of(a.node()), locked);
            case Kernel.SparseRows r -> readsLocked(g, r.nodes(), locked);
            case Kernel.ProductUpdate u -> readsLocked(g, Kernel.defines(u), locked);
            case Kernel.ReduceUpdate u -> readsLocked(g, Kernel.defines(u), locked);
            case Kernel.MatmulEpilogue e -> readsLocked(g,
                    java.util.stream.Stream.concat(java.util.stream.Stream.of(e.matmul()), e.nodes().stream()).toList(), locked);
            case Kernel.Barrier b -> false;
        };
    }

    /** What the step class does for each action (a direct write: nothing; closures and invocations: named by {@code labels}). */
    private static List<StepWriter.Action> stepActions(Object[] actions, List<String> labels) {
        List<StepWriter.Action> kinds = new ArrayList<>();
        for (Object a : actions) {
            kinds.add(switch (a) {
                case WriteAction w when w.direct() -> new StepWriter.Action.None();
                case WriteAction w -> new StepWriter.Action.Write();
                case descent.compiler.emit.Invocation v -> new StepWriter.Action.Invoke(v, labels.get(kinds.size()));
                case StepWriter.Action.Move m -> m;
                case StepWriter.Action.Choose x -> x;
                case StepWriter.Action.Fork x -> x;
                default -> new StepWriter.Action.Call((KernelCalls.Call) a, labels.get(kinds.size()));
            });
        }
        return List.copyOf(kinds);
    }

    /** The calls of one kernel (closures, invocations, moves) as step actions named {@code label}. */
    private static List<StepWriter.Action> asActions(List<Object> calls, String label) {
        return calls.stream().map(a -> switch (a) {
            case descent.compiler.emit.Invocation v -> (StepWriter.Action) new StepWriter.Action.Invoke(v, label);
            case StepWriter.Action x -> x;
            default -> new StepWriter.Action.Call((KernelCalls.Call) a, label);
        }).toList();
    }

    /** For direct writes: the value nodes whose buffer is the state array, and those states. */
    private final int[] directValues;
    private final String[] directStates;

    /** Whether {@code fetches} holds variable node {@code var} or a reshape or identity of it (which share its array). */
    private static boolean fetchesState(Graph g, List<Integer> fetches, int var) {
        for (int f : fetches) if (g.sameArray(f) == var) return true;
        return false;
    }

    private static int variableNode(Graph g, String state) {
        for (Node n : g.nodes()) if (n.op() instanceof Op.Variable v && v.name().equals(state)) return n.id();
        return -1;
    }

    /**
     * The index of the last kernel that can fail on a call whose feeds were validated, or -1. Such kernels
     * check indices (gather, scatter, dedup) or labels (sparse softmax cross entropy) as they run (integer
     * kernels have no division). A row kernel whose indices an earlier kernel already checked against no more
     * rows cannot fail.
     */
    /** Whether a kernel of {@code op} checks indices or labels, so can fail on a validated call ({@link #lastFallible}). */
    static boolean canFail(Op op) {
        return switch (op) {
            case Op.Gather ga -> true;
            case Op.ScatterUpdate u -> true;
            case Op.ScatterAccumulate a -> true;
            case Op.ScatterAdd a -> true;
            case Op.DedupSum d -> true;
            case Op.FirstOccurrence f -> true;
            case Op.SparseSoftmaxXent x -> true;
            default -> false;
        };
    }

    private static int lastFallible(Graph g, List<Kernel> kernels) {
        Map<Integer, Long> checked = new java.util.HashMap<>(); // indices node -> fewest rows it was checked against
        int last = -1;
        for (int ki = 0; ki < kernels.size(); ki++) {
            if (kernels.get(ki) instanceof Kernel.SparseRows r) {
                // Reads and writes rows of its variables at the indices: a gather's check.
                long rows = Long.MAX_VALUE;
                for (int u : r.scatters()) rows = Math.min(rows, staticDim(g, g.node(u).input(0), 0));
                for (int ga : r.gathers()) rows = Math.min(rows, staticDim(g, g.node(ga).input(0), 0));
                Long done = checked.get(r.indices());
                if (done != null && done <= rows) continue;
                last = ki;
                checked.merge(r.indices(), rows, Math::min);
                continue;
            }
            if (!(kernels.get(ki) instanceof Kernel.Single s)) continue;
            Node n = g.node(s.node());
            int indices;
            long rows;
            switch (n.op()) {
                case Op.Gather ga -> { indices = n.input(1); rows = staticDim(g, n.input(0), ga.axis()); }
                case Op.ScatterUpdate u -> { indices = n.input(1); rows = staticDim(g, n.input(0), 0); }
                case Op.ScatterAccumulate a -> { indices = n.input(1); rows = staticDim(g, n.input(0), 0); }
                case Op.ScatterAdd a -> { indices = n.input(1); rows = staticDim(g, n.id(), a.axis()); }
                case Op.DedupSum d -> { indices = n.input(1); rows = idRows(g, indices); }
                case Op.FirstOccurrence f -> { indices = n.input(0); rows = idRows(g, indices); }
                case Op.SparseSoftmaxXent x -> { indices = -1; rows = -1; }
                default -> { continue; }
            }
            Long done = indices < 0 ? null : checked.get(indices);
            if (rows >= 0 && done != null && done <= rows) continue;
            last = ki;
            if (rows >= 0) checked.merge(indices, rows, Math::min);
        }
        return last;
    }

    private static long idRows(Graph g, int indices) {
        Node source = RowsCalls.idSource(g, indices);
        return source == null ? -1 : staticDim(g, source.input(0), 0);
    }

    /** Dimension {@code axis} of node {@code id}, or -1 when it is symbolic. */
    private static long staticDim(Graph g, int id, int axis) {
        var d = g.type(id).shape().dim(axis);
        return d.isSymbolic() ? -1 : d.size();
    }

    private static boolean readsLocked(Graph g, List<Integer> nodes, Set<String> locked) {
        for (int n : nodes) {
            for (int in : g.node(n).inputs()) {
                if (g.node(in).op() instanceof Op.Variable v && locked.contains(v.name())) return true;
            }
        }
        return false;
    }

    /** Bytes of the node buffers a thread allocates at batch size {@code b}: {one array per node, planned by lifetime}. */
    long[] bufferBytes(int b) { return buffers.bytes(b); }

    /** This thread's context with buffers for batch size {@code b} (0 without a symbol); grows them when needed. */
    Ctx context(int b) {
        Ctx c = contexts.get();
        if (c.buf == null || b > c.cap) {
            c.buf = buffers.allocate(b);
            c.cap = b;
        }
        c.b = b;
        return c;
    }

    /**
     * Runs the kernels over {@code c} (its leaves already set). On failure the written state is restored
     * from the backups and the exception rethrown.
     */
    void run(Ctx c, Map<String, Object> state, long step, Map<String, ReentrantReadWriteLock> locks) {
        if (profile != null) profile.step();
        Object[] buf = c.buf;
        Arrays.fill(c.saved, false);
        c.state = state;
        c.locks = locks;
        for (int i = 0; i < directValues.length; i++) buf[directValues[i]] = state.get(directStates[i]);
        try {
            Step b = body;
            // Two threads racing here may each define a class; both run the same actions, and one is kept.
            if (b == null) body = b = StepWriter.define(kinds, lockFrom, lockTo, Kernels::stepClass);
            b.run(this, c, buf, step, c.b);
        } catch (RuntimeException | Error e) {
            boolean[] saved = c.saved;
            for (int i = 0; i < saved.length; i++) {
                if (saved[i]) {
                    Object target = state.get(written.get(i));
                    System.arraycopy(c.backups[i], 0, target, 0, Array.getLength(target));
                    saved[i] = false;
                }
            }
            throw e;
        } finally {
            if (c.held) unlock(c);
            c.state = null;
            c.locks = null;
        }
    }

    /** A kernel's name in the step class: its kind and the node it computes. */
    private static String label(Kernel k) {
        return switch (k) {
            case Kernel.Fused f -> "fused_" + (f.results().isEmpty() ? "none" : f.results().getFirst());
            case Kernel.Single s -> "single_" + s.node();
            case Kernel.MatmulEpilogue e -> "matmul_" + e.matmul();
            case Kernel.ProductUpdate u -> "matmul_update_" + u.product();
            case Kernel.ReduceUpdate u -> "reduce_update_" + u.reduction();
            case Kernel.SparseRows r -> "rows_" + r.indices();
            case Kernel.Alias a -> "alias_" + a.node();
            case Kernel.Write w -> "write_" + w.state();
            case Kernel.Barrier b -> "barrier";
        };
    }

    /** The bytes of the generated step class (for golden tests: the calls come as class data, not in the bytes). */
    byte[] stepClassFile() { return StepWriter.classFile(kinds, lockFrom, lockTo); }

    /** What the step class runs, in order. */
    List<StepWriter.Action> stepActions() { return kinds; }

    /** A state write through its buffer: the old value saved once per step (for undo), then the new one copied in. */
    @Override public void write(Object ctx, int action) {
        Ctx c = (Ctx) ctx;
        WriteAction w = (WriteAction) actions[action];
        Object target = c.state.get(w.state());
        int n = Array.getLength(target);
        if (!c.saved[w.index()]) {
            Object bk = c.backups[w.index()];
            if (bk == null) c.backups[w.index()] = bk = copy(target);
            else System.arraycopy(target, 0, bk, 0, n);
            c.saved[w.index()] = true;
        }
        System.arraycopy(c.buf[w.value()], 0, target, 0, n);
    }

    /** Takes the use_locking locks, in name order (so two steps never deadlock). */
    @Override public void lock(Object ctx) {
        Ctx c = (Ctx) ctx;
        for (int s = 0; s < lockedState.size(); s++) c.locks.get(lockedState.get(s)).writeLock().lock();
        c.held = true;
    }

    @Override public void unlock(Object ctx) {
        Ctx c = (Ctx) ctx;
        for (int i = lockedState.size() - 1; i >= 0; i--) c.locks.get(lockedState.get(i)).writeLock().unlock();
        c.held = false;
    }

    /** Runs a fork's parts on this executable's threads. */
    @Override public void fork(Object ctx, Step step, int fork, int parts, Object[] buf, long n, int b) {
        ForkParts[] forks = ((Ctx) ctx).forks;
        ForkParts f = forks[fork];
        if (f == null) forks[fork] = f = new ForkParts(fork);
        f.run(threads, step, this, ctx, parts, buf, n, b);
    }

    /** The value of fetched node {@code id} after {@link #run}: a written variable's old value. */
    Object fetched(Ctx c, int id) {
        int wi = writtenIndex[id];
        if (wi >= 0 && c.saved[wi]) return c.backups[wi];
        return c.buf[id];
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

    static Object copy(Object a) { return copy(a, Array.getLength(a)); }
}
