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
class LoweringTest {
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

    static void checkInvariants(Model m, Plan plan, Lowering.Program p, List<Integer> fetches) {
        Graph g = m.graph();
        // Same computes in the same order.
        List<Integer> planOrder = new ArrayList<>(), kernelOrder = new ArrayList<>();
        for (Plan.Step s : plan.steps()) if (s instanceof Plan.Step.Compute c) planOrder.add(c.node());
        Set<Integer> available = new HashSet<>();
        Set<Integer> fusedInternal = new HashSet<>();
        for (Kernel k : p.kernels()) {
            switch (k) {
                case Kernel.Fused f -> {
                    kernelOrder.addAll(f.nodes());
                    for (int in : f.inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                    for (int n : f.nodes()) if (!f.results().contains(n)) fusedInternal.add(n);
                    available.addAll(f.nodes());
                }
                case Kernel.Single s -> {
                    kernelOrder.add(s.node());
                    for (int in : g.node(s.node()).inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                }
                case Kernel.MatmulEpilogue e -> {
                    kernelOrder.add(e.matmul());
                    kernelOrder.addAll(e.nodes());
                    for (int in : g.node(e.matmul()).inputs()) {
                        assertTrue(!fusedInternal.contains(in), "%" + in + " was fused away but is read later");
                    }
                    assertTrue(!fusedInternal.contains(e.bias()), "%" + e.bias() + " was fused away but is read later");
                    assertEquals(e.nodes().get(e.nodes().size() - 1), e.result());
                    fusedInternal.add(e.matmul());
                    for (int n : e.nodes()) if (n != e.result()) fusedInternal.add(n);
                }
                case Kernel.Alias a -> kernelOrder.add(a.node());
                case Kernel.Write w -> assertTrue(!fusedInternal.contains(w.value()), "written value fused away");
                case Kernel.Barrier b -> { }
            }
        }
        assertEquals(planOrder, kernelOrder);
        for (int f : fetches) assertTrue(!fusedInternal.contains(f), "fetch %" + f + " fused away");
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
    void theOptimizerUpdateIsOneFusedPassWrittenInPlace() {
        Model m = Compiler.check("mlp.descent", MLP);
        TrainStep t = m.trains().get(0);
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, t, List.of()), List.of());
        long inPlace = p.kernels().stream().filter(k -> k instanceof Kernel.Write w && w.inPlace()).count();
        assertTrue(inPlace >= 3, "var updates go straight into their storage:\n" + KernelPrinter.print(m, "step", p));
    }
}
