package descent.compiler.schedule;

import descent.compiler.ir.Grad;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.TrainStep.GateMode;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Stage "schedule": a train step (and the values to fetch with it) to a {@link Plan}. The order obeys
 * DESIGN.md's "Gating is ordering":
 * <ul>
 * <li>always: data dependencies; a state variable is written only after every computation that reads it
 *     (so every mode gives the same numbers); optimizers' non-slot updates (beta powers) after the
 *     variable and slot updates, and global_step last, as TF's _finish and apply_gradients order them;</li>
 * <li>GATE_OP: the gradients one backward op produces for two or more inputs (an IndexedSlices is one) are
 *     all computed before anything built after them consumes one, as TF's control_flow_ops.tuple orders it;</li>
 * <li>GATE_GRAPH: every final (processed) gradient exists before the first write, marked by a barrier.</li>
 * </ul>
 * Among ready steps, writes go first (they free buffers soonest), then computes in node order.
 */
public final class Scheduler {
    private Scheduler() {}

    /** Evaluation only: the nodes the fetches need, in node order. */
    public static Plan evaluation(Model m, List<Integer> fetches) {
        return schedule(m, null, fetches);
    }

    public static Plan schedule(Model m, TrainStep t, List<Integer> fetches) {
        return schedule(m, t, fetches, Set.of());
    }

    /**
     * As {@link #schedule(Model, TrainStep, List)}, with {@code given} nodes supplied from outside (the
     * gradients of {@code applyGradients}): they and whatever only they need are not computed.
     */
    public static Plan schedule(Model m, TrainStep t, List<Integer> fetches, Set<Integer> given) {
        Graph g = m.graph();
        List<TrainStep.Update> updates = t == null ? List.of() : t.updates();
        GateMode gate = t == null ? GateMode.GATE_OP : t.gate();

        // Steps: computes for needed non-leaf nodes, writes for updates, one barrier for GATE_GRAPH.
        BitSet needed = needed(g, fetches, updates, given);
        List<Plan.Step> steps = new ArrayList<>();
        Map<Integer, Integer> computeStep = new HashMap<>();
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            if (isLeaf(g.node(id)) || given.contains(id)) continue;
            computeStep.put(id, steps.size());
            steps.add(new Plan.Step.Compute(id));
        }
        int firstWrite = steps.size();
        for (TrainStep.Update u : updates) steps.add(new Plan.Step.Write(u.state(), m.variable(u.state()).node(), u.value()));
        int barrier = -1;
        if (t != null && gate == GateMode.GATE_GRAPH && !updates.isEmpty()) {
            barrier = steps.size();
            steps.add(new Plan.Step.Barrier("GATE_GRAPH: every gradient is final before the first update"));
        }

