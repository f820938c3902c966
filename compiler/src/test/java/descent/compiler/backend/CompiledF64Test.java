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
 * f64 models the compiled backend runs whole — elementwise math, casts, row ops, add_n, random_normal_like —
 * end bitwise where the interpreter ends: dense and sparse updates of every optimizer family with
 * fed gradients, and a scalar model trained through minimize (aggregation with add_n).
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

    @Test
    void aScalarModelTrainedThroughMinimize() {
        check(SCALAR, Map.of("x", Tensor.of(new double[] {1.5}), "y", Tensor.of(new double[] {-0.25})));
    }

    private static void check(String text, Map<String, Tensor> feeds) {
        Model m = Compiler.check("f64.descent", text);
        assertNull(CompiledModel.unsupported(m), "runs compiled");
        TrainingSession a = new InterpretedModel(m, Precision.F32).newSession(1), b = new CompiledModel(m).newSession(1);
        for (int i = 0; i < 4; i++) {
            a.train("step", feeds, List.of());
            b.train("step", feeds, List.of());
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
