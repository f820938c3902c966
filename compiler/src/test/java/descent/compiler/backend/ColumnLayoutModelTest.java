package descent.compiler.backend;

import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model in the column layout (features × batch: W·X, a bias column, a weight gradient contracted over the batch
 * against a transposed X) trains with the same bits in every gate mode on 1, 2 and 3 threads, and within the
 * backend's tolerance of the interpreter ({@link SameBitsOracle}), through batches that change every step, that
 * split its products over the threads (48 × 64 × 1,200 multiply-adds), and that are empty.
 */
class ColumnLayoutModelTest {
    private static final String MODEL = """
            model columns
            input x: f32[64, batch]
            input labels: i32[batch]
            var w1: f32[48, 64] = glorot_uniform(seed=1)
            var b1: f32[48, 1] = zeros()
            var w2: f32[10, 48] = glorot_uniform(seed=2)
            h = relu(w1 @ x + b1)
            logits = matmul(h, w2, transpose_a=true, transpose_b=true)
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            output loss
            train step { OPTIMIZER.minimize(loss, gate_gradients=GATE) }
            """;

    @Test
    void trainsWithTheSameBitsOnEveryThreadCountAndAsTheInterpreter() {
        Random r = new Random(5);
        List<Map<String, Tensor>> feeds = new ArrayList<>();
        for (int batch : new int[] {37, 1200, 0, 5, 1200}) {
            float[] x = new float[64 * batch];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
            feeds.add(Map.of("x", Tensor.of(x, 64, batch), "labels", Tensor.of(labels, batch)));
        }
        for (String optimizer : List.of("AdamOptimizer(0.01)", "MomentumOptimizer(0.05, 0.9)")) {
            SameBitsOracle.check("columns.descent", MODEL.replace("OPTIMIZER", optimizer), "GATE", feeds, true);
        }
    }
}
