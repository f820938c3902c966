package descent.compiler.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.Op;
import descent.compiler.ir.TrainStep;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every plan obeys its gate mode (checked independently of the scheduler), and the order decides the numbers. */
class SchedulerTest {
    static final List<String> GATES = List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH");
    static final List<String> AGGREGATIONS = List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N");
    static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.1)", "AdamOptimizer(0.01)",
            "MomentumOptimizer(0.1, 0.9, use_nesterov=true)", "RMSPropOptimizer(0.01, centered=true)");

    /** 150 random models x 3 gate modes x 4 aggregation methods, each plan checked against its mode's rules. */
    @TestFactory
    Stream<DynamicTest> randomPlansObeyTheirGateMode() {
        List<DynamicTest> tests = new ArrayList<>();
        for (long seed = 1; seed <= 150; seed++) {
            long s = seed;
            tests.add(DynamicTest.dynamicTest("seed " + s, () -> {
                Map<String, Tensor> reference = null;
                for (String gate : GATES) {
                    for (String agg : AGGREGATIONS) {
                        String opt = OPTIMIZERS.get((int) (s % OPTIMIZERS.size()));
                        String text = RandomModels.model(s, gate, agg, opt);
                        Model m = Compiler.check("random" + s + ".descent", text);
                        TrainStep t = m.trains().get(0);
                        Plan p = Scheduler.schedule(m, t, List.of(m.outputs().get("loss")));
                        String why = checkPlan(m, t, p);
                        if (why != null) fail(gate + "/" + agg + ": " + why + "\n" + text + "\n" + PlanPrinter.print(m, p));
                        // Every mode and method computes the same mathematics; results agree to rounding.
                        Map<String, Tensor> after = trainOnce(m);
                        if (reference == null) reference = after;
                        else assertClose(reference, after, gate + "/" + agg);
                    }
                }
            }));
        }
        return tests.stream();
    }

    /** The rules of DESIGN.md's "Gating is ordering", checked from the plan alone. Null when obeyed. */
    static String checkPlan(Model m, TrainStep t, Plan p) {
        Graph g = m.graph();
        Map<Integer, Integer> computedAt = new HashMap<>();
        Map<String, Integer> writtenAt = new HashMap<>();
        Map<Integer, Integer> writesOf = new HashMap<>();   // value node → where a write stores it
        int firstWrite = Integer.MAX_VALUE, barrierAt = -1;
        for (int i = 0; i < p.steps().size(); i++) {
            switch (p.steps().get(i)) {
                case Plan.Step.Compute c -> {
                    for (int in : g.node(c.node()).inputs()) {
                        boolean leaf = g.node(in).op() instanceof Op.Input || g.node(in).op() instanceof Op.Variable;
                        if (!leaf && !computedAt.containsKey(in)) return "%" + c.node() + " runs before its input %" + in;
                        if (g.node(in).op() instanceof Op.Variable v && writtenAt.containsKey(v.name())) {
                            return "%" + c.node() + " reads " + v.name() + " after it was written";
                        }
                    }
                    computedAt.put(c.node(), i);
                }
                case Plan.Step.Write w -> {
                    if (!computedAt.containsKey(w.value())) return "write " + w.state() + " before its value";
                    writesOf.put(w.value(), i);
                    if (writtenAt.put(w.state(), i) != null) return w.state() + " written twice";
                    firstWrite = Math.min(firstWrite, i);
                }
                case Plan.Step.Barrier b -> barrierAt = i;
            }
        }
        for (TrainStep.Update u : t.updates()) if (!writtenAt.containsKey(u.state())) return "no write of " + u.state();
        if (t.globalStep() != null) {
            int gs = writtenAt.get(t.globalStep());
            for (int w : writtenAt.values()) if (w > gs) return "global_step is not incremented last";
        }
        Set<Integer> finals = Scheduler.finalGradientNodes(t);
        if (t.gate() == TrainStep.GateMode.GATE_GRAPH) {
            if (barrierAt < 0 || barrierAt > firstWrite) return "GATE_GRAPH without a barrier before the first write";
            for (int f : finals) {
                Integer at = computedAt.get(f);
                if (at != null && at > firstWrite) return "gradient %" + f + " computed after the first write";
            }
        }
        if (t.gate() == TrainStep.GateMode.GATE_OP) {
            // TF's tuple: what is built after a backward op's gradients and consumes one of them waits for all of them.
            for (TrainStep.GradGroup grp : t.groups()) {
                if (grp.gradNodes().size() < 2) continue;
                int lastMember = -1, newest = -1;
                for (int member : grp.gradNodes()) {
                    lastMember = Math.max(lastMember, computedAt.getOrDefault(member, -1));
                    newest = Math.max(newest, member);
                }
                // A write consumes its value too: a gated gradient is stored only once all its siblings exist.
                for (int member : grp.gradNodes()) {
                    Integer w = writesOf.get(member);
                    if (w != null && w < lastMember) return "GATE_OP: %" + member + " written before all of " + grp.gradNodes() + " exist";
                }
                for (var e : computedAt.entrySet()) {
                    if (e.getKey() < t.firstNode() || e.getKey() <= newest) continue;
                    for (int in : g.node(e.getKey()).inputs()) {
                        if (grp.gradNodes().contains(in) && e.getValue() < lastMember) {
                            return "GATE_OP: %" + e.getKey() + " consumes %" + in + " before all of " + grp.gradNodes() + " exist";
                        }
                    }
                }
            }
        }
        return null;
    }

    /**
     * Backward ops that hand a gradient on unchanged and also compute from it (y = a − b with b broadcast: a's
     * gradient is y's, b's is −sum_to of it), one gradient passed through two such ops, and a gather's
     * IndexedSlices, whose indices the loss's gradient reads too: under GATE_OP these made the scheduler's
     * constraints a cycle (an internal error on both backends, found by an audit on 2026-11-29). Every gate mode
     * now schedules them, obeys its rules, and trains to the same numbers.
     */
    @TestFactory
    Stream<DynamicTest> gradientsPassedThroughDoNotDeadlockGateOp() {
        Map<String, String> models = new java.util.LinkedHashMap<>();
        models.put("x @ w - b", """
                model sub
                input x: f32[batch, 4]
                var w: f32[4, 2] = 0.1
                var b: f32[2] = 1.0
                loss = reduce_mean(square(x @ w - b))
                train step { GradientDescentOptimizer(0.05).minimize(loss, gate_gradients=GATE) }
                """);
        models.put("x * s - d", """
                model scalar
                input x: f32[batch, 4]
                var s: f32[] = 0.5
                var d: f32[4] = 1.0
                loss = reduce_sum(x * s - d)
                train step { GradientDescentOptimizer(0.05).minimize(loss, gate_gradients=GATE) }
                """);
        models.put("x @ w + b + c", """
                model twoadds
                input x: f32[batch, 4]
                var w: f32[4, 4] = glorot_uniform(seed=1)
                var b: f32[4] = 0.1
                var c: f32[4] = 0.2
                loss = reduce_mean(square(x @ w + b + c))
                train step { MomentumOptimizer(0.1, 0.9).minimize(loss, gate_gradients=GATE) }
                """);
        models.put("bias_add of a reduced bias", """
                model biasadd
                input x: f32[batch, 4]
                var w: f32[4, 6] = glorot_uniform(seed=1)
                var b: f32[1, 6] = 0.1
                h = x @ w + b
                loss = l2_loss(bias_add(h, reduce_sum(b, axis=0)))
                train step { GradientDescentOptimizer(0.5).minimize(loss, gate_gradients=GATE) }
                """);
        models.put("logits gathered by the labels", """
                model gathered
                input x: f32[batch, 4]
                input labels: i32[batch]
                var w: f32[4, 3] = glorot_uniform(seed=1)
                var label_bias: f32[3, 3] = zeros()
                logits = x @ w + gather(label_bias, labels)
                loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
                train step { AdagradOptimizer(0.1).minimize(loss, gate_gradients=GATE) }
                """);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {0.9f, 0.4f, -0.8f, -0.3f, 0.6f, 0.5f, 0.3f, -0.4f, 0.2f, 0.7f,
                0.1f, -0.6f}, 3, 4), "labels", Tensor.of(new int[] {1, 2, 0}, 3));
        return models.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Map<String, Tensor> reference = null;
            for (String gate : GATES) {
                Model m = Compiler.check("gate.descent", e.getValue().replace("GATE)", gate + ")"));
                TrainStep t = m.trains().get(0);
                Plan p = Scheduler.schedule(m, t, List.of(m.names().get("loss")));
                String why = checkPlan(m, t, p);
                if (why != null) fail(gate + ": " + why + "\n" + PlanPrinter.print(m, p));
                Session s = new Session(m, Precision.F64, 0);
                Map<String, Tensor> used = new HashMap<>(feeds);
                if (m.input("labels") == null) used.remove("labels");
                for (int i = 0; i < 3; i++) s.train("step", used, List.of("loss"));
                if (reference == null) reference = s.variables();
                else assertClose(reference, s.variables(), gate);
            }
        }));
    }

    static Map<String, Tensor> trainOnce(Model m) {
        Session s = new Session(m, Precision.F64, 0);
        s.train("step", Map.of("x", Tensor.of(new float[] {0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f}, 2, 3)), List.of("loss"));
        return s.variables();
    }

    static void assertClose(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        for (var e : a.entrySet()) {
            double[] x = e.getValue().toDoubles(), y = b.get(e.getKey()).toDoubles();
            for (int i = 0; i < x.length; i++) {
                if (Math.abs(x[i] - y[i]) > 1e-5 * Math.max(1, Math.abs(x[i]))) {
                    fail(what + ": " + e.getKey() + "[" + i + "] " + x[i] + " vs " + y[i]);
                }
            }
        }
    }

    static final String TWO_LAYER = """
            model two_layer
            input x: f32[batch, 2]
            var w1: f32[2, 2] = [0.5, -0.3, 0.8, 0.2]
            var w2: f32[2, 1] = [0.7, -0.4]
            h = tanh(x @ w1)
            loss = reduce_mean(square(h @ w2 - 1.0))
            train step { GradientDescentOptimizer(0.5).minimize(loss, gate_gradients=GATE_OP) }
            """;

    /**
     * The plan's order is what the interpreter obeys: moving w2's update before the backward matmul that
     * reads w2 (to compute w1's gradient) changes w1's new value — exactly the race GATE_OP prevents.
     */
    @Test
    void aDeliberatelyWrongOrderChangesTheNumbers() {
        Model m = Compiler.check("two_layer.descent", TWO_LAYER);
        TrainStep t = m.trains().get(0);
        int loss = m.outputs().isEmpty() ? m.names().get("loss") : m.outputs().get("loss");
        Plan right = Scheduler.schedule(m, t, List.of(loss));
        assertEquals(null, checkPlan(m, t, right));

        List<Plan.Step> steps = new ArrayList<>(right.steps());
        Plan.Step writeW2 = steps.stream().filter(s -> s instanceof Plan.Step.Write w && w.state().equals("w2")).findFirst().orElseThrow();
        int w2 = m.variable("w2").node();
        int firstBackwardRead = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) instanceof Plan.Step.Compute c && c.node() >= t.firstNode()
                    && m.graph().node(c.node()).inputs().contains(w2)) { firstBackwardRead = i; break; }
        }
        assertTrue(firstBackwardRead >= 0, "some backward op reads w2");
        steps.remove(writeW2);
        // w2's new value must exist before it is written: move its computation up with it.
        Plan.Step.Write w = (Plan.Step.Write) writeW2;
        Plan.Step valueStep = steps.stream().filter(s -> s instanceof Plan.Step.Compute c && c.node() == w.value()).findFirst().orElseThrow();
        List<Plan.Step> reordered = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            if (i == firstBackwardRead) {
                reordered.addAll(valueDependencies(m, steps, w.value(), firstBackwardRead));
                reordered.add(writeW2);
            }
            if (!reordered.contains(steps.get(i))) reordered.add(steps.get(i));
        }
        assertTrue(reordered.contains(valueStep));
        Plan wrong = new Plan(right.train(), right.gate(), right.aggregation(), reordered, right.lastUse(), 0, 0);
        assertTrue(checkPlan(m, t, wrong) != null, "the reordered plan must break a rule");

        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {1f, 2f, -1f, 0.5f}, 2, 2));
        Session good = new Session(m, Precision.F32, 0), bad = new Session(m, Precision.F32, 0);
        good.runPlan(right, feeds, List.of("loss"));
        bad.runPlan(wrong, feeds, List.of("loss"));
        assertEquals(good.variables().get("w2"), bad.variables().get("w2"), "w2's own update does not depend on the order");
        assertNotEquals(good.variables().get("w1"), bad.variables().get("w1"), "w1's gradient read the updated w2");
        Session normal = new Session(m, Precision.F32, 0);
        normal.train("step", feeds, List.of("loss"));
        assertEquals(good.variables(), normal.variables(), "train() runs the scheduler's plan");
    }

    /** The computes (in plan order, before {@code limit}... or later) that {@code node} needs and that are not yet done. */
    private static List<Plan.Step> valueDependencies(Model m, List<Plan.Step> steps, int node, int limit) {
        java.util.BitSet need = new java.util.BitSet();
        need.set(node);
        for (int id = node; id >= 0; id--) if (need.get(id)) for (int in : m.graph().node(id).inputs()) need.set(in);
        List<Plan.Step> out = new ArrayList<>();
        for (int i = limit; i < steps.size(); i++) {
            if (steps.get(i) instanceof Plan.Step.Compute c && need.get(c.node())) out.add(steps.get(i));
        }
        return out;
    }

    @Test
    void gateGraphHoldsEveryGradientUntilItsBarrier() {
        String base = TWO_LAYER.replace("GATE_OP", "%s");
        long graph = peak(base.formatted("GATE_GRAPH")), none = peak(base.formatted("GATE_NONE"));
        assertTrue(graph >= none, "GATE_GRAPH peak " + graph + " vs GATE_NONE " + none);
        Model m = Compiler.check("g.descent", base.formatted("GATE_GRAPH"));
        Plan p = Scheduler.schedule(m, m.trains().get(0), List.of());
        assertTrue(p.steps().stream().anyMatch(s -> s instanceof Plan.Step.Barrier));
    }

    private static long peak(String text) {
        Model m = Compiler.check("p.descent", text);
        return Scheduler.schedule(m, m.trains().get(0), List.of()).peakGradientBytes();
    }
}
