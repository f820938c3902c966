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
 * Random embedding models large enough for the sparse paths' splits (lookups and sparse row updates by ranges of
 * ids, deduplication of repeated ids, lookups shared by two tables' gradients): random table sizes, widths, ids
 * per example (repeats included), pooling, a dense layer or none, sparse-capable optimizer, gate mode,
 * aggregation method and a batch that changes between steps. The oracle is {@link SameBitsOracle}'s: GATE_GRAPH on one
 * thread, whose bits every gate mode and thread count must give; small cases also against the interpreter. Each case is named by its seed.
 */
class RandomEmbeddingTest {
    static final int CASES = 24;
    private static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.1)", "AdagradOptimizer(0.1)",
            "MomentumOptimizer(0.05, momentum=0.9)", "AdamOptimizer(0.001)", "LazyAdamOptimizer(0.001)",
            "RMSPropOptimizer(0.01, momentum=0.5)", "FtrlOptimizer(0.1, l1_regularization_strength=0.01)",
            "AdagradOptimizer(0.1, use_locking=true)", "ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.001)");
    private static final List<String> AGGREGATIONS = List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N");

    @TestFactory
    Stream<DynamicTest> randomEmbeddings() {
        return LongStream.rangeClosed(1, Long.getLong("descent.randomEmbeddings", CASES))
                .mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> check(seed)));
    }

    private record Case(String text, int[] batches, int ids, int rows, int otherRows) {}

    static Case random(long seed) {
        Random r = new Random(seed);
        int rows = 1 + r.nextInt(r.nextBoolean() ? 50 : 30_000), dim = 1 + r.nextInt(96), ids = 1 + r.nextInt(10);
        int otherRows = 1 + r.nextInt(2_000);
        int b = 1 + r.nextInt(r.nextBoolean() ? 16 : 400);
        int[] batches = {b, 1 + r.nextInt(400), b};
        // Every third case steps through an empty batch too.
        if (seed % 3 == 0) batches = new int[] {batches[0], 0, batches[1], batches[2]};
        String pool = r.nextBoolean() ? "reduce_mean" : "reduce_sum";
        boolean dense = r.nextBoolean(), shared = r.nextInt(3) == 0;
        StringBuilder s = new StringBuilder("model random\n");
        s.append("input ids: i32[batch, ").append(ids).append("]\n");
        s.append("input other: i32[batch]\n");
        s.append("input more: i32[batch]\n");
        s.append("input y: f32[batch]\n");
        s.append("var emb: f32[").append(rows).append(", ").append(dim).append("] = random_normal(stddev=0.1, seed=1)\n");
        s.append("var bias: f32[").append(otherRows).append("] = random_normal(stddev=0.1, seed=2)\n");
        if (dense) s.append("var w: f32[").append(dim).append(", 1] = glorot_uniform(seed=3)\n");
        s.append("h = ").append(pool).append("(embedding_lookup(emb, ids), axis=1)\n");
        // A second lookup of the same table by other ids: two IndexedSlices gradients of emb to aggregate.
        if (shared) s.append("h2 = h + embedding_lookup(emb, more)\n");
        String hh = shared ? "h2" : "h";
        String score = dense ? "reshape(" + hh + " @ w, [-1])" : "reduce_sum(" + hh + ", axis=1)";
        s.append("score = ").append(score).append(" + gather(bias, other)\n");
        s.append("loss = reduce_mean(square(score - y))\n");
        s.append("output loss\n");
        s.append("train step { ").append(OPTIMIZERS.get(r.nextInt(OPTIMIZERS.size())))
                .append(".minimize(loss, gate_gradients=GATE, aggregation_method=").append(AGGREGATIONS.get(r.nextInt(AGGREGATIONS.size()))).append(") }\n");
        return new Case(s.toString(), batches, ids, rows, otherRows);
    }

    private static void check(long seed) {
        Case c = random(seed);
        Random r = new Random(seed * 31 + 7);
        List<Map<String, Tensor>> feeds = new ArrayList<>();
        for (int b : c.batches()) {
            int[] ids = new int[b * c.ids()], other = new int[b], more = new int[b];
            float[] y = new float[b];
            // Few distinct ids at times, so repeats (deduplicated rows) are common.
            int range = r.nextBoolean() ? Math.min(c.rows(), 1 + r.nextInt(20)) : c.rows();
            for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(range);
            for (int i = 0; i < b; i++) {
                other[i] = r.nextInt(c.otherRows());
                more[i] = r.nextInt(range);
                y[i] = (float) r.nextGaussian();
            }
            feeds.add(Map.of("ids", Tensor.of(ids, b, c.ids()), "other", Tensor.of(other, b), "more", Tensor.of(more, b), "y", Tensor.of(y, b)));
        }
        boolean small = (long) c.rows() * 96 < 400_000;   // the interpreter: affordable for small cases only
        SameBitsOracle.check("random" + seed + ".descent", c.text(), "GATE", feeds, small);
    }
}
