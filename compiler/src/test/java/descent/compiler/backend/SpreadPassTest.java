package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.emit.StepWriter.Action;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Model;
import descent.compiler.ir.Op;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A pass reading a layer's input gradient that both threads wrote, each its own columns (dZ·Wᵀ split by columns of
 * C: {@link ColumnsOfWMatmul}), splits by rows from {@link ElementwiseCalls#PARALLEL_SPREAD_ELEMENTS} (case c's relu
 * gradients: 39 → 25 µs), not from {@link ElementwiseCalls#PARALLEL_ELEMENTS}; its bits do not depend on it
 * (ThreadCountTest, the random model oracles).
 */
class SpreadPassTest {
    private static final String MODEL = """
            model spread
            input x: f32[batch, 64]
            input labels: i32[batch]
            var w1: f32[64, 512] = glorot_uniform(seed=1)
            var w2: f32[512, 512] = glorot_uniform(seed=2)
            var w3: f32[512, 10] = glorot_uniform(seed=3)
            h1 = relu(x @ w1)
            h2 = relu(h1 @ w2)
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h2 @ w3))
            output loss
            train step { MomentumOptimizer(0.01, momentum=0.9).minimize(loss) }
            """;

    /** The labels of the calls the step runs at batch {@code b}, marking those inside a fork's parts with "part". */
    private static void calls(List<Action> actions, int b, boolean inFork, List<String> out) {
        for (Action a : actions) {
            switch (a) {
                case Action.Invoke v -> out.add(v.label() + (inFork ? " part" : ""));
                case Action.Choose c -> calls(c.test().at(b) ? c.then() : c.otherwise(), b, inFork, out);
                case Action.Fork f -> f.parts().forEach(p -> calls(p, b, true, out));
                default -> { }
            }
        }
    }

    @Test
    void reluGradientsAfterAColumnSplitProductSplitByRows() {
        Model m = Compiler.check("spread.descent", MODEL);
        TrainStep t = m.trains().getFirst();
        List<Integer> fetches = List.of(t.lossNode());
        Executable e = Executable.symbolic(m.graph(), Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches), "batch", Set.of(),
                fetches, new StepThreads(2, false));
        // h1's relu gradient reads dZ₂·W₂ᵀ, which splits by columns on two threads.
        int reluGrad = m.graph().nodes().stream().filter(n -> n.op() instanceof Op.Binary bin && bin.fn() == BinaryFn.RELU_GRAD
                && m.graph().node(n.input(0)).op() instanceof Op.MatMul mm && mm.transposeB()
                && m.graph().node(n.input(0)).input(1) == m.variable("w2").node()).findFirst().orElseThrow().id();
        String label = "fused_" + reluGrad;
        for (int b : new int[] {128, 32}) {
            List<String> calls = new ArrayList<>();
            calls(e.stepActions(), b, false, calls);
            List<String> mine = calls.stream().filter(c -> c.startsWith(label + "_part") || c.equals(label) || c.startsWith(label + " ")).toList();
            assertFalse(mine.isEmpty(), calls.toString());
            // [128, 512] is 2¹⁶ elements: split (below PARALLEL_ELEMENTS, 2¹⁸); [32, 512] is below 2¹⁵: whole.
            assertEquals(b == 128, mine.stream().allMatch(c -> c.endsWith(" part")), b + ": " + mine);
            assertTrue(b == 128 ? mine.size() == 2 : mine.size() == 1, b + ": " + mine);
        }
    }
}
