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
 * Updates run inside their weight gradient's product ({@link Kernel.ProductUpdate}) give bitwise the results of
 * the product and the update run one after the other: GATE_OP fuses them, GATE_GRAPH (a barrier between the
 * last gradient and the first update) cannot, and an MLP's values do not depend on that order. Covered: several
 * optimizers; a symbolic and a static batch; a batch large enough for the blocks to split over two threads and
 * one too small; block heights that do not divide the rows (600 rows of 8-row blocks, 300 rows of 208-row
 * blocks); and a gradient that something else reads after the update, so it is kept whole.
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
        return tests.stream();
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
            Map<String, Tensor> one = train(m, 1, batch), two = train(m, 2, batch);
            for (var e : one.entrySet()) {
                if (e.getValue().data() instanceof float[] f) assertArrayEquals(f, (float[]) two.get(e.getKey()).data(), e.getKey());
            }
            descent.runtime.api.TrainingSession interp = new descent.compiler.interp.InterpretedModel(m, descent.compiler.interp.Precision.F32)
                    .newSession(7);
            Map<String, Tensor> feeds = feeds(batch);
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
        for (int threads : new int[] {1, 2}) {
            for (int batch : new int[] {96, 8}) {
                if (!source.contains("[batch") && batch != 96) continue;
                Map<String, Tensor> a = train(fused, threads, batch), b = train(unfused, threads, batch);
                assertEquals(b.keySet(), a.keySet());
                for (var e : b.entrySet()) {
                    if (e.getValue().data() instanceof float[] f) {
                        assertArrayEquals(f, (float[]) a.get(e.getKey()).data(), e.getKey() + ", " + threads + " threads, batch " + batch);
                    }
                }
            }
        }
    }

    private static List<Kernel.ProductUpdate> productUpdates(Model m) {
        return Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of()).kernels().stream()
                .filter(k -> k instanceof Kernel.ProductUpdate).map(k -> (Kernel.ProductUpdate) k).toList();
    }

    /** Three steps; the state afterwards. */
    private static Map<String, Tensor> train(Model m, int threads, int batch) {
        Map<String, Tensor> feeds = feeds(batch);
        CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(7, threads);
        for (int i = 0; i < 3; i++) s.train("step", feeds, List.of());
        return s.state();
    }

    private static Map<String, Tensor> feeds(int batch) {
        Random r = new Random(5);
        int[] labels = new int[batch];
        float[] x = new float[batch * 600];
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return Map.of("x", Tensor.of(x, batch, 600), "labels", Tensor.of(labels, batch));
    }
}
