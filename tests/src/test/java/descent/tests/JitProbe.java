package descent.tests;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains every example with data, and an MLP 784-128-10, on the compiled backend for a fixed time each,
 * so the JIT compiles their kernels (run by {@link JitBailoutTest} in a child JVM that logs compilations).
 */
public final class JitProbe {
    static final String MLP_784 = """
            model mlp784
            input x: f32[batch, 784]
            input labels: i32[batch]
            var w1: f32[784, 128] = glorot_uniform(seed=1)
            var b1: f32[128] = zeros()
            var w2: f32[128, 10] = glorot_uniform(seed=2)
            var b2: f32[10] = zeros()
            logits = relu(x @ w1 + b1) @ w2 + b2
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            output loss
            train step { AdamOptimizer(0.001).minimize(loss) }
            """;

    public static void main(String[] args) throws Exception {
        long millis = Long.parseLong(args[0]);
        Path ex = ExampleGoldenTest.ROOT.resolve("examples");
        for (var e : CompiledEqualsInterpretedTest.EXAMPLE_DATA.entrySet()) {
            Model m = Compiler.check(ex.resolve(e.getKey() + ".descent"));
            for (var t : m.trains()) train(m, t.name(), CompiledEqualsInterpretedTest.feeds(ex, e.getValue()), millis);
        }
        train(Compiler.check("mlp784.descent", MLP_784), "step", mlp784Feeds(), millis);
    }

    /** A batch of 64 Gaussian inputs and random labels for {@link #MLP_784}. */
    static Map<String, Tensor> mlp784Feeds() {
        Random r = new Random(1);
        float[] x = new float[64 * 784];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] labels = new int[64];
        for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(10);
        return Map.of("x", Tensor.of(x, 64, 784), "labels", Tensor.of(labels, 64));
    }

    private static void train(Model m, String block, Map<String, Tensor> feeds, long millis) {
        TrainingSession s = new CompiledModel(m).newSession(0);
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) s.train(block, feeds, List.of());
    }
}
