package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A session's thread count changes how work is split, never the numbers: sessions with 1, 2 and 3 threads
 * end bitwise equal after the same steps, for matmuls split by rows of C (static and batch-sized rows, both B
 * layouts) and weight gradients split by rows of W, forward products split along k (which every thread count
 * splits alike: CompiledEqualsInterpretedTest checks those against the interpreter), split elementwise passes (a
 * large optimizer update, updates split by rows of W), lookups and sparse updates split by ranges of ids, in
 * every gate mode, and for independent products run at once ({@link BranchPairs}). Sizes are above the
 * thresholds ({@link MatmulCalls#PARALLEL_MACS}, {@link ElementwiseCalls#PARALLEL_ELEMENTS}, {@link BranchFork#FORK_MACS}).
 */
class ThreadCountTest {
    static final String MLP = """
            model mlp
            input x: f32[BATCH, 600]
            input labels: i32[BATCH]
            var w1: f32[600, 300] = glorot_uniform(seed=1)
            var b1: f32[300] = zeros()
            var w2: f32[300, 10] = glorot_uniform(seed=2)
            logits = relu(x @ w1 + b1) @ w2
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            output loss
            train step { AdamOptimizer(0.01).minimize(loss, gate_gradients=GATE) }
            """;

    /** Two layers with independent backward products (dZ2·W2ᵀ and H1ᵀ·dZ2), which run at once ({@link BranchPairs}). */
    private static final String MLP3 = """
            model mlp3
            input x: f32[BATCH, 300]
            input labels: i32[BATCH]
            var w1: f32[300, 256] = glorot_uniform(seed=1)
            var w2: f32[256, 256] = glorot_uniform(seed=2)
            var b2: f32[256] = zeros()
            var w3: f32[256, 10] = glorot_uniform(seed=3)
            logits = relu(relu(x @ w1) @ w2 + b2) @ w3
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            output loss
            train step { MomentumOptimizer(0.05, momentum=0.9).minimize(loss, gate_gradients=GATE) }
            """;

    private static final String UPDATE = """
            model update
            input g: f32[700, 500]
            var w: f32[700, 500] = random_uniform(minval=-1, maxval=1, seed=3)
            var b: f32[500] = zeros()
            loss = reduce_sum(w * g) + reduce_sum(b)
            train step { MomentumOptimizer(0.1, momentum=0.9, use_nesterov=true).minimize(loss, gate_gradients=GATE) }
            """;

    /** Sparse updates: the lookup and the row loop split by ranges of ids (RowsCalls, SparseRowsCalls), repeats included. */
    private static final String EMBEDDING = """
            model embedding
            input ids: i32[batch, 8]
            input y: f32[batch]
            var emb: f32[3000, 64] = random_normal(stddev=0.1, seed=1)
            h = reduce_mean(embedding_lookup(emb, ids), axis=1)
            loss = reduce_mean(square(reduce_sum(h, axis=1) - y))
            output loss
            train step { OPTIMIZER.minimize(loss) }
            """;

    /** Products above PARALLEL_MACS whose B is not a variable, row-major and transposed: split by rows of C (RowSplitMatmul.call). */
    private static final String PRODUCT = """
            model product
            input x: f32[BATCH, 600]
            input m: f32[600, 400]
            input mt: f32[400, 600]
            var w: f32[400] = random_uniform(minval=-1, maxval=1, seed=2)
            loss = reduce_sum(relu(x @ m) * w) + reduce_sum(matmul(x, mt, transpose_b=true) * w)
            output loss
            train step { GradientDescentOptimizer(0.001).minimize(loss) }
            """;

    @TestFactory
    Stream<DynamicTest> resultsDoNotDependOnTheThreadCount() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            for (String batch : List.of("batch", "96")) {
                tests.add(DynamicTest.dynamicTest("mlp, " + batch + ", " + gate, () -> check(
                        MLP.replace("BATCH", batch).replace("GATE", gate), mlpFeeds(96, 600))));
            }
            for (String batch : List.of("batch", "96")) {
                tests.add(DynamicTest.dynamicTest("three-layer mlp, products at once, " + batch + ", " + gate, () -> {
                    int forks = check(MLP3.replace("BATCH", batch).replace("GATE", gate), mlpFeeds(96, 300));
                    // Under GATE_NONE and GATE_OP each weight gradient keeps its update inside (BranchPairs.of).
                    if (gate.equals("GATE_GRAPH")) assertTrue(forks > 0, "no pair of products ran at once");
                }));
            }
            tests.add(DynamicTest.dynamicTest("momentum update of 350,000 floats, " + gate, () -> check(
                    UPDATE.replace("GATE", gate), Map.of("g", Tensor.of(gaussian(700 * 500, 4), 700, 500)))));
        }
        for (String batch : List.of("batch", "96")) {
            tests.add(DynamicTest.dynamicTest("a product split by rows of C, " + batch, () -> check(PRODUCT.replace("BATCH", batch),
                    Map.of("x", Tensor.of(gaussian(96 * 600, 3), 96, 600), "m", Tensor.of(gaussian(600 * 400, 4), 600, 400),
                            "mt", Tensor.of(gaussian(400 * 600, 5), 400, 600)))));
        }
        Random r = new Random(8);
        int[] ids = new int[256 * 8];
        float[] y = new float[256];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(3000);
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
        for (String opt : List.of("AdagradOptimizer(0.1)", "LazyAdamOptimizer(0.01)", "MomentumOptimizer(0.1, momentum=0.9)")) {
            tests.add(DynamicTest.dynamicTest("embedding, " + opt, () -> check(EMBEDDING.replace("OPTIMIZER", opt),
                    Map.of("ids", Tensor.of(ids, 256, 8), "y", Tensor.of(y, 256)))));
        }
        return tests.stream();
    }

    /**
     * A session whose batch changes from step to step — across the split thresholds, to leftover rows of the 8-row
     * tiles, and back to batches seen before — gives one thread's bits on two and three (the split weight gradient
     * and the updates inside products keep their kernels across the changes and take each call's batch). It fails
     * if the split weight gradient keeps its first batch.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"GATE_OP", "GATE_GRAPH"}) // updates inside products, and not
    void aBatchThatChangesEveryStepGivesTheBitsOfOneThread(String gate) {
        CompiledModel model = new CompiledModel(Compiler.check("t.descent", MLP.replace("BATCH", "batch").replace("GATE", gate)));
        // On two threads, W1's gradient parts pack B from 437 rows on: 450 and 600 take the packed path.
        int[] batches = {37, 450, 600, 96, 5, 37, 600, 300, 96};
        List<Map<String, Tensor>> ends = new ArrayList<>();
        for (int threads : new int[] {1, 2, 3}) {
            CompiledSession s = (CompiledSession) model.newSession(7, threads);
            for (int b : batches) s.train("step", mlpFeeds(b, 600), List.of());
            ends.add(s.state());
        }
        for (int t = 1; t < ends.size(); t++) {
            for (var e : ends.get(0).entrySet()) {
                assertTrue(java.util.Objects.deepEquals(e.getValue().data(), ends.get(t).get(e.getKey()).data()), e.getKey() + " on " + (t + 1) + " threads");
            }
        }
    }

    /** A bad id in the second half of a lookup split in two is reported at its position in the whole list, as on one thread. */
    @org.junit.jupiter.api.Test
    void aBadIdIsReportedAtItsPositionWhateverTheThreadCount() {
        CompiledModel model = new CompiledModel(Compiler.check("t.descent", EMBEDDING.replace("OPTIMIZER", "AdagradOptimizer(0.1)")));
        int[] ids = new int[256 * 8];
        ids[2000] = 5000;
        Map<String, Tensor> feeds = Map.of("ids", Tensor.of(ids, 256, 8), "y", Tensor.of(new float[256], 256));
        for (int threads : new int[] {1, 2, 3}) {
            CompiledSession s = (CompiledSession) model.newSession(7, threads);
            Map<String, Tensor> before = s.state();
            var e = org.junit.jupiter.api.Assertions.assertThrows(descent.runtime.DescentException.class, () -> s.train("step", feeds, List.of()));
            assertEquals("gather: index 5000 at position 2000 is outside [0, 3000)", e.getMessage(), threads + " threads");
            assertEquals(before.keySet(), s.state().keySet());
            for (var en : before.entrySet()) assertTrue(java.util.Objects.deepEquals(en.getValue().data(), s.state().get(en.getKey()).data()));
        }
    }

    /** A bad label in the second half of a cross entropy split by rows is reported at its row in the batch, as on one thread. */
    @org.junit.jupiter.api.Test
    void aBadLabelIsReportedAtItsRowWhateverTheThreadCount() {
        CompiledModel model = new CompiledModel(Compiler.check("t.descent", MLP.replace("BATCH", "batch").replace("GATE", "GATE_OP")));
        Map<String, Tensor> good = mlpFeeds(96, 600);
        int[] labels = ((int[]) good.get("labels").data()).clone();
        labels[70] = 10;
        Map<String, Tensor> feeds = Map.of("x", good.get("x"), "labels", Tensor.of(labels, 96));
        String expected = null;
        for (int threads : new int[] {1, 2, 3}) {
            CompiledSession s = (CompiledSession) model.newSession(7, threads);
            Map<String, Tensor> before = s.state();
            var e = org.junit.jupiter.api.Assertions.assertThrows(descent.runtime.DescentException.class, () -> s.train("step", feeds, List.of()));
            if (expected == null) expected = e.getMessage();
            assertEquals(expected, e.getMessage(), threads + " threads");
            assertTrue(expected.contains("position 70"), expected);
            for (var en : before.entrySet()) assertTrue(java.util.Objects.deepEquals(en.getValue().data(), s.state().get(en.getKey()).data()));
        }
    }

    /** Returns how many pairs of products the sessions with more than one thread ran at once. */
    private static int check(String source, Map<String, Tensor> feeds) {
        Model m = Compiler.check("t.descent", source);
        CompiledModel model = new CompiledModel(m);
        List<Map<String, Tensor>> ends = new ArrayList<>();
        int forks = 0;
        for (int threads : new int[] {1, 2, 3}) {
            CompiledSession s = (CompiledSession) model.newSession(7, threads);
            for (int i = 0; i < 3; i++) s.train("step", feeds, List.of());
            float[] into = new float[1];
            if (m.outputs().containsKey("loss")) s.trainInto("step", feeds, List.of("loss"), new Object[] {into});
            ends.add(s.state());
            if (threads == 1) assertEquals(0, s.forks());
            forks += s.forks();
        }
        for (int t = 1; t < ends.size(); t++) {
            assertEquals(ends.get(0).keySet(), ends.get(t).keySet());
            for (var e : ends.get(0).entrySet()) {
                Object a = e.getValue().data(), b = ends.get(t).get(e.getKey()).data();
                if (a instanceof float[] fa) assertArrayEquals(fa, (float[]) b, e.getKey() + " with " + (t + 1) + " threads");
                else assertTrue(java.util.Objects.deepEquals(a, b), e.getKey());
            }
        }
        return forks;
    }

    private static Map<String, Tensor> mlpFeeds(int batch, int features) {
        Random r = new Random(5);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        return Map.of("x", Tensor.of(gaussian(batch * features, 6), batch, features), "labels", Tensor.of(labels, batch));
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
