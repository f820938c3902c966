package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.Gradient;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Products in the column layout — the batch as C's column count (W·X for X stored features × batch, or W·Xᵀ), or
 * contracted with A row-major or B transposed (their weight gradients) — run on runtime-N and runtime-K kernels:
 * nothing is compiled when the batch changes, and every result has the bits of the kernel specialised to that
 * batch, on 1 and 2 threads.
 */
class BatchLayoutProductTest {
    /** y = W·X with X stored [16, batch]: y's columns are the batch; dW = dy·Xᵀ contracts it against a transposed B. */
    private static final String COLUMNS = """
            model columns
            input x: f32[16, batch]
            input t: f32[24, batch]
            var w: f32[24, 16] = glorot_uniform(seed=1)
            y = w @ x
            loss = reduce_sum(y * t)
            output y
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss) }
            """;

    /** y = W·Xᵀ with X stored [batch, 16]: the batch is y's columns again; dW = dy·X contracts it with A row-major. */
    private static final String ROWS_TRANSPOSED = """
            model rows_transposed
            input x: f32[batch, 16]
            input t: f32[24, batch]
            var w: f32[24, 16] = glorot_uniform(seed=1)
            y = matmul(w, x, transpose_b=true)
            loss = reduce_sum(y * t)
            output y
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss) }
            """;

    /** y = Xᵀ·Wᵀ with X stored [16, batch] and W [24, 16]: y is [batch, 24]; dW = dyᵀ·Xᵀ has both operands transposed. */
    private static final String BOTH_TRANSPOSED = """
            model both_transposed
            input x: f32[16, batch]
            input t: f32[batch, 24]
            var w: f32[24, 16] = glorot_uniform(seed=1)
            y = matmul(x, w, transpose_a=true, transpose_b=true)
            loss = reduce_sum(y * t)
            output y
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss) }
            """;

    /** y = Wᵀ·X with W stored [16, 24] and X [16, batch]: the batch is y's columns, A transposed; dW = X·dyᵀ. */
    private static final String W_TRANSPOSED = """
            model w_transposed
            input x: f32[16, batch]
            input t: f32[24, batch]
            var w: f32[16, 24] = glorot_uniform(seed=1)
            y = matmul(w, x, transpose_a=true)
            loss = reduce_sum(y * t)
            output y
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss) }
            """;

    private record Layout(String name, String source, boolean xByBatch, boolean yByBatch, boolean wTransposed) {
        Layout(String name, String source, boolean xByBatch, boolean yByBatch) { this(name, source, xByBatch, yByBatch, false); }
    }

    @TestFactory
    Stream<DynamicTest> everyBatchHasTheSpecialisedKernelsBitsWithoutANewKernel() {
        List<DynamicTest> tests = new ArrayList<>();
        int features = 16;
        for (Layout l : List.of(new Layout("W·X, X [16, batch]", COLUMNS, false, false),
                new Layout("W·Xᵀ, X [batch, 16]", ROWS_TRANSPOSED, true, false),
                new Layout("Xᵀ·Wᵀ, X [16, batch]", BOTH_TRANSPOSED, false, true),
                new Layout("Wᵀ·X, X [16, batch]", W_TRANSPOSED, false, false, true))) {
            for (int threads : new int[] {1, 2}) {
                // Kernels are shared across the JVM: a width of its own per case, so none finds another's kernels.
                int f = features++;
                tests.add(DynamicTest.dynamicTest(l.name() + ", " + threads + " thread(s)", () -> check(l, f, threads)));
            }
        }
        return tests.stream();
    }

    private static void check(Layout l, int features, int threads) {
        Model m = Compiler.check("t.descent", l.source().replace("16", Integer.toString(features)));
        TrainingSession s = new CompiledModel(m).newSession(7, threads);
        float[] w = (float[]) s.get("w").data();
        run(l, features, s, w, 3);                       // the first batch compiles what the step needs
        long before = Kernels.emitted();
        // 24 × f × 6000 multiply-adds split over two threads (by rows of C, ColumnLayoutMatmul).
        for (int batch : new int[] {1, 5, 17, 64, 600, 6000, 31}) run(l, features, s, w, batch);
        assertEquals(before, Kernels.emitted(), "kernels emitted after the first batch");
    }

