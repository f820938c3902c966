package descent.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.compiler.schedule.Plan;
import descent.compiler.schedule.Scheduler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Lowering keeps the plan's order, computes every node once, and keeps every value that is used later. */
public class LoweringTest {
    static final String MLP = """
            model mlp
            input x: f32[batch, 2]
            input labels: i32[batch]
            var w1: f32[2, 8] = glorot_uniform(seed=1)
            var b1: f32[8] = zeros()
            var w2: f32[8, 3] = glorot_uniform(seed=2)
            h = relu(x @ w1 + b1)
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h @ w2))
            train step { AdamOptimizer(0.01).minimize(loss, gate_gradients=GATE_NONE) }
            """;

    @TestFactory
    Stream<DynamicTest> invariantsHoldForEveryGateMode() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            tests.add(DynamicTest.dynamicTest(gate, () -> {
                Model m = Compiler.check("mlp.descent", MLP.replace("GATE_NONE", gate));
                TrainStep t = m.trains().get(0);
                List<Integer> fetches = List.of(t.lossNode());
                Plan plan = Scheduler.schedule(m, t, fetches);
                Lowering.Program p = Lowering.lower(m, plan, fetches);
                checkInvariants(m, plan, p, fetches);
                assertTrue(p.fusedAway() > 0, "the Adam updates fuse: " + KernelPrinter.print(m, "step", p));
            }));
        }
        return tests.stream();
    }

    /**
     * The kernels compute every planned value once, after its inputs, between the same barriers as the plan,
     * and every read of a variable sees the same writes of it before it as in the plan (the gate mode's order);
     * nothing fused away is read by a later kernel, written or fetched.
     */
    public static void checkInvariants(Model m, Plan plan, Lowering.Program p, List<Integer> fetches) {
        Graph g = m.graph();
        List<Object> planEvents = new ArrayList<>(), kernelEvents = new ArrayList<>();
        for (Plan.Step s : plan.steps()) {
            switch (s) {
                case Plan.Step.Compute c -> planEvents.add(c.node());
                case Plan.Step.Write w -> planEvents.add("write " + w.state());
                case Plan.Step.Barrier b -> planEvents.add("barrier");
            }
        }
        Set<Integer> fusedInternal = new HashSet<>();
        for (Kernel k : p.kernels()) {
            switch (k) {
                case Kernel.Fused f -> {
                    kernelEvents.addAll(f.nodes());
                    for (int in : f.inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                    for (int n : f.nodes()) if (!f.results().contains(n)) fusedInternal.add(n);
                }
                case Kernel.Single s -> {
                    kernelEvents.add(s.node());
                    for (int in : g.node(s.node()).inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                }
                case Kernel.MatmulEpilogue e -> {
                    kernelEvents.add(e.matmul());
                    kernelEvents.addAll(e.nodes());
                    for (int in : g.node(e.matmul()).inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                    assertTrue(!fusedInternal.contains(e.bias()), "%" + e.bias() + " was fused away but is read later");
                    assertEquals(e.nodes().get(e.nodes().size() - 1), e.result());
                    fusedInternal.add(e.matmul());
                    for (int n : e.nodes()) if (n != e.result()) fusedInternal.add(n);
                }
                case Kernel.SparseRows r -> {
                    kernelEvents.addAll(r.nodes());
                    for (int in : r.reads(g)) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                    for (int n : r.nodes()) if (!r.scatters().contains(n)) fusedInternal.add(n);
                }
                case Kernel.ProductUpdate u -> gradientWithUpdate(g, u, u.product(), u.update(), u.kept(), kernelEvents, fusedInternal);
                case Kernel.ReduceUpdate u -> gradientWithUpdate(g, u, u.reduction(), u.update(), u.kept(), kernelEvents, fusedInternal);
                case Kernel.Alias a -> kernelEvents.add(a.node());
                case Kernel.Write w -> {
                    assertTrue(!fusedInternal.contains(w.value()), "written value fused away");
                    assertTrue(!planned(plan, w.value()) || kernelEvents.contains(w.value()),
                            "write " + w.state() + " before its value %" + w.value() + " is computed");
                    kernelEvents.add("write " + w.state());
                }
                case Kernel.Barrier b -> kernelEvents.add("barrier");
            }
        }
        for (int f : fetches) assertTrue(!fusedInternal.contains(f), "fetch %" + f + " fused away");
        assertEquals(segments(planEvents), segments(kernelEvents), "the same computes and writes between barriers");
        assertEquals(stateOrder(g, planEvents), stateOrder(g, kernelEvents), "each read of a variable after the same writes of it");
        Set<Integer> computed = new HashSet<>(), planned = new HashSet<>();
        for (Object e : planEvents) if (e instanceof Integer n) planned.add(n);
        for (Object e : kernelEvents) {
            if (!(e instanceof Integer n)) continue;
            for (int in : g.node(n).inputs()) assertTrue(!planned.contains(in) || computed.contains(in), "%" + n + " before its input %" + in);
            computed.add(n);
        }
    }

    /** A product or reduction with its update inside: its inputs not fused away, its internals and (unless kept) its gradient fused. */
    private static void gradientWithUpdate(descent.compiler.ir.Graph g, Kernel k, int gradient, Kernel.Fused update, boolean kept,
                                           List<Object> kernelEvents, Set<Integer> fusedInternal) {
        kernelEvents.add(gradient);
        kernelEvents.addAll(update.nodes());
        for (int in : Kernel.reads(g, k)) {
            assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
        }
        for (int n : update.nodes()) if (!update.results().contains(n)) fusedInternal.add(n);
        if (!kept) fusedInternal.add(gradient);
    }

    private static boolean planned(Plan plan, int node) {
        return plan.steps().stream().anyMatch(s -> s instanceof Plan.Step.Compute c && c.node() == node);
    }

    /** Per barrier-delimited segment: the multiset of computes and writes (as sorted strings). */
    private static List<List<String>> segments(List<Object> events) {
        List<List<String>> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        for (Object e : events) {
            if (e.equals("barrier")) { cur.sort(null); out.add(cur); cur = new ArrayList<>(); } else cur.add(String.valueOf(e));
        }
        cur.sort(null);
        out.add(cur);
        return out;
    }

    /** For each compute reading a variable: how many writes of that variable came before it. */
    private static java.util.Map<Integer, Integer> stateOrder(Graph g, List<Object> events) {
        java.util.Map<String, Integer> writes = new java.util.HashMap<>();
        java.util.Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (Object e : events) {
            if (e instanceof String s && s.startsWith("write ")) writes.merge(s.substring(6), 1, Integer::sum);
            if (!(e instanceof Integer n)) continue;
            int before = 0;
            for (int in : g.node(n).inputs()) {
                if (g.node(in).op() instanceof descent.compiler.ir.Op.Variable v) before += 1000 * writes.getOrDefault(v.name(), 0) + 1;
            }
            seen.put(n, before);
        }
        return seen;
    }

    @Test
    void biasAndReluBecomeMatmulEpilogues() {
        Model m = Compiler.check("mlp.descent", MLP);
        TrainStep t = m.trains().get(0);
        List<Integer> fetches = List.of(t.lossNode());
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches);
        String printed = KernelPrinter.print(m, "step", p);
        List<Kernel.MatmulEpilogue> epilogues = p.kernels().stream()
                .filter(k -> k instanceof Kernel.MatmulEpilogue).map(k -> (Kernel.MatmulEpilogue) k).toList();
        assertTrue(epilogues.stream().anyMatch(e -> e.nodes().size() == 2), "relu(x @ w + b) is one kernel:\n" + printed);
        assertTrue(printed.contains("epilogue {"), printed);
    }

    @Test
    void tanhAndSigmoidBecomeMatmulEpiloguesToo() {
        String src = """
                model act
                input x: f32[batch, 6]
                var w1: f32[6, 5] = glorot_uniform(seed=1)
                var b1: f32[5] = zeros()
                var w2: f32[5, 4] = glorot_uniform(seed=2)
                var b2: f32[4] = zeros()
                h = tanh(bias_add(x @ w1, b1))
                y = sigmoid(bias_add(h @ w2, b2))
                loss = reduce_mean(y)
                output loss
                train step { GradientDescentOptimizer(0.1).minimize(loss) }
                """;
        Model m = Compiler.check("act.descent", src);
        TrainStep t = m.trains().get(0);
        List<Integer> fetches = List.of(t.lossNode());
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches);
        String printed = KernelPrinter.print(m, "step", p);
        List<descent.compiler.ir.UnaryFn> activations = p.kernels().stream()
                .filter(k -> k instanceof Kernel.MatmulEpilogue e && e.nodes().size() == 2)
                .map(k -> ((descent.compiler.ir.Op.Unary) m.graph().node(((Kernel.MatmulEpilogue) k).result()).op()).fn()).toList();
        assertEquals(List.of(descent.compiler.ir.UnaryFn.TANH, descent.compiler.ir.UnaryFn.SIGMOID), activations, printed);
    }

    @Test
    void aSparseUpdateAndItsSlotsAreOneRowLoop() {
        for (String opt : List.of("AdagradOptimizer(0.1)", "LazyAdamOptimizer(0.01)")) {
            String src = """
                    model rows
                    input ids: i32[batch, 4]
                    input y: f32[batch]
                    var emb: f32[50, 8] = random_normal(seed=1)
                    h = reduce_mean(embedding_lookup(emb, ids), axis=1)
                    loss = reduce_mean(square(reduce_sum(h, axis=1) - y))
                    output loss
                    train step { OPT.minimize(loss) }
                    """.replace("OPT", opt);
            Model m = Compiler.check("rows.descent", src);
            TrainStep t = m.trains().get(0);
            List<Integer> fetches = List.of(t.lossNode());
            Plan plan = Scheduler.schedule(m, t, fetches);
            Lowering.Program p = Lowering.lower(m, plan, fetches);
            String printed = KernelPrinter.print(m, "step", p);
            List<Kernel.SparseRows> loops = p.kernels().stream().filter(k -> k instanceof Kernel.SparseRows).map(k -> (Kernel.SparseRows) k).toList();
            assertEquals(1, loops.size(), printed);
            assertEquals(opt.startsWith("Lazy") ? 3 : 2, loops.get(0).scatters().size(), "the variable and its slots: " + printed);
            assertTrue(p.kernels().stream().noneMatch(k -> k instanceof Kernel.Single s
                    && m.graph().node(s.node()).op() instanceof descent.compiler.ir.Op.ScatterUpdate), "no scatter pass left: " + printed);
            assertEquals(1, p.kernels().stream().filter(k -> k instanceof Kernel.Single s
                    && m.graph().node(s.node()).op() instanceof descent.compiler.ir.Op.Gather).count(), "only the forward lookup gathers: " + printed);
            checkInvariants(m, plan, p, fetches);
            // Fetching the variable's new value keeps the passes (the loop stores only the listed rows).
            int scatter = loops.get(0).scatters().get(0);
            Lowering.Program kept = Lowering.lower(m, plan, List.of(t.lossNode(), scatter));
            assertTrue(kept.kernels().stream().noneMatch(k -> k instanceof Kernel.SparseRows), KernelPrinter.print(m, "step", kept));
        }
    }

    /**
     * TF's sparse Adam decays m and v whole (m·β1) and adds the gradient's rows: both steps work in the slot's own
     * storage, the decay in place and the rows added there (it was a copy of the whole slot, the rows added to the
     * copy, and the copy written back: three passes over the table where there is one).
     */
    @Test
    void aDenseDecayAndItsRowsAreWrittenInPlace() {
        Model m = Compiler.check("rows.descent", """
                model rows
                input ids: i32[batch]
                input y: f32[batch]
                var emb: f32[50, 8] = random_normal(seed=1)
                loss = reduce_mean(square(reduce_sum(embedding_lookup(emb, ids), axis=1) - y))
                train step { AdamOptimizer(0.01).minimize(loss) }
                """);
        TrainStep t = m.trains().get(0);
        Plan plan = Scheduler.schedule(m, t, List.of());
        Lowering.Program p = Lowering.lower(m, plan, List.of());
        String printed = KernelPrinter.print(m, "step", p);
        List<String> inPlace = p.kernels().stream().filter(k -> k instanceof Kernel.Write w && w.inPlace())
                .map(k -> ((Kernel.Write) k).state()).toList();
        assertTrue(inPlace.containsAll(List.of("emb/Adam", "emb/Adam_1", "emb")), printed);
        checkInvariants(m, plan, p, List.of());
    }

    @Test
    void theOptimizerUpdateIsOneFusedPassWrittenInPlace() {
        Model m = Compiler.check("mlp.descent", MLP);
        TrainStep t = m.trains().get(0);
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, t, List.of()), List.of());
        String printed = KernelPrinter.print(m, "step", p);
        List<Kernel.Write> inPlace = p.kernels().stream().filter(k -> k instanceof Kernel.Write w && w.inPlace())
                .map(k -> (Kernel.Write) k).toList();
        assertTrue(inPlace.size() >= 6, "var updates go straight into their storage:\n" + printed);
        // Adam's w1, m and v values come out of one loop (FusionOrder moves the scalar steps and writes aside).
        List<Integer> w1 = inPlace.stream().filter(w -> w.state().startsWith("w1")).map(Kernel.Write::value).toList();
        assertEquals(3, w1.size(), printed);
        assertTrue(p.kernels().stream().anyMatch(k -> k instanceof Kernel.Fused f && f.results().containsAll(w1)
                        || k instanceof Kernel.ProductUpdate u && u.update().results().containsAll(w1)),
                "one pass updates w1 and its slots:\n" + printed);
    }

    /**
     * Where the gate mode allows, the update of a weight matrix runs inside the product that completes its
     * gradient, and that gradient is never stored whole; under GATE_GRAPH (a barrier between the last gradient and
     * the first update) and when something else reads the gradient first (clipping by the global norm), it does not.
     */
    @Test
    void aWeightMatrixIsUpdatedInsideItsGradientsProductWhereTheGateModeAllows() {
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            Model m = Compiler.check("mlp.descent", MLP.replace("GATE_NONE", gate));
            Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of());
            String printed = KernelPrinter.print(m, "step", p);
            List<Kernel.ProductUpdate> fused = p.kernels().stream().filter(k -> k instanceof Kernel.ProductUpdate)
                    .map(k -> (Kernel.ProductUpdate) k).toList();
            if (gate.equals("GATE_GRAPH")) {
                assertTrue(fused.isEmpty(), "no update before every gradient exists:\n" + printed);
                continue;
            }
            Graph g = m.graph();
            assertTrue(fused.stream().anyMatch(u -> !u.kept() && g.type(u.product()).shape().toString().equals("[2, 8]")),
                    "w1's update inside its gradient's product:\n" + printed);
            for (Kernel.ProductUpdate u : fused) {
                int at = p.kernels().indexOf(u);
                assertTrue(p.kernels().get(at + 1) instanceof Kernel.Write, "the update's writes follow it:\n" + printed);
            }
        }
        // Under Adam the beta powers' writes follow the last update; they stay after it, and every matrix fuses.
        String noBias = MLP.replace("var b1: f32[8] = zeros()\n", "").replace(" + b1", "");
        Model nb = Compiler.check("nobias.descent", noBias.replace("GATE_NONE", "GATE_OP"));
        TrainStep t = nb.trains().get(0);
        Plan nbPlan = Scheduler.schedule(nb, t, List.of(t.lossNode()));
        Lowering.Program nbp = Lowering.lower(nb, nbPlan, List.of(t.lossNode()));
        checkInvariants(nb, nbPlan, nbp, List.of(t.lossNode()));
        assertEquals(2, nbp.kernels().stream().filter(k -> k instanceof Kernel.ProductUpdate).count(),
                "w1 and w2 updated inside their products:\n" + KernelPrinter.print(nb, "step", nbp));
        String clipped = MLP.replace("AdamOptimizer(0.01).minimize(loss, gate_gradients=GATE_NONE)", """
                opt = AdamOptimizer(0.01)
                  gv = opt.compute_gradients(loss)
                  gv, norm = clip_by_global_norm(gv, 1.0)
                  opt.apply_gradients(gv)""");
        Model m = Compiler.check("clip.descent", clipped);
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of());
        assertTrue(p.kernels().stream().noneMatch(k -> k instanceof Kernel.ProductUpdate),
                "the global norm reads every gradient first:\n" + KernelPrinter.print(m, "step", p));
    }
}
