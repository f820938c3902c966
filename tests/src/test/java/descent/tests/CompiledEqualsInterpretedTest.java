package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Npy;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The reference interpreter is the oracle: the compiled backend must agree with it on every example,
 * every optimizer dense and sparse, every gate mode and aggregation method, and random graphs — within a
 * tolerance (the kernels sum in float in a fixed order, matmuls as FMA chains, transcendentals to a few
 * ulps, where the interpreter computes each op in double and rounds once) — and give identical bits on
 * every run.
 */
class CompiledEqualsInterpretedTest {
    /** Relative to max(1, |interpreted|), after several steps of training. */
    static final double TOLERANCE = 2e-4;

    static void agree(String what, Model m, String train, Map<String, Tensor> feeds, int steps) {
        TrainingSession interp = new InterpretedModel(m, Precision.F32).newSession(3);
        TrainingSession compiled = new CompiledModel(m).newSession(3), again = new CompiledModel(m).newSession(3);
        List<String> fetches = m.outputs().isEmpty() ? List.of() : List.of(m.outputs().keySet().iterator().next());
        for (int i = 0; i < steps; i++) {
            Map<String, Tensor> a = interp.train(train, feeds, fetches), b = compiled.train(train, feeds, fetches);
            again.train(train, feeds, fetches);
            close(what + " step " + i + " fetch", a, b);
        }
        close(what + " state", interp.state(), compiled.state());
        assertEquals(compiled.state(), again.state(), what + ": compiled runs must repeat bit for bit");
    }

    static void close(String what, Map<String, Tensor> expected, Map<String, Tensor> actual) {
        for (var e : expected.entrySet()) {
            Tensor x = e.getValue(), y = actual.get(e.getKey());
            assertEquals(x.dtype(), y.dtype(), what + " " + e.getKey());
            double[] a = x.toDoubles(), b = y.toDoubles();
            for (int i = 0; i < a.length; i++) {
                if (!(Math.abs(a[i] - b[i]) <= TOLERANCE * Math.max(1, Math.abs(a[i]))) && !(Double.isNaN(a[i]) && Double.isNaN(b[i]))) {
                    fail(what + ": " + e.getKey() + "[" + i + "] interpreted " + a[i] + ", compiled " + b[i]);
                }
            }
        }
    }

    /** Each example with data files, and the .npy file (under examples/) of each input. */
    static final Map<String, Map<String, String>> EXAMPLE_DATA = Map.of(
            "logreg", Map.of("x", "data/logreg_x.npy", "y", "data/logreg_y.npy"),
            "mlp", Map.of("x", "data/mlp_x.npy", "labels", "data/mlp_labels.npy"),
            "autoencoder", Map.of("x", "data/autoencoder_x.npy"),
            "embedding", Map.of("user", "data/embedding_user.npy", "item", "data/embedding_item.npy",
                    "rating", "data/embedding_rating.npy"));

    static Map<String, Tensor> feeds(Path dir, Map<String, String> files) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        files.forEach((input, file) -> out.put(input, Npy.read(dir.resolve(file))));
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyExampleAndTrainBlock() throws IOException {
        Path ex = ExampleGoldenTest.ROOT.resolve("examples");
        List<DynamicTest> tests = new ArrayList<>();
        for (var e : EXAMPLE_DATA.entrySet()) {
            Model m = Compiler.check(ex.resolve(e.getKey() + ".descent"));
            for (var t : m.trains()) {
                tests.add(DynamicTest.dynamicTest(e.getKey() + "/" + t.name(),
                        () -> agree(e.getKey() + "/" + t.name(), m, t.name(), feeds(ex, e.getValue()), 5)));
            }
        }
        return tests.stream();
    }

    static final List<String> OPTIMIZERS = List.of(
            "GradientDescentOptimizer(0.1)", "MomentumOptimizer(0.1, 0.9)", "MomentumOptimizer(0.1, 0.9, use_nesterov=true)",
            "AdagradOptimizer(0.1)", "AdagradDAOptimizer(0.1, global_step=global_step, l1_regularization_strength=0.01)",
            "AdamOptimizer(0.01)", "AdadeltaOptimizer(1.0)", "RMSPropOptimizer(0.01, momentum=0.5, centered=true)",
            "FtrlOptimizer(0.1, l1_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.01)",
            "ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01)",
            "ProximalAdagradOptimizer(0.1, l2_regularization_strength=0.01)", "AdamWOptimizer(0.01, learning_rate=0.01)",
            "MomentumWOptimizer(0.01, 0.1, 0.9)", "LazyAdamOptimizer(0.01)", "AdamaxOptimizer(0.01)", "NadamOptimizer(0.01)");

    /** Every optimizer on a model with a dense and a sparse (embedding, repeated ids) variable. */
    @TestFactory
    Stream<DynamicTest> everyOptimizerDenseAndSparse() {
        Map<String, Tensor> feeds = Map.of("ids", Tensor.of(new int[] {1, 3, 1, 0, 4, 1}, 6),
                "y", Tensor.of(new float[] {1, -1, 0.5f, 2, 0, 1}, 6));
        return OPTIMIZERS.stream().map(opt -> DynamicTest.dynamicTest(opt, () -> {
            Model m = Compiler.check("opt.descent", """
                    model opt
                    input ids: i32[batch]
                    input y: f32[batch]
                    var emb: f32[5, 3] = random_normal(stddev=0.5, seed=1)
                    var w: f32[3, 1] = random_normal(stddev=0.5, seed=2)
                    var global_step: i64[] = 0 (trainable=false)
                    pred = reshape(embedding_lookup(emb, ids) @ w, [-1])
                    loss = reduce_mean(square(pred - y))
                    output loss
                    train step { OPT.minimize(loss, global_step=global_step) }
                    """.replace("OPT", opt));
            agree(opt, m, "step", feeds, 4);
        }));
    }

