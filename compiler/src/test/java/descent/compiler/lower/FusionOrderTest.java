package descent.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.schedule.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FusionOrder}'s two moves and the read-after-write rule that limits them, on hand-written plans. */
class FusionOrderTest {
    private static final Model M = Compiler.check("t.descent", """
            model t
            var w: f32[4] = zeros()
            var s: f32[] = 2
            a = w * 2
            k = s * 3
            b = w + 1
            c = a * k
            output a, b, c
            """);

    private static Plan.Step compute(String name) { return new Plan.Step.Compute(M.names().get(name)); }

    private static Plan.Step writeW(String value) { return new Plan.Step.Write("w", M.names().get("w"), M.names().get(value)); }

    @Test
    void writesMoveAfterTheRunAndScalarsBeforeIt() {
        List<Plan.Step> plan = List.of(compute("a"), writeW("a"), compute("k"), compute("c"));
        assertEquals(List.of(compute("k"), compute("a"), compute("c"), writeW("a")), FusionOrder.reorder(M.graph(), plan));
    }

    @Test
    void aReadOfAVariableNeverMovesAcrossItsWrite() {
        // b reads w after the write: it must still see the new value, so the run closes before b.
        List<Plan.Step> plan = List.of(compute("a"), writeW("a"), compute("b"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }

    /**
     * The global step cast to a float moves before the run like any scalar: AdagradDA reads it after updating its
     * accumulators, where it once split the update into two passes over the variable. A schedule of the global step
     * (computed before any update) must stay one pass too.
     */
    @Test
    void theGlobalStepsCastMovesBeforeTheRun() {
        for (String optimizer : List.of("AdagradDAOptimizer(0.001, global_step)",
                "AdamOptimizer(exponential_decay(0.01, global_step, 100, 0.96))")) {
            Model m = Compiler.check("d.descent", """
                    model d
                    input g: f32[1024]
                    var w: f32[1024] = zeros()
                    var global_step: i64[] = 0 (trainable=false)
                    train step {
                      OPT.apply_gradients([(g, w)], global_step=global_step)
                    }
                    """.replace("OPT", optimizer));
            var kernels = Lowering.lower(m, descent.compiler.schedule.Scheduler.schedule(m, m.trains().get(0), List.of()), List.of()).kernels();
            long passes = kernels.stream().filter(k -> k instanceof Kernel.Fused f && f.shape().staticSize() == 1024).count();
            assertEquals(1, passes, optimizer + ": " + kernels);
        }
    }

    @Test
    void nothingMovesAcrossABarrier() {
        List<Plan.Step> plan = List.of(compute("a"), new Plan.Step.Barrier("gate"), compute("k"), compute("c"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }
}
