package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * f64 models on the compiled backend end bitwise where the interpreter ends: dense and sparse updates of every
 * optimizer family with fed gradients (elementwise math, casts, row ops, random_normal_like), an MLP trained
 * through minimize with every optimizer family (products, reductions, softmax, both cross entropies,
 * one_hot), and a scalar model (aggregation with add_n).
 */
class CompiledF64Test {
    private static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.1)", "MomentumOptimizer(0.1, 0.9, use_nesterov=true)",
            "AdagradOptimizer(0.1)", "AdamOptimizer(0.1)", "RMSPropOptimizer(0.01, momentum=0.5, centered=true)",
            "FtrlOptimizer(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02)", "AdadeltaOptimizer(1.0)",
            "AdamWOptimizer(0.01, learning_rate=0.1)", "ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01)");

    private static final String DENSE = """
            model dense64
            input g: f64[4, 3]
            input s: f32[]
            var w: f64[4, 3] = random_uniform(minval=-1, maxval=1, seed=3)
            var global_step: i64[] = 0 (trainable=false)
            grad = tanh(g) * cast(s, f64) + random_normal_like(w, stddev=0.01, seed=5)
            train step { OPT.apply_gradients([(grad, w)], global_step=global_step) }
            """;

    private static final String SPARSE = """
            model sparse64
            input values: f64[n, 3]
            input ids: i32[n]
            var w: f64[6, 3] = random_uniform(minval=-1, maxval=1, seed=3)
            train step { OPT.apply_gradients([(IndexedSlices(values * 2, ids, [6, 3]), w)]) }
            """;

    private static final String SCALAR = """
            model scalar64
            input x: f64[]
            input y: f64[]
            var w: f64[] = 0.5
            var b: f64[] = 0.1
            loss = square(w * x + b - y) + 0.01 * w * w
            output loss
            train step { AdamOptimizer(0.1).minimize(loss, aggregation_method=ADD_N) }
            """;

    @TestFactory
    Stream<DynamicTest> everyOptimizerDenseAndSparse() {
        Map<String, Tensor> dense = Map.of("g", Tensor.of(new double[] {1, -2, 3, 0.5, -0.25, 4, 1e-3, -7, 2, 0, 0.1, -0.3}, 4, 3),
                "s", Tensor.of(new float[] {0.7f}));
        Map<String, Tensor> sparse = Map.of("values", Tensor.of(new double[] {1, -2, 3, 0.5, -0.25, 4, 1e-3, -7, 2, 0, 0.1, -0.3}, 4, 3),
                "ids", Tensor.of(new int[] {2, 5, 2, 0}, 4));
        return OPTIMIZERS.stream().flatMap(opt -> Stream.of(
                DynamicTest.dynamicTest("dense " + opt, () -> check(DENSE.replace("OPT", opt), dense)),
                DynamicTest.dynamicTest("sparse " + opt, () -> check(SPARSE.replace("OPT", opt), sparse))));
    }

    /** Products (every transpose variant through the backward pass), reductions, softmax and both cross entropies, one_hot. */
    private static final String MLP = """
            model mlp64
            input x: f64[batch, 5]
            input labels: i32[batch]
            var w1: f64[5, 7] = glorot_uniform(seed=1)
            var b1: f64[7] = zeros()
            var w2: f64[7, 3] = glorot_uniform(seed=2)
            h = relu(x @ w1 + b1)
            logits = h @ w2
            dense = reduce_mean(softmax_cross_entropy_with_logits(labels=one_hot(labels, depth=3, dtype=f64), logits=logits))
            sparse = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            loss = dense + sparse + 0.01 * reduce_sum(square(w1)) + reduce_max(log_softmax(logits)) * 0.001 + reduce_min(softmax(logits)) * 0.002
            output loss
            train step { OPT.minimize(loss) }
            """;

    @TestFactory
    Stream<DynamicTest> anMlpWithEveryOptimizerFamily() {
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new double[] {1, -2, 3, 0.5, -0.25, 4, 1e-3, -7, 2, 0, 0.1, -0.3, 2.5, -1, 0.75,
                0.2, 0.4, -0.6, 0.8, -1.2}, 4, 5), "labels", Tensor.of(new int[] {2, 0, 1, 2}, 4));
        return OPTIMIZERS.stream().map(opt -> DynamicTest.dynamicTest(opt, () -> check(MLP.replace("OPT", opt), feeds)));
    }

    @Test
    void aScalarModelTrainedThroughMinimize() {
        check(SCALAR, Map.of("x", Tensor.of(new double[] {1.5}), "y", Tensor.of(new double[] {-0.25})));
    }

    /**
     * A select whose condition is of another dtype (piecewise_constant compares global_step, an i64): the
     * condition is converted into the loop's dtype first, in f32 and f64 models; an f64 condition picking
     * between f32 values is named as unsupported (converting it could turn a tiny nonzero into 0).
     */
    @Test
    void selectsWithConditionsOfAnotherDtype() {
        String model = """
                model schedule
                input g: T[3]
                var w: T[3] = ones()
                var global_step: i64[] = 0 (trainable=false)
                lr = piecewise_constant(X, [2, 4], [0.5, 0.25, 0.125])
                train step { GradientDescentOptimizer(lr).apply_gradients([(g, w)], global_step=global_step) }
                """;
        check(model.replace("T[", "f64[").replace("X", "global_step"), Map.of("g", Tensor.of(new double[] {1, -2, 0.5}, 3)));
        check(model.replace("T[", "f32[").replace("X", "global_step"), Map.of("g", Tensor.of(new float[] {1, -2, 0.5f}, 3)));
        check(model.replace("T[", "f64[").replace("X", "cast(global_step, f32)"), Map.of("g", Tensor.of(new double[] {1, -2, 0.5}, 3)));
        Model m = Compiler.check("s.descent", model.replace("T[", "f32[").replace("X", "cast(global_step, f64)"));
        String why = CompiledModel.unsupported(m);
        assertTrue(why != null && why.contains("select of f64"), why);
    }

    private static void check(String text, Map<String, Tensor> feeds) {
        Model m = Compiler.check("f64.descent", text);
        assertNull(CompiledModel.unsupported(m), "runs compiled");
        TrainingSession a = new InterpretedModel(m, Precision.F32).newSession(1), b = new CompiledModel(m).newSession(1);
        // Fetching the loss makes the forward reductions run too (a step that does not fetch it needs only its gradient).
        List<String> fetches = m.outputs().containsKey("loss") ? List.of("loss") : List.of();
        for (int i = 0; i < 4; i++) {
            var la = a.train("step", feeds, fetches);
            var lb = b.train("step", feeds, fetches);
            for (String f : fetches) {
                assertEquals(Double.doubleToRawLongBits(la.get(f).getDouble(0)), Double.doubleToRawLongBits(lb.get(f).getDouble(0)),
                        f + " at step " + i + ": " + la.get(f).getDouble(0) + " vs " + lb.get(f).getDouble(0));
            }
        }
        assertEquals(a.state().keySet(), b.state().keySet());
        for (var e : a.state().entrySet()) {
            double[] x = e.getValue().toDoubles(), y = b.state().get(e.getKey()).toDoubles();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), e.getKey() + "[" + i + "]: " + x[i] + " vs " + y[i]);
            }
            assertTrue(x.length > 0);
        }
    }
}
