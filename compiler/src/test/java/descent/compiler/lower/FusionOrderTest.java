package descent.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.schedule.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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

    /** A reshape computes nothing: one between two steps of a run (the gradient of a mean, say) moves before it. */
    @Test
    void aReshapeMovesBeforeTheRun() {
        Model m = Compiler.check("r.descent", """
                model r
                input x: f32[2, 2]
                var w: f32[4] = zeros()
                a = w * 2
                r = reshape(x, [4])
                c = a * r
                output c
                """);
        java.util.function.Function<String, Plan.Step> at = n -> new Plan.Step.Compute(m.names().get(n));
        List<Plan.Step> plan = List.of(at.apply("a"), at.apply("r"), at.apply("c"));
        assertEquals(List.of(at.apply("r"), at.apply("a"), at.apply("c")), FusionOrder.reorder(m.graph(), plan));
    }

    @Test
    void aReadOfAVariableNeverMovesAcrossItsWrite() {
        // b reads w after the write: it must still see the new value, so the run closes before b.
        List<Plan.Step> plan = List.of(compute("a"), writeW("a"), compute("b"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }

    static java.util.stream.Stream<String> optimizers() {
        return java.util.stream.Stream.concat(descent.compiler.train.EveryOptimizer.configurations().stream(),
                java.util.stream.Stream.of("AdamOptimizer(cosine_decay(0.01, global_step, 100))"));
    }

    /**
     * Every optimizer's dense update, given its gradient, is one pass over its variable (the variable and its
     * slots read and written once), however its hyperparameters are computed. AdagradDA reads the global step, cast
     * to a float, after updating its accumulators: the cast moves before the run like any scalar, where it once
     * split the update into two passes.
     */
    @ParameterizedTest
    @MethodSource("optimizers")
    void everyDenseUpdateIsOnePass(String optimizer) {
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
        assertEquals(1, kernels.stream().filter(k -> k instanceof Kernel.Fused f && f.shape().staticSize() == 1024).count(),
                optimizer + ": " + kernels);
    }

    @Test
    void nothingMovesAcrossABarrier() {
        List<Plan.Step> plan = List.of(compute("a"), new Plan.Step.Barrier("gate"), compute("k"), compute("c"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }
}