    /**
     * Sparse updates run as one row loop per variable and its slots; fetching the variable makes its write
     * go through a buffer (not straight into the variable), the loop's other path. Rows 20 wide: whole vectors
     * and a masked tail.
     */
    @TestFactory
    Stream<DynamicTest> sparseRowLoopsWithTheVariableFetched() {
        Map<String, Tensor> feeds = Map.of("ids", Tensor.of(new int[] {1, 6, 1, 0, 4, 1, 6, 2}, 8),
                "y", Tensor.of(new float[] {1, -1, 0.5f, 2, 0, 1, 3, -2}, 8));
        return Stream.of("AdagradOptimizer(0.1)", "LazyAdamOptimizer(0.01)", "RMSPropOptimizer(0.01, momentum=0.5, centered=true)",
                "FtrlOptimizer(0.1, l1_regularization_strength=0.01)").map(opt -> DynamicTest.dynamicTest(opt, () -> {
            Model m = Compiler.check("rows.descent", """
                    model rows
                    input ids: i32[batch]
                    input y: f32[batch]
                    var emb: f32[7, 20] = random_normal(stddev=0.5, seed=1)
                    var w: f32[20, 1] = random_normal(stddev=0.5, seed=2)
                    pred = reshape(embedding_lookup(emb, ids) @ w, [-1])
                    loss = reduce_mean(square(pred - y))
                    output loss
                    train step { OPT.minimize(loss) }
                    """.replace("OPT", opt));
            TrainingSession interp = new InterpretedModel(m, Precision.F32).newSession(3);
            TrainingSession compiled = new CompiledModel(m).newSession(3);
            List<String> fetches = List.of("loss", "emb");
            for (int i = 0; i < 4; i++) close(opt + " step " + i, interp.train("step", feeds, fetches), compiled.train("step", feeds, fetches));
            close(opt + " state", interp.state(), compiled.state());
            agree(opt + " (not fetched)", m, "step", feeds, 4);
        }));
    }

    /**
     * The learning rate is a variable the step also trains: the sparse row loop must read it from before the
     * step, though the step writes it before the loop's last kernel (found in review: the loop used to read it
     * after its write).
     */
    @org.junit.jupiter.api.Test
    void aSparseRowLoopReadsItsHyperparametersFromBeforeTheStep() {
        Model m = Compiler.check("hyper.descent", """
                model hyper
                input ids: i32[batch]
                input y: f32[batch]
                var s: f32[] = 0.5
                var E: f32[10, 4] = random_normal(stddev=0.5, seed=1)
                u = embedding_lookup(E, ids)
                loss = reduce_mean(square(reduce_sum(u, axis=1) * s - y))
                output loss
                train step { AdagradOptimizer(learning_rate=s).minimize(loss) }
                """);
        agree("learning rate trained by the step", m, "step",
                Map.of("ids", Tensor.of(new int[] {1, 3, 1, 7, 2}, 5), "y", Tensor.of(new float[] {1, -1, 0.5f, 2, 0}, 5)), 3);
    }

    /**
     * Forward products X·W large enough to be split along k (two halves, summed, then the bias and activation:
     * SplitKMatmul.call) — with a relu and a tanh epilogue and with none, at a static and a symbolic batch — agree
     * with the interpreter. (The thread-count tests cannot see a wrong split: every thread count splits alike.)
     */
    @TestFactory
    Stream<DynamicTest> productsSplitAlongKAgreeWithTheInterpreter() {
        String source = """
                model ksplit
                input x: f32[BATCH, 600]
                input labels: i32[BATCH]
                var w1: f32[600, 300] = glorot_uniform(seed=1)
                var b1: f32[300] = random_uniform(minval=-0.1, maxval=0.1, seed=4)
                var w2: f32[300, 200] = glorot_uniform(seed=2)
                var b2: f32[200] = random_uniform(minval=-0.1, maxval=0.1, seed=5)
                var w3: f32[200, 128] = glorot_uniform(seed=3)
                logits = tanh(relu(x @ w1 + b1) @ w2 + b2) @ w3
                loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
                output loss
                train step { AdamOptimizer(0.01).minimize(loss) }
                """;
        Random r = new Random(9);
        float[] x = new float[96 * 600];
        int[] labels = new int[96];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(128);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(x, 96, 600), "labels", Tensor.of(labels, 96));
        return Stream.of("batch", "96").map(batch -> DynamicTest.dynamicTest("batch " + batch, () ->
                agree("products split along k, batch " + batch, Compiler.check("ksplit.descent", source.replace("BATCH", batch)), "step", feeds, 3)));
    }

    @TestFactory
    Stream<DynamicTest> everyGateModeAndAggregation() throws IOException {
        String template = Files.readString(ExampleGoldenTest.ROOT.resolve("tests/golden/plans/model.descent.template"));
        Random r = new Random(5);
        float[] x = new float[4 * 3], y = new float[4 * 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(x, 4, 3), "y", Tensor.of(y, 4, 2));
        List<DynamicTest> tests = new ArrayList<>();
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            for (String agg : List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N")) {
                tests.add(DynamicTest.dynamicTest(gate + "/" + agg, () -> agree(gate + "/" + agg,
                        Compiler.check("plans.descent", template.replace("GATE,", gate + ",").replace("AGGREGATION)", agg + ")")),
                        "step", feeds, 3)));
            }
        }
        return tests.stream();
    }
}
