package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.lower.Kernel;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Updates run inside their weight gradient's product ({@link Kernel.ProductUpdate}), and a bias's update inside
 * its gradient's reduction ({@link Kernel.ReduceUpdate}), give bitwise the results of the product or reduction and
 * the update run one after the other: GATE_OP fuses them, GATE_GRAPH (a barrier between the
 * last gradient and the first update) cannot, and an MLP's values do not depend on that order. Covered: several
 * optimizers; a symbolic and a static batch; a batch large enough for the blocks to split over the threads and
 * one too small; 1, 2 and 3 threads; block heights that do not divide a part's rows (300 rows of 208-row blocks
 * on one thread; 603 rows of 8-row blocks, whose last part ends in a 3-row block on two and three threads; one
 * block per part, at batch 900, where B is too large for small blocks);
 * {@code use_locking}; and gradients kept whole because something else reads them after the update, or because
 * the step fetches them.
 */
class ProductUpdateTest {
    /** ThreadCountTest's MLP 600-300-10 with its optimizer left open. */
    private static final String MLP = ThreadCountTest.MLP.replace("AdamOptimizer(0.01)", "OPTIMIZER");

    /** w1's gradient also updates `shadow`, after w1's update has read it: the gradient is kept whole. */
    private static final String KEPT = """
            model kept
            input x: f32[batch, 600]
            input labels: i32[batch]
            var w1: f32[600, 300] = glorot_uniform(seed=1)
            var w2: f32[300, 10] = glorot_uniform(seed=2)
            var shadow: f32[600, 300] = zeros()
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=relu(x @ w1) @ w2))
            output loss
            train step {
              g1, g2 = gradients(loss, [w1, w2])
              MomentumOptimizer(0.1, momentum=0.9).apply_gradients([(g1, w1), (g2, w2)])
              GradientDescentOptimizer(0.5).apply_gradients([(g1, shadow)])
            }
            """;

    /** w1's gradient is fetched by the step as well as read by its update: it is kept whole. */
    private static final String FETCHED = """
            model fetched
            input x: f32[batch, 603]
            input labels: i32[batch]
            var w1: f32[603, 300] = glorot_uniform(seed=1)
            var w2: f32[300, 10] = glorot_uniform(seed=2)
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=relu(x @ w1) @ w2))
            output loss
            train step {
              g1, g2 = gradients(loss, [w1, w2])
              MomentumOptimizer(0.1, momentum=0.9).apply_gradients([(g1, w1), (g2, w2)])
            }
            """;

