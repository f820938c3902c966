package descent.compiler.backend;


import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Random multi-layer perceptrons large enough to take the backend's size-dependent paths (products split by
 * rows, along k or by rows of W, updates inside their gradient's product in small or whole-part blocks, split
 * elementwise and softmax passes, pairs run at once), with widths that divide no tile or block. Random depth,
 * widths, bias, activation, {@code transpose_b} layers, optimizer, {@code use_locking}, gate mode, a static or a
 * symbolic batch, and a symbolic batch that changes between steps. The oracle is {@link SameBitsOracle}'s: the
 * same step under GATE_GRAPH on one thread, whose bits every gate mode and thread count must give; small cases
 * also against the interpreter. Each case is named by its seed.
 */
class RandomMlpTest {
    static final int CASES = 24;
    private static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.1)", "AdamOptimizer(0.0001)",
            "MomentumOptimizer(0.1, momentum=0.9, use_nesterov=true)", "RMSPropOptimizer(0.001, momentum=0.5, centered=true)",
            "AdagradOptimizer(0.1)", "AdamOptimizer(0.0001, use_locking=true)", "MomentumOptimizer(0.05, momentum=0.9, use_locking=true)",
            "FtrlOptimizer(0.1, l1_regularization_strength=0.01)");
    private static final List<String> ACTIVATIONS = List.of("relu", "tanh", "sigmoid", "", "softplus", "elu", "relu", "tanh");

    @TestFactory
    Stream<DynamicTest> randomMlps() {
        return LongStream.rangeClosed(1, Long.getLong("descent.randomMlps", CASES)).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> check(seed)));
    }

    /** One random case: its model text with GATE left open, the batch sizes of its steps, and its feeds. */
    private record Case(String text, int[] batches, int inputs, int classes, String optimizer) {}

    static Case random(long seed) {
        Random r = new Random(seed);
        int depth = 1 + r.nextInt(3), inputs = 3 + r.nextInt(900), classes = 2 + r.nextInt(12);
        boolean symbolic = r.nextInt(3) > 0;
        int b = 1 + r.nextInt(r.nextBoolean() ? 40 : 300);
        int[] batches = symbolic ? new int[] {b, 1 + r.nextInt(300), b} : new int[] {b, b};
        // Every third symbolic case steps through an empty batch too (loss NaN, as the mean of nothing).
        if (symbolic && seed % 3 == 0) batches = new int[] {batches[0], 0, batches[1], batches[2]};
        String optimizer = OPTIMIZERS.get(r.nextInt(OPTIMIZERS.size()));
        StringBuilder s = new StringBuilder("model random\n");
        String batch = symbolic ? "batch" : String.valueOf(b);
        s.append("input x: f32[").append(batch).append(", ").append(inputs).append("]\n");
        s.append("input labels: i32[").append(batch).append("]\n");
        String h = "x";
        int width = inputs;
        StringBuilder body = new StringBuilder();
        for (int l = 1; l <= depth; l++) {
            int out = l == depth ? classes : 2 + r.nextInt(700);
            boolean transposed = r.nextInt(4) == 0, bias = r.nextBoolean();
            s.append("var w").append(l).append(": f32[").append(transposed ? out + ", " + width : width + ", " + out)
                    .append("] = glorot_uniform(seed=").append(l).append(")\n");
            if (bias) s.append("var b").append(l).append(": f32[").append(out).append("] = random_uniform(minval=-0.1, maxval=0.1, seed=").append(10 + l).append(")\n");
            String z = (transposed ? "matmul(" + h + ", w" + l + ", transpose_b=true)" : h + " @ w" + l) + (bias ? " + b" + l : "");
            String act = l == depth ? "" : ACTIVATIONS.get(r.nextInt(ACTIVATIONS.size()));
            body.append("h").append(l).append(" = ").append(act.isEmpty() ? z : act + "(" + z + ")").append('\n');
            h = "h" + l;
            width = out;
        }
        s.append(body);
        s.append("loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=").append(h).append("))\n");
        s.append("output loss\n");
        s.append("train step { ").append(optimizer).append(".minimize(loss, gate_gradients=GATE) }\n");
        return new Case(s.toString(), batches, inputs, classes, optimizer);
    }

    private static void check(long seed) {
        Case c = random(seed);
        Random r = new Random(seed * 31 + 7);
        List<Map<String, Tensor>> feeds = new ArrayList<>();
        for (int b : c.batches()) {
            float[] x = new float[b * c.inputs()];
            int[] labels = new int[b];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < b; i++) labels[i] = r.nextInt(c.classes());
            feeds.add(Map.of("x", Tensor.of(x, b, c.inputs()), "labels", Tensor.of(labels, b)));
        }
        long macs = 0;
        for (int b : c.batches()) macs += (long) b * c.inputs() * 700;
        boolean small = macs < 3_000_000;   // the interpreter computes in double: affordable for small cases only
        SameBitsOracle.check("random" + seed + ".descent", c.text(), "GATE", feeds, small);
    }
}
