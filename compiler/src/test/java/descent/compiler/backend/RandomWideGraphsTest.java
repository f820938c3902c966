package descent.compiler.backend;

import descent.compiler.schedule.RandomModels;
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
 * {@link RandomGraphsTest}'s random graphs (matmuls with and without transposed weights, bias and relu, tanh,
 * sigmoid, products and maxima of reused values, so aggregation matters) made wide and fed large batches, so that
 * products split by rows, elementwise passes split by ranges (from 2^18 elements) and pairs run at once; every
 * gate mode, aggregation method and thread count must give the bits of GATE_GRAPH on one thread
 * ({@link SameBitsOracle}), through a batch that changes between steps. Each case is named by its seed.
 */
class RandomWideGraphsTest {
    static final int CASES = 8;
    private static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.01)", "AdamOptimizer(0.001)",
            "MomentumOptimizer(0.01, 0.9, use_nesterov=true)", "RMSPropOptimizer(0.001, centered=true)", "AdagradOptimizer(0.01)");

    @TestFactory
    Stream<DynamicTest> wideRandomGraphs() {
        return LongStream.rangeClosed(1, Long.getLong("descent.randomWideGraphs", CASES)).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            Random r = new Random(seed * 7 + 1);
            int width = 16 + r.nextInt(300);
            String text = RandomModels.model(seed, "GATE", RandomGraphsTest.AGGREGATIONS.get(r.nextInt(4)), OPTIMIZERS.get(r.nextInt(OPTIMIZERS.size())), width);
            int big = (1 << 18) / width + 1 + r.nextInt(200), b = r.nextBoolean() ? big : 1 + r.nextInt(64);
            List<Map<String, Tensor>> feeds = new ArrayList<>();
            int[] batches = {b, r.nextBoolean() ? big : 1 + r.nextInt(64), b};
            // Every third case steps through an empty batch too.
            if (seed % 3 == 0) batches = new int[] {batches[0], 0, batches[1], batches[2]};
            for (int batch : batches) {
                float[] x = new float[batch * width];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                feeds.add(Map.of("x", Tensor.of(x, batch, width)));
            }
            SameBitsOracle.check("wide" + seed + ".descent", text, "GATE", feeds, false);
        }));
    }
}