    @TestFactory
    Stream<DynamicTest> fusedUpdatesGiveTheBitsOfUnfusedOnes() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String opt : List.of("AdamOptimizer(0.01)", "MomentumOptimizer(0.1, momentum=0.9, use_nesterov=true)",
                "RMSPropOptimizer(0.01, momentum=0.5, centered=true)", "AdagradOptimizer(0.1)", "FtrlOptimizer(0.1, l1_regularization_strength=0.01)",
                "GradientDescentOptimizer(0.1)")) {
            for (String batch : List.of("batch", "96")) {
                tests.add(DynamicTest.dynamicTest(opt + ", " + batch, () -> check(MLP.replace("OPTIMIZER", opt).replace("BATCH", batch), false)));
            }
        }
        String odd = MLP.replace("600", "603");
        tests.add(DynamicTest.dynamicTest("603 rows on 1, 2 and 3 threads", () -> check(odd.replace("OPTIMIZER", "AdamOptimizer(0.01)").replace("BATCH", "batch"), false)));
        tests.add(DynamicTest.dynamicTest("use_locking", () -> check(odd.replace("OPTIMIZER", "AdamOptimizer(0.01, use_locking=true)").replace("BATCH", "batch"), false)));
        return tests.stream();
    }

    /**
     * A fetched gradient is kept whole and fetched with the same bits whatever the thread count; the state is
     * bitwise that of the same step without the fetch, whose gradient lives only in blocks.
     */
    @org.junit.jupiter.api.Test
    void aFetchedGradientIsKeptWholeAndIsTheGradient() {
        Model m = Compiler.check("t.descent", FETCHED);
        int w1Grad = productUpdates(m).get(0).product();
        List<Kernel.ProductUpdate> fetching = Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of(w1Grad)), List.of(w1Grad))
                .kernels().stream().filter(k -> k instanceof Kernel.ProductUpdate).map(k -> (Kernel.ProductUpdate) k).toList();
        assertTrue(productUpdates(m).stream().noneMatch(Kernel.ProductUpdate::kept), "without the fetch, nothing keeps w1's gradient");
        assertTrue(fetching.stream().anyMatch(u -> u.product() == w1Grad && u.kept()), "the fetch keeps w1's gradient");
        Map<String, Tensor> feeds = feeds(96, 603);
        float[] first = null;
        Map<String, Tensor> unfetchedState = train(m, 1, 96, 603);
        for (int threads = 1; threads <= 3; threads++) {
            CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(7, threads);
            float[] g = null;
            for (int i = 0; i < 3; i++) g = (float[]) s.train("step", feeds, List.of("step/g1")).get("step/g1").data();
            if (first == null) first = g;
            assertArrayEquals(first, g, "the fetched gradient on " + threads + " threads");
            for (var e : unfetchedState.entrySet()) {
                assertArrayEquals((float[]) e.getValue().data(), (float[]) s.state().get(e.getKey()).data(), e.getKey() + ", " + threads + " threads");
            }
        }
        descent.runtime.api.TrainingSession interp = new descent.compiler.interp.InterpretedModel(m, descent.compiler.interp.Precision.F32).newSession(7);
        double[] expected = null;
        for (int i = 0; i < 3; i++) expected = interp.train("step", feeds, List.of("step/g1")).get("step/g1").toDoubles();
        double scale = 0;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - first[i]) <= 2e-4 * Math.max(scale, 1e-3), "g1[" + i + "] interpreted " + expected[i] + ", compiled " + first[i]);
        }
    }

    /**
     * A kept gradient (there is no gate mode that leaves this step unfused): the same bits on one and two threads,
     * and the interpreter's values within the compiled backend's tolerance. (Momentum, not Adam: Adam's step
     * m/√v is ±1 for any gradient near 0, so the interpreter's more exact gradients move such elements by up
     * to the learning rate.)
     */
    @org.junit.jupiter.api.Test
    void aGradientReadAgainAfterTheUpdateIsKeptWhole() {
        Model m = Compiler.check("t.descent", KEPT);
        assertTrue(productUpdates(m).stream().anyMatch(Kernel.ProductUpdate::kept), "w1's gradient is kept");
        for (int batch : new int[] {96, 8}) {
            Map<String, Tensor> one = train(m, 1, batch, 600), two = train(m, 2, batch, 600);
            for (var e : one.entrySet()) {
                if (e.getValue().data() instanceof float[] f) assertArrayEquals(f, (float[]) two.get(e.getKey()).data(), e.getKey());
            }
            descent.runtime.api.TrainingSession interp = new descent.compiler.interp.InterpretedModel(m, descent.compiler.interp.Precision.F32)
                    .newSession(7);
            Map<String, Tensor> feeds = feeds(batch, 600);
            for (int i = 0; i < 3; i++) interp.train("step", feeds, List.of());
            for (var e : interp.state().entrySet()) {
                double[] a = e.getValue().toDoubles(), b = one.get(e.getKey()).toDoubles();
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Math.abs(a[i] - b[i]) <= 2e-4 * Math.max(1, Math.abs(a[i])),
                            e.getKey() + "[" + i + "] interpreted " + a[i] + ", compiled " + b[i]);
                }
            }
        }
    }

    private static void check(String source, boolean kept) {
        Model fused = Compiler.check("t.descent", source.replace("GATE", "GATE_OP"));
        Model unfused = Compiler.check("t.descent", source.replace("GATE", "GATE_GRAPH"));
        assertTrue(productUpdates(fused).stream().anyMatch(u -> u.kept() == kept), "an update inside its gradient's product (kept: " + kept + ")");
        assertTrue(productUpdates(unfused).isEmpty(), "nothing fused under GATE_GRAPH");
        assertTrue(reduceUpdates(fused).stream().anyMatch(u -> !u.kept()), "b1's update inside its gradient's reduction");
        assertTrue(reduceUpdates(unfused).isEmpty(), "no reduction fused under GATE_GRAPH");
        int width = source.contains("603") ? 603 : 600;
        for (int threads : width == 603 ? new int[] {1, 2, 3} : new int[] {1, 2}) {
            for (int batch : width == 603 ? new int[] {96, 8, 900} : new int[] {96, 8}) {
                if (!source.contains("[batch") && batch != 96) continue;
                Map<String, Tensor> a = train(fused, threads, batch, width), b = train(unfused, threads, batch, width);
                assertEquals(b.keySet(), a.keySet());
                for (var e : b.entrySet()) {
                    if (e.getValue().data() instanceof float[] f) {
                        assertArrayEquals(f, (float[]) a.get(e.getKey()).data(), e.getKey() + ", " + threads + " threads, batch " + batch);
                    }
                }
            }
        }
    }

    /** b1's gradient, fetched by the step and read by its update: a scratch would not do, it is kept whole. */
    @org.junit.jupiter.api.Test
    void aFetchedBiasGradientIsKeptWholeAndIsTheGradient() {
        String source = ThreadCountTest.MLP.replace("BATCH", "batch").replace("train step { AdamOptimizer(0.01).minimize(loss, gate_gradients=GATE) }", """
                train step {
                  g1, gb, g2 = gradients(loss, [w1, b1, w2])
                  AdamOptimizer(0.01).apply_gradients([(g1, w1), (gb, b1), (g2, w2)])
                }
                """);
        Model m = Compiler.check("t.descent", source);
        int gb = reduceUpdates(m).getFirst().reduction();
        assertTrue(reduceUpdates(m).stream().noneMatch(Kernel.ReduceUpdate::kept), "without the fetch, b1's gradient is a scratch");
        assertTrue(Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of(gb)), List.of(gb)).kernels().stream()
                .anyMatch(k -> k instanceof Kernel.ReduceUpdate u && u.reduction() == gb && u.kept()), "the fetch keeps b1's gradient");
        Map<String, Tensor> feeds = feeds(96, 600), unfetchedState = train(m, 1, 96, 600);
        CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(7, 1);
        descent.runtime.api.TrainingSession interp = new descent.compiler.interp.InterpretedModel(m, descent.compiler.interp.Precision.F32).newSession(7);
        float[] g = null;
        double[] expected = null;
        for (int i = 0; i < 3; i++) {
            g = (float[]) s.train("step", feeds, List.of("step/gb")).get("step/gb").data();
            expected = interp.train("step", feeds, List.of("step/gb")).get("step/gb").toDoubles();
        }
        for (var e : unfetchedState.entrySet()) {
            assertArrayEquals((float[]) e.getValue().data(), (float[]) s.state().get(e.getKey()).data(), e.getKey());
        }
        double scale = 0;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - g[i]) <= 2e-4 * Math.max(scale, 1e-3), "gb[" + i + "] interpreted " + expected[i] + ", compiled " + g[i]);
        }
    }

    private static List<Kernel.ReduceUpdate> reduceUpdates(Model m) {
        return Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of()).kernels().stream()
                .filter(k -> k instanceof Kernel.ReduceUpdate).map(k -> (Kernel.ReduceUpdate) k).toList();
    }

    private static List<Kernel.ProductUpdate> productUpdates(Model m) {
        return Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of()).kernels().stream()
                .filter(k -> k instanceof Kernel.ProductUpdate).map(k -> (Kernel.ProductUpdate) k).toList();
    }

    /** Three steps; the state afterwards. */
    private static Map<String, Tensor> train(Model m, int threads, int batch, int width) {
        Map<String, Tensor> feeds = feeds(batch, width);
        CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(7, threads);
        for (int i = 0; i < 3; i++) s.train("step", feeds, List.of());
        return s.state();
    }

    private static Map<String, Tensor> feeds(int batch, int width) {
        Random r = new Random(5);
        int[] labels = new int[batch];
        float[] x = new float[batch * width];
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return Map.of("x", Tensor.of(x, batch, width), "labels", Tensor.of(labels, batch));
    }
}