        Dag dag = new Dag(steps, computeStep, firstWrite, updates.size());
        dataEdges(dag, g);
        writeEdges(dag, m, t);
        Set<Integer> gradientNodes = t == null ? Set.of() : finalGradientNodes(t);
        if (barrier >= 0) barrierEdges(dag, barrier, gradientNodes);
        if (t != null && gate == GateMode.GATE_OP) gateOpEdges(dag, g, t);
        return finish(m, t, gate, dag.order(), gradientNodes, fetches);
    }

    /**
     * The steps and the order constraints between them (an edge a → b: step a runs before step b). Steps
     * {@code [firstWrite, firstWrite + writes)} are the writes, in the train step's order of updates.
     */
    private static final class Dag {
        final List<Plan.Step> steps;
        /** By node: the index of the step computing it (inputs and variables have none). */
        final Map<Integer, Integer> computeStep;
        final int firstWrite, writes;
        private final List<List<Integer>> succ = new ArrayList<>();
        private final int[] preds;

        Dag(List<Plan.Step> steps, Map<Integer, Integer> computeStep, int firstWrite, int writes) {
            this.steps = steps;
            this.computeStep = computeStep;
            this.firstWrite = firstWrite;
            this.writes = writes;
            this.preds = new int[steps.size()];
            for (int i = 0; i < steps.size(); i++) succ.add(new ArrayList<>());
        }

        void edge(int a, int b) {
            if (a == b) return;
            succ.get(a).add(b);
            preds[b]++;
        }

        /** An edge from the step computing {@code node}, if one does, to step {@code b}. */
        void edgeFromNode(int node, int b) {
            Integer p = computeStep.get(node);
            if (p != null) edge(p, b);
        }

        Plan.Step.Write write(int i) { return (Plan.Step.Write) steps.get(i); }

        /** List scheduling: among ready steps, writes first (in update order), then the barrier, then computes in node order. */
        List<Plan.Step> order() {
            int s = steps.size();
            int[] waiting = preds.clone();
            PriorityQueue<Integer> ready = new PriorityQueue<>((a, b) -> Long.compare(priority(steps.get(a), a), priority(steps.get(b), b)));
            for (int i = 0; i < s; i++) if (waiting[i] == 0) ready.add(i);
            List<Plan.Step> order = new ArrayList<>();
            while (!ready.isEmpty()) {
                int i = ready.poll();
                order.add(steps.get(i));
                for (int nxt : succ.get(i)) if (--waiting[nxt] == 0) ready.add(nxt);
            }
            if (order.size() != s) {
                List<String> stuck = new ArrayList<>();
                for (int i = 0; i < s; i++) if (waiting[i] > 0) stuck.add(steps.get(i).toString());
                throw new IllegalStateException("the plan's constraints form a cycle among " + stuck);
            }
            return order;
        }
    }

    /** The nodes the fetches and the updates' values need, minus what only {@code given} nodes need. */
    private static BitSet needed(Graph g, List<Integer> fetches, List<TrainStep.Update> updates, Set<Integer> given) {
        BitSet needed = new BitSet(g.size());
        for (int r : fetches) needed.set(r);
        for (TrainStep.Update u : updates) needed.set(u.value());
        for (int id = g.size() - 1; id >= 0; id--) {
            if (needed.get(id) && !given.contains(id)) for (int in : g.node(id).inputs()) needed.set(in);
        }
        return needed;
    }

    private static void dataEdges(Dag dag, Graph g) {
        for (var e : dag.computeStep.entrySet()) {
            for (int in : g.node(e.getKey()).inputs()) dag.edgeFromNode(in, e.getValue());
        }
    }

    /**
     * Writes: after their value, and after every read of the state they overwrite; optimizers' non-slot writes
     * (beta powers) after the variable and slot writes, and global_step's after every other (TF's _finish and
     * apply_gradients order).
     */
    private static void writeEdges(Dag dag, Model m, TrainStep t) {
        if (dag.writes == 0) return;
        Graph g = m.graph();
        Map<Integer, VariableInfo> stateByNode = new HashMap<>();
        for (VariableInfo v : m.variables()) stateByNode.put(v.node(), v);
        // A reshape or identity of state is that state's array in the compiled step (a move, no copy): its readers
        // read the state, so they too come before the write.
        Map<Integer, List<Integer>> readers = new HashMap<>();
        for (var e : dag.computeStep.entrySet()) {
            for (int in : g.node(e.getKey()).inputs()) {
                int state = g.sameArray(in);
                if (stateByNode.containsKey(state)) readers.computeIfAbsent(state, k -> new ArrayList<>()).add(e.getValue());
            }
        }
        List<Integer> varWrites = new ArrayList<>(), nonSlotWrites = new ArrayList<>();
        int globalStepWrite = -1;
        for (int i = dag.firstWrite; i < dag.firstWrite + dag.writes; i++) {
            Plan.Step.Write w = dag.write(i);
            dag.edgeFromNode(w.value(), i);
            for (int r : readers.getOrDefault(w.stateNode(), List.of())) dag.edge(r, i);
            VariableInfo v = stateByNode.get(w.stateNode());
            if (t.globalStep() != null && v.name().equals(t.globalStep())) globalStepWrite = i;
            else if (v.role() == VariableInfo.Role.NON_SLOT) nonSlotWrites.add(i);
            else varWrites.add(i);
        }
        for (int nw : nonSlotWrites) for (int vw : varWrites) dag.edge(vw, nw);
        if (globalStepWrite >= 0) {
            for (int i = dag.firstWrite; i < dag.firstWrite + dag.writes; i++) dag.edge(i, globalStepWrite);
        }
    }

    /** GATE_GRAPH: every final gradient before the barrier, every write after it. */
    private static void barrierEdges(Dag dag, int barrier, Set<Integer> gradientNodes) {
        for (int gn : gradientNodes) dag.edgeFromNode(gn, barrier);
        for (int i = dag.firstWrite; i < dag.firstWrite + dag.writes; i++) dag.edge(barrier, i);
    }

    /**
     * GATE_OP: the gradients one backward op produces for two or more inputs are all computed before what is built
     * after them consumes one. TF gates with control_flow_ops.tuple: what consumes the gated gradients is built
     * after them (later backward ops, aggregation, gradient processing). Nodes built before the group's last
     * gradient — the backward op's own intermediates, and earlier backward ops reading a gradient this op passes
     * through unchanged (y = a + b hands b's gradient on as a's) — read the ungated values, as in TF. Forward uses
     * of a member (an IndexedSlices' indices are a forward value) are not gated either. Writes consume their values too.
     */
    private static void gateOpEdges(Dag dag, Graph g, TrainStep t) {
        Map<Integer, List<Integer>> consumers = consumers(g, dag.computeStep);
        for (TrainStep.GradGroup grp : t.groups()) {
            if (grp.gradNodes().size() < 2) continue;
            int last = grp.gradNodes().stream().mapToInt(Integer::intValue).max().orElseThrow();
            for (int member : grp.gradNodes()) {
                for (int consumer : consumers.getOrDefault(member, List.of())) {
                    int node = stepNode(dag.steps, consumer);
                    if (node < t.firstNode() || node <= last) continue;
                    for (int other : grp.gradNodes()) dag.edgeFromNode(other, consumer);
                }
            }
            for (int i = dag.firstWrite; i < dag.firstWrite + dag.writes; i++) {
                if (grp.gradNodes().contains(dag.write(i).value())) {
                    for (int other : grp.gradNodes()) dag.edgeFromNode(other, i);
                }
            }
        }
    }

    private static int stepNode(List<Plan.Step> steps, int i) {
        return steps.get(i) instanceof Plan.Step.Compute c ? c.node() : -1;
    }

    private static long priority(Plan.Step st, int index) {
        return switch (st) {
            case Plan.Step.Write w -> index;
            case Plan.Step.Barrier b -> 1L << 40;
            case Plan.Step.Compute c -> (2L << 40) + c.node();
        };
    }

    private static boolean isLeaf(Node n) {
        return n.op() instanceof Op.Input || n.op() instanceof Op.Variable;
    }

    private static Map<Integer, List<Integer>> consumers(Graph g, Map<Integer, Integer> computeStep) {
        Map<Integer, List<Integer>> out = new HashMap<>();
        for (var e : computeStep.entrySet()) {
            for (int in : g.node(e.getKey()).inputs()) out.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getValue());
        }
        return out;
    }

    /** The nodes holding the gradients as applied: dense nodes, and the values and indices of IndexedSlices. */
    static Set<Integer> finalGradientNodes(TrainStep t) {
        Set<Integer> out = new java.util.LinkedHashSet<>();
        for (TrainStep.GradientEntry e : t.gradients()) {
            switch (e.grad()) {
                case Grad.Dense d -> out.add(d.node());
                case Grad.Sliced sl -> { out.add(sl.values()); out.add(sl.indices()); }
                case Grad.None none -> { }
            }
        }
        return out;
    }

    /** Buffer lifetimes and peak sizes (symbolic dimensions counted as 1). */
    private static Plan finish(Model m, TrainStep t, GateMode gate, List<Plan.Step> order, Set<Integer> gradientNodes,
                               List<Integer> fetches) {
        Graph g = m.graph();
        int[] lastUse = new int[g.size()];
        java.util.Arrays.fill(lastUse, -1);
        int[] defined = new int[g.size()];
        java.util.Arrays.fill(defined, -1);
        for (int i = 0; i < order.size(); i++) {
            switch (order.get(i)) {
                case Plan.Step.Compute c -> {
                    defined[c.node()] = i;
                    lastUse[c.node()] = Math.max(lastUse[c.node()], i);
                    for (int in : g.node(c.node()).inputs()) if (defined[in] >= 0) lastUse[in] = i;
                }
                case Plan.Step.Write w -> { if (defined[w.value()] >= 0) lastUse[w.value()] = i; }
                case Plan.Step.Barrier b -> { }
            }
        }
        // Fetched values live to the end of the step: the caller reads them afterwards.
        for (int f : fetches) if (defined[f] >= 0) lastUse[f] = order.size() - 1;
        BitSet gradientBuffers = gradientBuffers(g, t, gradientNodes);
        long live = 0, liveGrad = 0, peak = 0, peakGrad = 0;
        long[] free = new long[order.size() + 1], freeGrad = new long[order.size() + 1];
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i) instanceof Plan.Step.Compute c) {
                long bytes = bytes(g.node(c.node()));
                live += bytes;
                free[lastUse[c.node()]] += bytes;
                if (gradientBuffers.get(c.node())) {
                    liveGrad += bytes;
                    freeGrad[lastUse[c.node()]] += bytes;
                }
            }
            peak = Math.max(peak, live);
            peakGrad = Math.max(peakGrad, liveGrad);
            live -= free[i];
            liveGrad -= freeGrad[i];
        }
        return new Plan(t == null ? null : t.name(), gate, t == null ? null : t.aggregation(), List.copyOf(order), lastUse,
                peak, peakGrad);
    }

    /** Gradient buffers: nodes built for the step that the final gradients depend on. */
    private static BitSet gradientBuffers(Graph g, TrainStep t, Set<Integer> gradientNodes) {
        BitSet out = new BitSet();
        if (t == null || t.lossNode() < 0) return out;
        for (int gn : gradientNodes) out.set(gn);
        for (int id = g.size() - 1; id > t.lossNode(); id--) {
            if (out.get(id)) for (int in : g.node(id).inputs()) if (in > t.lossNode()) out.set(in);
        }
        return out;
    }

    static long bytes(Node n) {
        long count = 1;
        for (var d : n.type().shape().dims()) count *= d.isSymbolic() ? 1 : d.size();
        return count * n.type().dtype().byteSize();
    }
}
