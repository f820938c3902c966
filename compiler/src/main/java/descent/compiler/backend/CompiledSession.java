package descent.compiler.backend;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Session;
import descent.compiler.ir.Grad;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Plan;
import descent.compiler.schedule.Scheduler;
import descent.compiler.train.ApplyHalf;
import descent.runtime.DescentException;
import descent.runtime.Initializers;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import descent.runtime.api.Gradient;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.StateSpec;
import descent.runtime.api.TrainSpec;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runtime API over compiled executables: state held as primitive arrays, updated in place by the generated
 * kernels. A call validates its feeds first; if a kernel still fails (an index out of range), the state arrays
 * it wrote are restored. Executables are built once per (plan, fetches) and shared by the session's threads;
 * repeated train calls take the allocation-free {@link PreparedStep} path.
 */
final class CompiledSession implements TrainingSession {
    private final Model model;
    private final ModelSignature signature;
    private final Map<String, Object> state = new LinkedHashMap<>();
    private final Map<String, Executable> executables = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Executables built for one binding of the symbols (several symbols bound, or a kernel that needs a concrete
     * size), the {@value #PER_BINDING} used last: sizes that change from call to call (IndexedSlices given to
     * applyGradients at lengths of their own, de-duplicated) each build one, and would otherwise all be kept.
     */
    private final Map<String, Executable> perBinding = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override protected boolean removeEldestEntry(Map.Entry<String, Executable> eldest) { return size() > PER_BINDING; }
            });
    private static final int PER_BINDING = 64;

    /** Every executable kept, symbolic or per binding. */
    /** How many executables this session has built (tests). */
    int executableCount() { return allExecutables().size(); }

    private Map<String, Executable> allExecutables() {
        Map<String, Executable> all = new java.util.TreeMap<>(executables);
        synchronized (perBinding) { all.putAll(perBinding); }
        return all;
    }
    /**
     * One lock per state variable, for optimizers with use_locking=true: a step writes its locked state holding their
     * write locks; when any step locks, reading state (get, state, save, evaluations) takes the read locks and setting it
     * (set, restore) the write locks, all in name order, so each sees or replaces a locked update whole.
     */
    private final Map<String, java.util.concurrent.locks.ReentrantReadWriteLock> locks = new HashMap<>();
    /** The state names in lock order; empty when no train step uses locking (nothing to wait for then). */
    private final String[] lockOrder;
    private final StepCounter steps = new StepCounter();

    /** The threads a step may use (the calling one included). */
    private final StepThreads threads;

    /**
     * When set, a call validates its feeds and builds its executable (emitting the kernels it uses) but runs
     * nothing and returns no values: what {@link KernelArchive} records a model jar's kernels with.
     */
    private volatile boolean buildOnly;

    /** This session, made to build its calls' executables without running them ({@link #buildOnly}). */
    CompiledSession buildingOnly() {
        buildOnly = true;
        return this;
    }

    /** Executables a model jar carries for this session's model, taken instead of lowering those calls. */
    private final CarriedExecutables carried;

    /** How many executables this JVM has lowered (tests: a model jar's recorded calls lower none). */
    private static final java.util.concurrent.atomic.AtomicLong LOWERED = new java.util.concurrent.atomic.AtomicLong();

    static long lowered() { return LOWERED.get(); }

    CompiledSession(Model model, ModelSignature signature, long seed, int threads, CarriedExecutables carried) {
        this.model = model;
        this.carried = carried;
        this.threads = threads == 1 ? StepThreads.SINGLE : new StepThreads(threads);
        this.signature = signature;
        for (Model.VariableInfo v : model.variables()) {
            int[] shape = v.type().shape().concrete(Map.of());
            state.put(v.name(), Initializers.materialize(v.init(), v.type().dtype(), shape, seed, v.name()).data());
            locks.put(v.name(), new java.util.concurrent.locks.ReentrantReadWriteLock());
        }
        boolean locking = model.trains().stream().anyMatch(t -> !t.lockedState().isEmpty());
        lockOrder = locking ? new java.util.TreeSet<>(locks.keySet()).toArray(String[]::new) : new String[0];
    }

    /** Read locks of every state variable, in name order (when any step uses locking); {@link #readUnlock} after. */
    private void readLock() { for (String n : lockOrder) locks.get(n).readLock().lock(); }

    private void readUnlock() { for (int i = lockOrder.length - 1; i >= 0; i--) locks.get(lockOrder[i]).readLock().unlock(); }

    private void writeLock() { for (String n : lockOrder) locks.get(n).writeLock().lock(); }

    private void writeUnlock() { for (int i = lockOrder.length - 1; i >= 0; i--) locks.get(lockOrder[i]).writeLock().unlock(); }

    @Override public ModelSignature signature() { return signature; }

    @Override public Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches) {
        if (train == null) model.requireTrain(null);   // null is the evaluations' marker here, not a train block
        List<String> run = orLoss(train, fetches);
        if (run.size() == fetches.size()) return call(train, feeds, fetches, null);
        call(train, feeds, run, null);
        return new LinkedHashMap<>();
    }

    /**
     * The fetches a train call runs with: a call that fetches nothing runs the step that fetches its loss (when the
     * block minimizes a named scalar, as the typed façade fetches it, and computing it needs no input and no op that
     * can fail beyond what the updates need: {@link #lossIsFree}) and drops it. One executable, and in a model jar
     * one step class, then serves both calls, for the price of the loss's last reduction (TF's train op alone would
     * skip it). {@code fetches} itself otherwise.
     */
    private List<String> orLoss(String train, List<String> fetches) {
        if (train == null || !fetches.isEmpty()) return fetches;
        List<String> loss = lossFetches.get(train);
        if (loss == null) {
            TrainStep step = model.train(train);
            if (step == null) return fetches;
            String name = noFetchLoss(model, step);
            loss = name == null ? List.of() : List.of(name);
            lossFetches.put(train, loss);
        }
        return loss;
    }

    /** The loss a train call of {@code t} that fetches nothing fetches instead ({@link #orLoss}), or null. */
    static String noFetchLoss(Model m, TrainStep t) {
        String name = lossName(m, t);
        return name != null && lossIsFree(m, t) ? name : null;
    }

    /**
     * Whether computing {@code t}'s loss, beyond what its updates compute, reads no input and runs nothing that can
     * fail on a bad index or label: then fetching it changes nothing but the work, as a TF train op run alone.
     */
    static boolean lossIsFree(Model m, TrainStep t) {
        Graph g = m.graph();
        BitSet updates = needed(m, Scheduler.schedule(m, t, List.of()), List.of(), Set.of(), Set.of());
        BitSet extra = new BitSet();
        if (!updates.get(t.lossNode())) extra.set(t.lossNode());
        for (int id = t.lossNode(); id >= 0; id--) {
            if (!extra.get(id)) continue;
            Node n = g.node(id);
            if (n.op() instanceof Op.Input || Executable.canFail(n.op())) return false;
            for (int in : n.inputs()) if (!updates.get(in)) extra.set(in);
        }
        return true;
    }

    /**
     * The name the typed façade fetches a train step's loss by (a named scalar), or null. Here rather than with the
     * recording that also uses it: a model jar carries this class, and not the jar writer's.
     */
    static String lossName(Model m, TrainStep t) {
        if (t.lossNode() < 0 || m.graph().type(t.lossNode()).rank() != 0) return null;
        for (var e : m.names().entrySet()) if (e.getValue() == t.lossNode()) return e.getKey();
        return null;
    }

    /** By train block: the fetch list a call that fetches nothing runs with ({@link #orLoss}). */
    private final Map<String, List<String>> lossFetches = new java.util.concurrent.ConcurrentHashMap<>();

    /** The arrays a trainInto that fetches nothing passes on when it runs the step that fetches the loss: none. */
    private static final Object[] SKIP_LOSS = {null};

    @Override public Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches) {
        readLock();
        try {
            return call(null, feeds, fetches, null);
        } finally {
            readUnlock();
        }
    }

    /**
     * A train call, or an evaluation when {@code train} is null: on its prepared path once it has one, else on the
     * general path, which reports what is wrong and prepares the call for next time. {@code into}, when not null,
     * is checked once the feeds have bound the sizes and before anything runs.
     */
    private Map<String, Tensor> call(String train, Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        PreparedStep p = buildOnly || into != null ? null : prepared(train, fetches);
        Executable.Ctx ctx = p == null ? null : p.run(model, feeds, state, steps, locks);
        if (ctx != null) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            boolean lock = train != null && p.fetchesState && lockOrder.length > 0;   // evaluations hold them already
            if (lock) readLock();
            try {
                for (int i = 0; i < p.nodeIds.length; i++) {
                    int[] shape = model.graph().type(p.nodeIds[i]).shape().concrete(p.exe.symbol == null ? Map.of() : Map.of(p.exe.symbol, ctx.b));
                    out.put(fetches.get(i), fetched(p.exe, ctx, p.nodeIds[i], shape));
                }
            } finally {
                if (lock) readUnlock();
            }
            return out;
        }
        Map<String, Tensor> result;
        if (train == null) {
            Session.checkFeedNames(model, feeds);
            List<Integer> nodes = Session.fetchNodes(model, fetches, null);
            result = run(model, "eval", Scheduler.evaluation(model, nodes), nodes, feeds, Map.of(), fetches, Set.of(), steps.current(), into);
        } else {
            TrainStep step = requireTrain(train);
            Session.checkFeedNames(model, feeds);
            List<Integer> nodes = Session.fetchNodes(model, fetches, step);
            Plan plan = Scheduler.schedule(model, step, nodes);
            long n = steps.start();
            try {
                result = run(model, "train " + train, plan, nodes, feeds, Map.of(), fetches, step.lockedState(), n, into);
            } catch (RuntimeException | Error e) {
                steps.failed(n); // a failed step is not a step
                throw e;
            }
        }
        preparedOrNew(train, fetches, feeds);
        return result;
    }

    @Override public Map<String, Gradient> computeGradients(String train, Map<String, Tensor> feeds) {
        TrainStep step = requireTrain(train);
        Session.checkFeedNames(model, feeds);
        List<Integer> nodes = new ArrayList<>();
        for (var e : step.gradients()) {
            switch (e.grad()) {
                case Grad.Dense d -> nodes.add(d.node());
                case Grad.Sliced s -> { nodes.add(s.values()); nodes.add(s.indices()); }
                case Grad.None n -> { }
            }
        }
        List<String> names = nodes.stream().map(n -> "%" + n).toList();
        Map<String, Tensor> values;
        readLock();   // the gradients of one state, not of half a locked step
        try {
            values = run("grads " + train, Scheduler.evaluation(model, nodes), nodes, feeds, Map.of(), names, Set.of(), steps.current());
        } finally {
            readUnlock();
        }
        Map<String, Gradient> out = new LinkedHashMap<>();
        for (var e : step.gradients()) {
            switch (e.grad()) {
                case Grad.Dense d -> out.put(e.variable(), new Gradient.Dense(values.get("%" + d.node())));
                case Grad.Sliced s -> out.put(e.variable(), ApplyHalf.flat(values.get("%" + s.values()),
                        values.get("%" + s.indices()), s.denseShape().concrete(Map.of())));
                case Grad.None n -> { }
            }
        }
        return out;
    }

    @Override public void applyGradients(String train, Map<String, Gradient> gradients, Map<String, Tensor> feeds) {
        TrainStep step = requireTrain(train);
        Session.checkFeedNames(model, feeds);
        Applying half = halves.computeIfAbsent(train, k -> Applying.of(model, step));
        ApplyHalf.Given given = half.half().given(train, gradients);
        long n = steps.start();
        try {
            run(half.half().model(), "apply " + train, half.plan(), List.of(), feeds, given.values(), List.of(), step.lockedState(), n, null);
        } catch (RuntimeException | Error e) {
            steps.failed(n); // a failed step is not a step
            throw e;
        }
    }

    /** A train step's apply half and its plan (every call gives the same nodes: all of the step's gradients). */
    private record Applying(ApplyHalf half, Plan plan) {
        static Applying of(Model model, TrainStep step) {
            ApplyHalf half = ApplyHalf.of(model, step);
            return new Applying(half, Scheduler.schedule(half.model(), half.step(), List.of(), half.givenNodes()));
        }
    }

    /** Each train step's apply half, made on its first applyGradients. */
    private final Map<String, Applying> halves = new java.util.concurrent.ConcurrentHashMap<>();

    /** Validates feeds and given values, binds the symbolic dimensions, runs, and undoes the writes on failure. */
    private Map<String, Tensor> run(String what, Plan plan, List<Integer> nodes, Map<String, Tensor> feeds,
                                    Map<Integer, Tensor> given, List<String> fetchNames, Set<String> locked, long step) {
        return run(model, what, plan, nodes, feeds, given, fetchNames, locked, step, null);
    }

    /**
     * {@link #run} on {@code m}, the session's model or one with nodes added to its graph (the apply half);
     * {@code into}, when not null, must be able to take the fetches (checked before anything runs).
     */
    private Map<String, Tensor> run(Model m, String what, Plan plan, List<Integer> nodes, Map<String, Tensor> feeds,
                                    Map<Integer, Tensor> given, List<String> fetchNames, Set<String> locked, long step, Object[] into) {
        Graph g = m.graph();
        Map<String, Integer> bindings = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        given.forEach((id, t) -> Interpreter.checkFeed("%" + id, g.type(id), t, bindings, boundBy));
        BitSet needed = needed(m, plan, nodes, given.keySet(), feeds.keySet());
        Object[] leaves = new Object[g.size()];
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            Node n = g.node(id);
            if (given.containsKey(id)) {
                leaves[id] = given.get(id).data();
            } else if (n.op() instanceof Op.Input in) {
                Tensor t = feeds.get(in.name());
                if (t == null) throw new DescentException("input `" + in.name() + "` (" + n.type() + ") is needed but was not fed");
                Interpreter.checkFeed(in.name(), n.type(), t, bindings, boundBy);
                leaves[id] = t.data();
            } else if (n.op() instanceof Op.Variable v) {
                leaves[id] = state.get(v.name());
            }
        }
        if (into != null) {
            descent.runtime.api.FetchArrays.check(what.equals("eval") ? "evaluateInto" : "trainInto", fetchNames, into, i -> g.type(nodes.get(i)).dtype(),
                    i -> Tensor.elementCount(g.type(nodes.get(i)).shape().concrete(bindings)));
        }
        Executable exe = executable(m, what, plan, nodes, given.keySet(), bindings, locked);
        if (buildOnly) return Map.of();
        int b = exe.symbol == null ? 0 : bindings.get(exe.symbol);
        Executable.Ctx ctx = exe.context(b);
        for (int i = 0; i < leaves.length; i++) if (leaves[i] != null) ctx.buf[i] = leaves[i];
        exe.run(ctx, state, step, locks);
        Map<String, Tensor> out = new LinkedHashMap<>();
        boolean lock = !what.equals("eval") && lockOrder.length > 0 && fetchesState(g, nodes);   // evaluations hold them already
        if (lock) readLock();
        try {
            for (int i = 0; i < nodes.size(); i++) {
                int id = nodes.get(i);
                out.put(fetchNames.get(i), fetched(exe, ctx, id, g.type(id).shape().concrete(bindings)));
            }
        } finally {
            if (lock) readUnlock();
        }
        return out;
    }

    /**
     * Whether a fetch is state's own array (a variable, or a reshape or identity of one), which another thread's
     * use_locking step may be writing: such fetches are copied holding the read locks, as evaluations and reads are.
     */
    static boolean fetchesState(Graph g, List<Integer> nodes) {
        for (int id : nodes) if (g.node(g.sameArray(id)).op() instanceof Op.Variable) return true;
        return false;
    }

    /** A copy of fetched node {@code id} as a tensor of {@code shape}. */
    private static Tensor fetched(Executable exe, Executable.Ctx ctx, int id, int[] shape) {
        return tensor(shape, Executable.copy(exe.fetched(ctx, id), (int) Tensor.elementCount(shape)));
    }

    /** The nodes a plan computes or reads, back to its leaves (given values stand for what computes them). */
    private static BitSet needed(Model m, Plan plan, List<Integer> nodes, Set<Integer> given, Set<String> fed) {
        Graph g = m.graph();
        BitSet needed = new BitSet();
        for (Plan.Step s : plan.steps()) if (s instanceof Plan.Step.Compute c) needed.set(c.node());
        for (int f : nodes) needed.set(f);
        for (int id = g.size() - 1; id >= 0; id--) {
            if (needed.get(id) && !given.contains(id)) for (int in : g.node(id).inputs()) needed.set(in);
        }
        BitSet reads = (BitSet) needed.clone();
        for (int id : given) reads.clear(id);
        Interpreter.addSizeInputs(g, reads, given, fed);
        needed.or(reads);
        return needed;
    }

    /**
     * Time per kernel of every executable that has run since the last {@link #resetProfile()}, when the JVM runs
     * with {@code -Ddescent.profile=true} ({@link StepProfile}); an empty string otherwise.
     */
    String profile() {
        StringBuilder sb = new StringBuilder();
        allExecutables().forEach((key, e) -> {
            String r = e.profile == null ? null : e.profile.report();
            if (r != null) sb.append(key).append(": ").append(r).append('\n');
        });
        return sb.toString();
    }

    /** Starts every executable's profile afresh (after a warm-up, say). */
    void resetProfile() {
        for (Executable e : allExecutables().values()) if (e.profile != null) e.profile.reset();
    }

        /** Pairs of products run at once over the executables built so far (tests). */
    int forks() {
        int n = 0;
        for (Executable e : allExecutables().values()) n += e.forks;
        return n;
    }

    /**
     * The executable for a plan: with exactly one symbolic dimension bound, one for every size of it (kernels
     * take the size per call); otherwise one per binding, as when a kernel needs a concrete size.
     */
    private Executable executable(Model m, String what, Plan plan, List<Integer> nodes, Set<Integer> given, Map<String, Integer> bindings,
                                  Set<String> locked) {
        Graph g = m.graph();
        String base = what + " " + nodes + " " + given + " ";
        if (bindings.size() == 1) {
            String symbol = bindings.keySet().iterator().next();
            String key = base + "symbolic " + symbol;
            if (!concreteOnly.contains(key)) {
                Executable exe = executables.computeIfAbsent(key, k -> {
                    Executable c = carried(m, k);
                    if (c != null) return c;
                    try {
                        LOWERED.incrementAndGet();
                        return Executable.symbolic(g, Lowering.lower(m, plan, nodes), symbol, locked, nodes, threads);
                    } catch (RuntimeException e) {
                        return null;
                    }
                });
                if (exe != null) return exe;
                concreteOnly.add(key);
            }
        }
        String key = base + new java.util.TreeMap<>(bindings);
        if (bindings.isEmpty()) {
            return executables.computeIfAbsent(key, k -> {
                Executable c = carried(m, k);
                if (c != null) return c;
                LOWERED.incrementAndGet();
                return new Executable(g, Lowering.lower(m, plan, nodes), bindings, locked, nodes, threads);
            });
        }
        // Built outside the map's lock, so other threads' calls at other bindings do not wait for it (two threads
        // meeting one new binding at once may each build it; one is kept).
        Executable exe = perBinding.get(key);
        if (exe != null) return exe;
        LOWERED.incrementAndGet();
        Executable built = new Executable(g, Lowering.lower(m, plan, nodes), bindings, locked, nodes, threads);
        exe = perBinding.putIfAbsent(key, built);
        return exe != null ? exe : built;
    }

    /**
     * The executable a model jar carries for {@code key} (on this session's thread count), or null: only for the
     * session's own model (not an apply half's) and not while profiling, whose executables time their kernels.
     */
    private Executable carried(Model m, String key) {
        if (m != model || StepProfile.enabled()) return null;
        return carried.get(CarriedExecutables.key(threads.threads(), key), threads);
    }

    /**
     * The executables built so far that a model jar can carry, as data, by {@link CarriedExecutables#key}
     * (recording: {@link KernelRecording}).
     */
    Map<String, Executable.Parts> carriable() {
        Map<String, Executable.Parts> parts = new java.util.TreeMap<>();
        executables.forEach((key, exe) -> {
            Executable.Parts p = exe.parts();
            if (p != null) parts.put(CarriedExecutables.key(threads.threads(), key), p);
        });
        return parts;
    }

    /**
     * The executables built per binding so far, as data (not carried: a loaded jar lowers them for the bindings it
     * meets), for recording their step classes.
     */
    List<Executable.Parts> perBindingParts() {
        synchronized (perBinding) {
            return perBinding.values().stream().map(Executable::parts).filter(java.util.Objects::nonNull).toList();
        }
    }

    /** Keys of plans a symbolic executable could not be built for. */
    private final Set<String> concreteOnly = java.util.concurrent.ConcurrentHashMap.newKeySet();

    // ---- the prepared, allocation-free path for repeated steps

    private volatile PreparedStep[] prepared = new PreparedStep[0];

    private PreparedStep prepared(String train, List<String> fetches) {
        for (PreparedStep p : prepared) if (p.matches(train, fetches)) return p;
        return null;
    }

    /**
     * Resolves a train call once (after a general call has built its executable); null when its executable is
     * one per binding (several symbolic dimensions or a kernel needing a concrete size).
     */
    private PreparedStep prepare(String train, List<String> fetches, Map<String, Tensor> feeds) {
        TrainStep step = train == null ? null : requireTrain(train);
        List<Integer> nodes = Session.fetchNodes(model, fetches, step);
        Plan plan = step == null ? Scheduler.evaluation(model, nodes) : Scheduler.schedule(model, step, nodes);
        Graph g = model.graph();
        BitSet needed = needed(model, plan, nodes, Set.of(), feeds.keySet());
        // A step sized by whichever inputs are fed (Interpreter.addSizeInputs) depends on the feeds' names: the general
        // path decides per call.
        if (!needed.equals(needed(model, plan, nodes, Set.of(), Set.of()))) return null;
        List<Integer> inputs = new ArrayList<>(), vars = new ArrayList<>();
        Set<String> symbols = new java.util.TreeSet<>();
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            Node n = g.node(id);
            if (n.op() instanceof Op.Input) {
                inputs.add(id);
                for (var d : n.type().shape().dims()) if (d.isSymbolic()) symbols.add(d.symbol());
            } else if (n.op() instanceof Op.Variable) {
                vars.add(id);
            }
        }
        if (symbols.size() > 1) return null;
        Map<String, Integer> bindings = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        for (int id : inputs) {
            Op.Input in = (Op.Input) g.node(id).op();
            Tensor t = feeds.get(in.name());
            if (t == null) return null;
            Interpreter.checkFeed(in.name(), g.type(id), t, bindings, boundBy);
        }
        Executable exe = step == null ? executable(model, "eval", plan, nodes, Set.of(), bindings, Set.of())
                : executable(model, "train " + train, plan, nodes, Set.of(), bindings, step.lockedState());
        if (!symbols.isEmpty() && exe.symbol == null) return null;
        int[] inputIds = inputs.stream().mapToInt(Integer::intValue).toArray();
        String[] names = new String[inputIds.length];
        TensorType[] types = new TensorType[inputIds.length];
        for (int i = 0; i < inputIds.length; i++) {
            names[i] = ((Op.Input) g.node(inputIds[i]).op()).name();
            types[i] = g.type(inputIds[i]);
        }
        int[] varIds = vars.stream().mapToInt(Integer::intValue).toArray();
        Object[] varArrays = new Object[varIds.length];
        for (int i = 0; i < varIds.length; i++) varArrays[i] = state.get(((Op.Variable) g.node(varIds[i]).op()).name());
        Sz[] counts = new Sz[nodes.size()];
        for (int i = 0; i < counts.length; i++) counts[i] = Sz.of(g.type(nodes.get(i)).shape());
        return new PreparedStep(train, List.copyOf(fetches), nodes.stream().mapToInt(Integer::intValue).toArray(), exe,
                inputIds, names, types, varIds, varArrays, counts, fetchesState(g, nodes));
    }

    private PreparedStep preparedOrNew(String train, List<String> fetches, Map<String, Tensor> feeds) {
        PreparedStep p = prepared(train, fetches);
        if (p != null) return p;
        if (train != null && model.train(train) == null) return null;
        try {
            p = prepare(train, fetches, feeds);
        } catch (RuntimeException e) {
            return null;   // the general path reports what is wrong
        }
        if (p == null) return null;
        synchronized (this) {
            PreparedStep first = prepared(train, fetches);   // another thread's first call may have prepared it meanwhile
            if (first != null) return first;
            PreparedStep[] old = prepared;
            if (old.length < 64) {
                PreparedStep[] grown = Arrays.copyOf(old, old.length + 1);
                grown[old.length] = p;
                prepared = grown;
            }
        }
        return p;
    }

    /** {@link TrainingSession#trainInto}: once a step is prepared and warm, it allocates nothing. */
    @Override public void trainInto(String train, Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        if (train == null) model.requireTrain(null);
        List<String> run = orLoss(train, fetches);
        if (run.size() != fetches.size() && into.length == 0) into(train, feeds, run, SKIP_LOSS);
        else into(train, feeds, fetches, into);
    }

    /** {@link TrainingSession#evaluateInto}: once an evaluation is prepared and warm, it allocates nothing. */
    @Override public void evaluateInto(Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        readLock();
        try {
            into(null, feeds, fetches, into);
        } finally {
            readUnlock();
        }
    }

    /** trainInto, or evaluateInto when {@code train} is null. */
    private void into(String train, Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        if (into.length != fetches.size()) {
            throw new DescentException((train == null ? "evaluateInto: " : "trainInto: ") + into.length + " arrays for "
                    + fetches.size() + " fetches");
        }
        PreparedStep p = preparedOrNew(train, fetches, feeds);
        int b = p == null ? -1 : p.bind(model, feeds);
        if (b < 0) {
            // The general path reports what is wrong with the feeds, and checks the arrays before it runs anything.
            Map<String, Tensor> out = call(train, feeds, fetches, into);
            for (int i = 0; i < into.length; i++) {
                if (into[i] != null) System.arraycopy(out.get(fetches.get(i)).data(), 0, into[i], 0, out.get(fetches.get(i)).size());
            }
            return;
        }
        for (int i = 0; i < into.length; i++) {   // a loop, not FetchArrays.check's lambdas: this path allocates nothing
            if (into[i] != null) {
                descent.runtime.api.FetchArrays.checkOne(train == null ? "evaluateInto" : "trainInto", fetches.get(i), into[i],
                        model.graph().type(p.nodeIds[i]).dtype(),
                        p.fetchCounts[i].at(b));
            }
        }
        Executable.Ctx ctx = p.run(b, feeds, state, steps, locks);
        // An evaluation holds the read locks already (evaluateInto).
        boolean lock = train != null && p.fetchesState && lockOrder.length > 0;
        if (lock) readLock();
        try {
            for (int i = 0; i < p.nodeIds.length; i++) {
                if (into[i] == null) continue;
                System.arraycopy(p.exe.fetched(ctx, p.nodeIds[i]), 0, into[i], 0, p.fetchCounts[i].at(ctx.b));
            }
        } finally {
            if (lock) readUnlock();
        }
    }

    private static Tensor tensor(int[] shape, Object data) {
        return switch (data) {
            case float[] f -> Tensor.of(f, shape);
            case int[] i -> Tensor.of(i, shape);
            case long[] l -> Tensor.of(l, shape);
            case double[] d -> Tensor.of(d, shape);
            default -> throw new IllegalStateException();
        };
    }

    private TrainStep requireTrain(String train) {
        TrainStep step = model.requireTrain(train);
        if (step.updates().isEmpty()) throw new DescentException("train block `" + train + "` changes no variable");
        return step;
    }

    @Override public Tensor get(String name) {
        Object a = state.get(name);
        if (a == null) throw new DescentException("model " + signature.name() + " has no variable `" + name + "`");
        readLock();
        try {
            return snapshot(name, a);
        } finally {
            readUnlock();
        }
    }

    /** A copy of state {@code name}'s array {@code a} (the caller holds the read locks). */
    private Tensor snapshot(String name, Object a) {
        return tensor(model.graph().type(model.variable(name).node()).shape().concrete(Map.of()), Executable.copy(a));
    }

    @Override public void set(String name, Tensor value) {
        StateSpec spec = signature.state(name);
        if (spec == null) throw new DescentException("model " + signature.name() + " has no variable `" + name + "`");
        if (spec.dtype() != value.dtype() || !Arrays.equals(spec.shape(), value.shape())) {
            throw new DescentException("`" + name + "` is " + spec.dtype() + Tensor.shapeString(spec.shape()) + ", not "
                    + value.dtype() + Tensor.shapeString(value.shape()));
        }
        Object target = state.get(name);
        writeLock();
        try {
            System.arraycopy(value.data(), 0, target, 0, java.lang.reflect.Array.getLength(target));
        } finally {
            writeUnlock();
        }
    }

    @Override public Tensor getSlot(String train, String var, String slotName) {
        model.requireTrain(train);
        TrainSpec t = signature.train(train);
        String s = t.slots().getOrDefault(var, Map.of()).get(slotName);
        return s == null ? null : get(s);
    }

    @Override public Map<String, Tensor> state() {
        readLock();   // one consistent snapshot: no locked update lands between two variables
        try {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var e : state.entrySet()) out.put(e.getKey(), snapshot(e.getKey(), e.getValue()));
            return out;
        } finally {
            readUnlock();
        }
    }

    @Override public long stepCount() { return steps.count(); }

    @Override public void setStepCount(long steps) {
        if (steps < 0) throw new DescentException("a step count cannot be negative: " + steps);
        this.steps.set(steps);
    }

    @Override public void save(Path checkpoint) { SafeTensors.write(checkpoint, state()); }

    @Override public List<String> restore(Path checkpoint) {
        Map<String, Tensor> values = SafeTensors.read(checkpoint);
        List<String> unknown = new ArrayList<>();
        for (var e : values.entrySet()) {
            StateSpec spec = signature.state(e.getKey());
            if (spec == null) { unknown.add(e.getKey()); continue; }
            if (spec.dtype() != e.getValue().dtype() || !Arrays.equals(spec.shape(), e.getValue().shape())) {
                throw new DescentException(checkpoint + ": `" + e.getKey() + "` is " + e.getValue().dtype()
                        + Tensor.shapeString(e.getValue().shape()) + " but the model's variable is " + spec.dtype()
                        + Tensor.shapeString(spec.shape()));
            }
        }
        writeLock();   // restored whole: no locked step sees half of it
        try {
            for (var e : values.entrySet()) if (state.containsKey(e.getKey())) set(e.getKey(), e.getValue());
        } finally {
            writeUnlock();
        }
        return unknown;
    }

    /** The threads this session's steps use (tests). */
    StepThreads threads() { return threads; }

    /** Ends this session's worker threads; its steps run on the caller from now on (same results). */
    @Override public void close() {
        if (threads != StepThreads.SINGLE) threads.close();
    }
}
