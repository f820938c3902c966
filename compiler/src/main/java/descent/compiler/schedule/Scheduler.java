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
        int n = g.size();
        Map<Integer, VariableInfo> stateByNode = new HashMap<>();
        for (VariableInfo v : m.variables()) stateByNode.put(v.node(), v);

        // Steps: computes for needed non-leaf nodes, writes for updates, one barrier for GATE_GRAPH.
        BitSet needed = new BitSet(n);
        List<Integer> roots = new ArrayList<>(fetches);
        List<TrainStep.Update> updates = t == null ? List.of() : t.updates();
        for (TrainStep.Update u : updates) roots.add(u.value());
        for (int r : roots) needed.set(r);
        for (int id = n - 1; id >= 0; id--) {
            if (needed.get(id) && !given.contains(id)) for (int in : g.node(id).inputs()) needed.set(in);
        }

        List<Plan.Step> steps = new ArrayList<>();
        Map<Integer, Integer> computeStep = new HashMap<>();
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            if (isLeaf(g.node(id)) || given.contains(id)) continue;
            computeStep.put(id, steps.size());
            steps.add(new Plan.Step.Compute(id));
        }
        int firstWrite = steps.size();
        for (TrainStep.Update u : updates) {
            VariableInfo v = m.variable(u.state());
            steps.add(new Plan.Step.Write(u.state(), v.node(), u.value()));
        }
        int barrier = -1;
        GateMode gate = t == null ? GateMode.GATE_OP : t.gate();
        if (t != null && gate == GateMode.GATE_GRAPH && !updates.isEmpty()) {
            barrier = steps.size();
            steps.add(new Plan.Step.Barrier("GATE_GRAPH: every gradient is final before the first update"));
        }

        int s = steps.size();
        List<List<Integer>> succ = new ArrayList<>();
        int[] preds = new int[s];
        for (int i = 0; i < s; i++) succ.add(new ArrayList<>());
        java.util.function.BiConsumer<Integer, Integer> edge = (a, b) -> {
            if (a.equals(b)) return;
            succ.get(a).add(b);
            preds[b]++;
        };
        // Data dependencies.
        for (var e : computeStep.entrySet()) {
            for (int in : g.node(e.getKey()).inputs()) {
                Integer p = computeStep.get(in);
                if (p != null) edge.accept(p, e.getValue());
            }
        }
        // Writes: after their value, and after every read of the state they overwrite.
        Map<Integer, List<Integer>> readers = new HashMap<>();
        for (var e : computeStep.entrySet()) {
            for (int in : g.node(e.getKey()).inputs()) {
                if (stateByNode.containsKey(in)) readers.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getValue());
            }
        }
        List<Integer> varWrites = new ArrayList<>(), nonSlotWrites = new ArrayList<>();
        int globalStepWrite = -1;
        for (int i = firstWrite; i < firstWrite + updates.size(); i++) {
            Plan.Step.Write w = (Plan.Step.Write) steps.get(i);
            Integer valueStep = computeStep.get(w.value());
            if (valueStep != null) edge.accept(valueStep, i);
            for (int r : readers.getOrDefault(w.stateNode(), List.of())) edge.accept(r, i);
            VariableInfo v = stateByNode.get(w.stateNode());
            if (t.globalStep() != null && v.name().equals(t.globalStep())) globalStepWrite = i;
            else if (v.role() == VariableInfo.Role.NON_SLOT) nonSlotWrites.add(i);
            else varWrites.add(i);
        }
        for (int nw : nonSlotWrites) for (int vw : varWrites) edge.accept(vw, nw);
        if (globalStepWrite >= 0) {
            for (int i = firstWrite; i < firstWrite + updates.size(); i++) edge.accept(i, globalStepWrite);
        }
        Set<Integer> gradientNodes = t == null ? Set.of() : finalGradientNodes(t);
        if (barrier >= 0) {
            for (int gn : gradientNodes) {
                Integer p = computeStep.get(gn);
                if (p != null) edge.accept(p, barrier);
            }
            for (int i = firstWrite; i < firstWrite + updates.size(); i++) edge.accept(barrier, i);
        }
        if (t != null && gate == GateMode.GATE_OP) {
            Map<Integer, List<Integer>> consumers = consumers(g, computeStep);
            for (TrainStep.GradGroup grp : t.groups()) {
                if (grp.gradNodes().size() < 2) continue;
                // TF gates with control_flow_ops.tuple: what consumes the gated gradients is built after them (later
                // backward ops, aggregation, gradient processing). Nodes built before the group's last gradient —
                // the backward op's own intermediates, and earlier backward ops reading a gradient this op passes
                // through unchanged (y = a + b hands b's gradient on as a's) — read the ungated values, as in TF.
                // Forward uses of a member (an IndexedSlices' indices are a forward value) are not gated either.
                int last = grp.gradNodes().stream().mapToInt(Integer::intValue).max().orElseThrow();
                for (int member : grp.gradNodes()) {
                    for (int consumer : consumers.getOrDefault(member, List.of())) {
                        int node = stepNode(steps, consumer);
                        if (node < t.firstNode() || node <= last) continue;
                        for (int other : grp.gradNodes()) {
                            Integer p = computeStep.get(other);
                            if (p != null) edge.accept(p, consumer);
                        }
                    }
                }
            }
            // Writes consume their values too.
            for (int i = firstWrite; i < firstWrite + updates.size(); i++) {
                int value = ((Plan.Step.Write) steps.get(i)).value();
                for (TrainStep.GradGroup grp : t.groups()) {
                    if (grp.gradNodes().size() >= 2 && grp.gradNodes().contains(value)) {
                        for (int other : grp.gradNodes()) {
                            Integer p = computeStep.get(other);
                            if (p != null) edge.accept(p, i);
                        }
                    }
                }
            }
        }

        // List scheduling: writes first when ready, then the barrier, then computes in node order.
        PriorityQueue<Integer> ready = new PriorityQueue<>((a, b) -> Long.compare(priority(steps.get(a), a), priority(steps.get(b), b)));
        for (int i = 0; i < s; i++) if (preds[i] == 0) ready.add(i);
        List<Plan.Step> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(steps.get(i));
            for (int nxt : succ.get(i)) if (--preds[nxt] == 0) ready.add(nxt);
        }
        if (order.size() != s) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < s; i++) if (preds[i] > 0) stuck.add(steps.get(i).toString());
            throw new IllegalStateException("the plan's constraints form a cycle among " + stuck);
        }
        return finish(m, t, gate, order, gradientNodes, fetches);
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
