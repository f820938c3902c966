package descent.compiler.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.interp.RuntimeApiTest;
import descent.runtime.Tensor;
import descent.runtime.api.Gradient;
import descent.runtime.api.TrainingSession;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every optimizer's sparse update applied to IndexedSlices of lengths of their own (de-duplicated, as a
 * data-parallel aggregation leaves them) gives what the step's own slices give, on both backends.
 */
class ApplyHalfTest {
    @ParameterizedTest
    @MethodSource("descent.compiler.train.EveryOptimizer#configurations")
    void deduplicatedSlicesGiveWhatTheStepsOwnGive(String optimizer) {
        String source = RuntimeApiTest.BAGS.replace("var w:", "var global_step: i64[] = 0 (trainable=false)\nvar w:")
                .replace("AdagradOptimizer(0.1).minimize(loss)", optimizer + ".minimize(loss, global_step=global_step)");
        org.junit.jupiter.api.Assertions.assertTrue(source.contains(optimizer + ".minimize"), source);
        var checked = Compiler.check("bags.descent", source);
        TrainingSession reference = new InterpretedModel(checked, Precision.F32).newSession(1);
        TrainingSession interpreted = new InterpretedModel(checked, Precision.F32).newSession(1);
        TrainingSession compiled = new CompiledModel(checked).newSession(1);
        int[][] words = {{0, 1, 1, 1, 6, 0, 3, 3, 3}, {2, 2, 2, 5, 0, 5, 1, 2, 1}, {4, 4, 4, 4, 4, 4, 0, 1, 2}};
        int[][] tags = {{2, 2, 1}, {0, 3, 0}, {1, 1, 1}};
        for (int step = 0; step < 3; step++) {
            Map<String, Tensor> feeds = Map.of("words", Tensor.of(words[step], 3, 3), "tag", Tensor.of(tags[step], 3),
                    "y", Tensor.of(new float[] {1, -1, 0.5f}, 3));
            Map<String, Gradient> g = reference.computeGradients("step", feeds);
            reference.applyGradients("step", g, Map.of());
            Map<String, Gradient> d = new HashMap<>(g);
            d.put("w", RuntimeApiTest.deduplicated((Gradient.Slices) g.get("w")));
            d.put("t", RuntimeApiTest.deduplicated((Gradient.Slices) g.get("t")));
            interpreted.applyGradients("step", d, Map.of());
            compiled.applyGradients("step", d, Map.of());
        }
        RuntimeApiTest.assertClose(reference.state(), interpreted.state(), 1e-6);
        RuntimeApiTest.assertClose(interpreted.state(), compiled.state(), 1e-5);
        assertEquals(3L, compiled.stepCount());
        assertEquals(List.of(3L), List.of(compiled.get("global_step").longs()[0]));
    }

    /**
     * Gradients processed in the block (clipped, kept sparse by clip_by_global_norm) under GATE_GRAPH: what a call
     * gives are the processed gradients, as computeGradients returns them, and the halves are the whole step.
     */
    @org.junit.jupiter.api.Test
    void processedSparseGradientsUnderGateGraph() {
        String source = RuntimeApiTest.BAGS.replace("train step { AdagradOptimizer(0.1).minimize(loss) }", """
                train step {
                  opt = RMSPropOptimizer(0.1, momentum=0.5)
                  gv = opt.compute_gradients(loss, gate_gradients=GATE_GRAPH)
                  gv, norm = clip_by_global_norm(gv, 0.5)
                  opt.apply_gradients(gv)
                }""");
        org.junit.jupiter.api.Assertions.assertTrue(source.contains("clip_by_global_norm"), source);
        var checked = Compiler.check("bags.descent", source);
        for (var model : List.<descent.runtime.api.DescentModel>of(new InterpretedModel(checked, Precision.F32), new CompiledModel(checked))) {
            TrainingSession whole = model.newSession(1), split = model.newSession(1), dedup = model.newSession(1);
            Map<String, Tensor> feeds = RuntimeApiTest.bagFeeds();
            for (int step = 0; step < 3; step++) {
                whole.train("step", feeds, List.of());
                Map<String, Gradient> g = split.computeGradients("step", feeds);
                split.applyGradients("step", g, Map.of());
                Map<String, Gradient> d = new HashMap<>(dedup.computeGradients("step", feeds));
                d.put("w", RuntimeApiTest.deduplicated((Gradient.Slices) d.get("w")));
                dedup.applyGradients("step", d, Map.of());
            }
            assertEquals(whole.state(), split.state(), model.getClass().getSimpleName());
            RuntimeApiTest.assertClose(whole.state(), dedup.state(), 1e-6);
        }
    }

    /**
     * A variable two optimizers update (its gradient computed twice), and a learning rate computed from the
     * gradients applied (their global norm, sparse ones included): the halves are the whole step, bit for bit.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"""
            train step {
              AdagradOptimizer(0.1).minimize(loss, var_list=[w])
              GradientDescentOptimizer(0.1).minimize(loss, var_list=[w, t, b])
            }""", """
            train step {
              opt = GradientDescentOptimizer(0.1)
              gv = opt.compute_gradients(loss)
              gv, n = clip_by_global_norm(gv, 0.5)
              AdagradOptimizer(0.1 / (1 + global_norm(gv))).apply_gradients(gv)
            }"""})
    void theHalvesAreTheWholeStep(String block) {
        String source = RuntimeApiTest.BAGS.replace("train step { AdagradOptimizer(0.1).minimize(loss) }", block);
        org.junit.jupiter.api.Assertions.assertTrue(source.contains(block), source);
        var checked = Compiler.check("bags.descent", source);
        for (var model : List.<descent.runtime.api.DescentModel>of(new InterpretedModel(checked, Precision.F32), new CompiledModel(checked))) {
            TrainingSession whole = model.newSession(1), split = model.newSession(1);
            for (int step = 0; step < 3; step++) {
                whole.train("step", RuntimeApiTest.bagFeeds(), List.of());
                split.applyGradients("step", split.computeGradients("step", RuntimeApiTest.bagFeeds()), Map.of());
            }
            assertEquals(whole.state(), split.state(), model.getClass().getSimpleName());
        }
    }
}