    /** Evaluates y and computes dW at {@code batch}; checks both against kernels specialised to the batch. */
    private static void run(Layout l, int f, TrainingSession s, float[] w, int batch) {
        SplittableRandom r = new SplittableRandom(batch);
        float[] x = random(r, f * batch), t = random(r, 24 * batch);
        Map<String, Tensor> feeds = Map.of(
                "x", Tensor.of(x, l.xByBatch() ? new int[] {batch, f} : new int[] {f, batch}),
                "t", Tensor.of(t, l.yByBatch() ? new int[] {batch, 24} : new int[] {24, batch}));
        float[] y = (float[]) s.evaluate(feeds, List.of("y")).get("y").data();
        float[] dw = (float[]) ((Gradient.Dense) s.computeGradients("step", feeds).get("w")).value().data();
        if (l.wTransposed()) {
            // y = Wᵀ·X [24, batch] (W [f, 24]); dy = t, so dW = X·tᵀ [f, 24].
            assertArrayEquals(product(MatmulShape.of(24, f, batch, true, false), w, x), y, "y at batch " + batch);
            assertArrayEquals(product(MatmulShape.of(f, batch, 24, false, true), x, t), dw, "dW at batch " + batch);
        } else if (!l.yByBatch()) {
            // y = W·X or W·Xᵀ [24, batch]; dy = t, so dW = t·Xᵀ (X [f, batch]) or t·X (X [batch, f]).
            assertArrayEquals(product(MatmulShape.of(24, f, batch, false, l.xByBatch()), w, x), y, "y at batch " + batch);
            assertArrayEquals(product(MatmulShape.of(24, batch, f, false, !l.xByBatch()), t, x), dw, "dW at batch " + batch);
        } else {
            // y = Xᵀ·Wᵀ [batch, 24]; dy = t [batch, 24], so dW = tᵀ·Xᵀ.
            assertArrayEquals(product(MatmulShape.of(batch, f, 24, true, true), x, w), y, "y at batch " + batch);
            assertArrayEquals(product(MatmulShape.of(24, batch, f, true, true), t, x), dw, "dW at batch " + batch);
        }
    }

    private static float[] product(MatmulShape shape, float[] a, float[] b) {
        EmittedMatmul e = MatmulEmitter.emit(shape);
        float[] c = new float[shape.m() * shape.n()];
        e.kernel().run(a, 0, b, 0, c, 0, shape.m(), e.newScratch());
        return c;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /**
     * A product with the batch in two dimensions (H·Hᵀ, batch × batch) runs on one kernel whose m and n (and, in its
     * gradients, k) are all the batch: no batch after the first emits a kernel, an empty one included. Compiled and
     * interpreted agree step by step through batches 3, 0, 5 and 40 (its loss reduces the batch × batch product).
     */
    @org.junit.jupiter.api.Test
    void aProductWithTheBatchInTwoDimensionsTrainsThroughAnEmptyBatch() {
        Model m = Compiler.check("gram.descent", """
                model gram
                input x: f32[batch, 8]
                var w: f32[8, 8] = glorot_uniform(seed=1)
                h = x @ w
                loss = reduce_mean(matmul(h, h, transpose_b=true))
                output loss
                train step { MomentumOptimizer(0.01, 0.9).minimize(loss) }
                """);
        for (int threads : new int[] {1, 2}) {
            TrainingSession compiled = new CompiledModel(m).newSession(7, threads);
            TrainingSession interpreted = new descent.compiler.interp.InterpretedModel(m, descent.compiler.interp.Precision.F32).newSession(7);
            long emitted = -1;
            for (int batch : new int[] {3, 0, 5, 40}) {
                if (batch == 0) emitted = Kernels.emitted();
                Map<String, Tensor> feeds = Map.of("x", Tensor.of(random(new SplittableRandom(batch), batch * 8), batch, 8));
                double want = interpreted.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
                double got = compiled.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
                if (batch == 0) assertEquals(Double.NaN, got, "the mean of nothing");
                else assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)), "loss at batch " + batch);
                double[] w1 = interpreted.get("w").toDoubles(), w2 = compiled.get("w").toDoubles();
                for (int i = 0; i < w1.length; i++) assertEquals(w1[i], w2[i], 1e-5, "w[" + i + "] after batch " + batch);
            }
            assertEquals(emitted, Kernels.emitted(), "kernels emitted after the first batch");
        }
    }
}
