package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Edge cases where TensorFlow's kernels and the plain formulas part ways, on both backends (found by comparing with
 * TF 2.18's kernels through TensorFlow Java, 2026-11-29): a zero upstream gradient through sqrt, rsqrt and reciprocal
 * gives 0, not 0·∞; pow follows C's pow (pow(1, y) = 1 for every y, pow(-1, ±∞) = 1), not Java's.
 */
class EdgeSemanticsTest {
    private static final String MODEL = """
            model edges
            input x: f32[4]
            input a: f32[5]
            input b: f32[5]
            masked = reduce_sum(maximum(sqrt(x), 0.5)) + reduce_sum(rsqrt(x) * 0.0) + reduce_sum(reciprocal(x) * 0.0)
            gx = gradients(masked, x)
            p = pow(a, b)
            ga, gb = gradients(reduce_sum(p), [a, b])
            output gx, p, ga, gb
            """;

    @Test
    void zeroUpstreamGradientsAndPowFollowTensorFlowsKernels() {
        Model m = Compiler.check("edges.descent", MODEL);
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {0, 0.04f, 1, -1}, 4),
                "a", Tensor.of(new float[] {1, 1, -1, -1, 2}, 5), "b", Tensor.of(new float[] {nan, inf, inf, -inf, 3}, 5));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            Map<String, Tensor> out = model.newSession(0).evaluate(feeds, List.of("gx", "p", "ga", "gb"));
            String which = model.getClass().getSimpleName();
            // sqrt's gradient is 0.5/√x where max picks sqrt(x), 0 where it picks 0.5 (x = 0: no NaN); rsqrt and reciprocal
            // multiplied by 0 contribute 0 even at 0 and below.
            assertFloats(new float[] {0, 0, 0.5f, 0}, out.get("gx").floats(), which + " gx");
            assertFloats(new float[] {1, 1, 1, 1, 8}, out.get("p").floats(), which + " p");
            // d/da = b·a^(b-1): NaN·1, ∞·1, ∞·pow(-1, ∞)... ; d/db = a^b·log(a) for a > 0, else 0 (TF's _PowGrad).
            assertFloats(new float[] {nan, inf, inf, -inf, 12}, out.get("ga").floats(), which + " ga");
            assertEquals(0f, out.get("gb").floats()[0], which + " gb at pow(1, NaN)");
            assertEquals(0f, out.get("gb").floats()[1], which + " gb at pow(1, ∞)");
        }
    }

    /**
     * TF's constants in the features' type and l2_loss's own kernel (found the same way, 2026-11-29): selu's gradient at
     * a saturated f32 input cancels to 0 with float constants (1 ulp at -17); l2_loss's gradient is g·t, finite up to
     * the largest float, and its value halves each square before the sum; leaky_relu's alpha is TF's float attribute,
     * also for f64 features.
     */
    @Test
    void seluL2LossAndLeakyReluFollowTensorFlowsKernels() {
        Model m = Compiler.check("consts.descent", """
                model consts
                input s: f32[3]
                input t: f32[3]
                input u: f32[2]
                input d: f64[1]
                gs = gradients(reduce_sum(selu(s)), s)
                gt = gradients(1e-30 * l2_loss(t), t)
                big = l2_loss(u)
                y = leaky_relu(d, alpha=0.2)
                gd = gradients(reduce_sum(y), d)
                output gs, gt, big, y, gd
                """);
        Map<String, Tensor> feeds = Map.of("s", Tensor.of(new float[] {-17, -18, -100}, 3), "t", Tensor.of(new float[] {2e38f, 1, -3}, 3),
                "u", Tensor.of(new float[] {1.5e19f, 1.5e19f}, 2), "d", Tensor.of(new double[] {-1}, 1));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            Map<String, Tensor> out = model.newSession(0).evaluate(feeds, List.of("gs", "gt", "big", "y", "gd"));
            String which = model.getClass().getSimpleName();
            assertEquals(List.of(Math.ulp(1.7580993f), 0f, 0f), boxed(out.get("gs").floats()), which + " selu's gradient");
            assertEquals(List.of(2e8f, 1e-30f, -3e-30f), boxed(out.get("gt").floats()), which + " l2_loss's gradient");
            assertEquals(2 * (1.5e19f * 0.5f * 1.5e19f), out.get("big").floats()[0], which + " l2_loss of two 1.5e19 (TF: 2.2500001e38)");
            assertEquals(-(double) 0.2f, out.get("y").toDoubles()[0], which + " leaky_relu's alpha as a float");
            assertEquals((double) 0.2f, out.get("gd").toDoubles()[0], which + " leaky_relu's gradient");
        }
    }

    /**
     * l2_loss gives its tensor one gradient contribution, g·t, as TF's L2Loss: added to the tensor's other gradients it
     * is rounded once more, not twice (as a product (t·0.5)·t, two halves added one at a time, 995 of 4096 elements
     * differed from TF's c + t when the other use was built after the l2_loss; found by a review, 2026-11-29).
     */
    @Test
    void l2LossIsOneGradientContribution() {
        Model m = Compiler.check("l2.descent", """
                model l2
                input t: f32[4096]
                input c: f32[4096]
                r = l2_loss(t)
                loss = r + reduce_sum(t * c)
                gt = gradients(loss, t)
                output gt
                """);
        java.util.Random random = new java.util.Random(3);
        float[] t = new float[4096], c = new float[4096];
        for (int i = 0; i < t.length; i++) { t[i] = (float) random.nextGaussian(); c[i] = (float) random.nextGaussian(); }
        Map<String, Tensor> feeds = Map.of("t", Tensor.of(t, 4096), "c", Tensor.of(c, 4096));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            float[] g = model.newSession(0).evaluate(feeds, List.of("gt")).get("gt").floats();
            for (int i = 0; i < g.length; i++) assertEquals(c[i] + t[i], g[i], 0f, model.getClass().getSimpleName() + " gt[" + i + "]");
        }
    }

    private static List<Float> boxed(float[] a) {
        java.util.List<Float> l = new java.util.ArrayList<>();
        for (float f : a) l.add(f);
        return l;
    }

    private static void assertFloats(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], Float.isFinite(want[i]) ? Math.abs(want[i]) * 1e-6f : 0, what + " [" + i + "]");
    }

    /**
     * Non-finite values through TF's apply kernels and schedules (an audit against TF 2.18's raw Apply kernels,
     * 2026-11-29): sparse Ftrl clips linear, so a NaN linear makes the row NaN where dense Ftrl's select gives 0;
     * ApplyAdaMax's cwiseMax drops a NaN gradient from v; piecewise_constant of NaN is TF's case default, values[0].
     */
    @Test
    void nonFiniteGradientsAndSchedulesFollowTensorFlow() {
        Model m = Compiler.check("nonfinite.descent", """
                model nonfinite
                input ids: i32[2]
                input s: f32[2, 2]
                input a: f32[2]
                input x: f32[]
                var e: f32[3, 2] = ones()
                var w: f32[2] = ones()
                sparse_loss = reduce_sum(gather(e, ids) * s)
                dense_loss = reduce_sum(w * a)
                lr = piecewise_constant(x, [1.0, 2.0], [0.1, 0.01, 0.001])
                output lr
                train sparse { FtrlOptimizer(0.1, l1_regularization_strength=0.01).minimize(sparse_loss) }
                train dense { AdamaxOptimizer(0.1).minimize(dense_loss) }
                """);
        float nan = Float.NaN;
        Map<String, Tensor> feeds = Map.of("ids", Tensor.of(new int[] {0, 2}, 2), "s", Tensor.of(new float[] {nan, 1, 1, 1}, 2, 2),
                "a", Tensor.of(new float[] {nan, 1}, 2), "x", Tensor.of(new float[] {nan}));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            String which = model.getClass().getSimpleName();
            var session = model.newSession(0);
            session.train("sparse", feeds, List.of());
            float[] e = session.state().get("e").floats();
            assertTrue(Float.isNaN(e[0]), which + " sparse Ftrl's NaN row: " + java.util.Arrays.toString(e));
            assertTrue(Float.isFinite(e[1]) && e[2] == 1 && e[3] == 1 && Float.isFinite(e[4]), which + " " + java.util.Arrays.toString(e));
            session.train("dense", feeds, List.of());
            float[] v = session.getSlot("dense", "w", "v").floats();
            assertEquals(List.of(0f, 1f), boxed(v), which + " AdaMax's v");
            for (float[] xv : new float[][] {{nan, 0.1f}, {0.5f, 0.1f}, {1, 0.1f}, {1.5f, 0.01f}, {2, 0.01f}, {3, 0.001f}}) {
                Map<String, Tensor> at = new java.util.HashMap<>(feeds);
                at.put("x", Tensor.of(new float[] {xv[0]}));
                assertEquals(xv[1], session.evaluate(at, List.of("lr")).get("lr").floats()[0], which + " piecewise_constant at " + xv[0]);
            }
        }
    }

    /** The interpreter's integer max and min of nothing are the type's lowest and highest values, as TF's. */
    @Test
    void anEmptyIntegerReductionIsTheTypesBound() {
        Model m = Compiler.check("emptyint.descent", """
                model emptyint
                input k: i32[batch, 3]
                input l: i64[batch, 3]
                hi = reduce_max(k, axis=0)
                lo = reduce_min(k, axis=0)
                hi64 = reduce_max(l, axis=0)
                lo64 = reduce_min(l, axis=0)
                output hi, lo, hi64, lo64
                """);
        Map<String, Tensor> out = new InterpretedModel(m, Precision.F32).newSession(0).evaluate(Map.of("k", Tensor.zeros(descent.runtime.DType.I32, 0, 3),
                "l", Tensor.zeros(descent.runtime.DType.I64, 0, 3)), List.of("hi", "lo", "hi64", "lo64"));
        assertEquals(Integer.MIN_VALUE, out.get("hi").ints()[0]);
        assertEquals(Integer.MAX_VALUE, out.get("lo").ints()[1]);
        assertEquals(Long.MIN_VALUE, out.get("hi64").longs()[2]);
        assertEquals(Long.MAX_VALUE, out.get("lo64").longs()[0]);
    }

    /**
     * A reshape or identity of a variable the step updates, fetched, is the value before the update, as the variable
     * itself is (it shares the variable's array: the compiled backend returned the updated one); and a step whose
     * gradient needs only the batch's size (a bias under a product of an input it does not train) binds it from the
     * input, as TF's shape op reads it (it failed with "symbolic dimension is not bound"). Found by a concurrency audit.
     */
    @Test
    void aliasesOfUpdatedStateAndSizeOnlyGradients() {
        Model m = Compiler.check("alias.descent", """
                model alias
                input x: f32[batch, 4]
                var w: f32[4, 1] = ones()
                var b: f32[1] = zeros()
                wr = reshape(w, [4])
                wi = identity(w)
                loss = reduce_sum(x @ w + b)
                output loss, wr, wi
                train step { GradientDescentOptimizer(learning_rate=1.0).minimize(loss) }
                train bias { GradientDescentOptimizer(learning_rate=1.0).minimize(loss, var_list=[b]) }
                """);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 2, 4));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m), new CompiledModel(m))) {
            String which = model.getClass().getSimpleName();
            var s = model.newSession(0);
            assertEquals(List.of(1f, 1f, 1f, 1f), boxed(s.train("step", feeds, List.of("wr")).get("wr").floats()), which + " wr");
            assertEquals(List.of(-1f, -1f, -1f, -1f), boxed(s.train("step", feeds, List.of("wi")).get("wi").floats()), which + " wi");
            var both = s.train("step", feeds, List.of("w", "wr"));
            assertEquals(boxed(both.get("w").floats()), boxed(both.get("wr").floats()), which + " w and wr of one call");
            var fresh = model.newSession(0);
            var g = (descent.runtime.api.Gradient.Dense) fresh.computeGradients("bias", feeds).get("b");
            assertEquals(List.of(2f), boxed(g.value().floats()), which + " b's gradient, the batch's size");
            fresh.train("bias", feeds, List.of());
            assertEquals(-2f, fresh.get("b").floats()[0], which + " b after a step whose gradient is the batch size");
        }
    }

    /**
     * A value read from a reshape or identity of a variable after the update is ordered before the write, as a read
     * of the variable is (the alias is the variable's array in the compiled step: it read the new value); and a
     * gradient sized only by the batch takes its size from every fed input that has it, checked against each other,
     * not from whichever input is declared first (both found by a review, 2026-11-29).
     */
    @Test
    void aliasReadersComeBeforeTheWriteAndSizesComeFromTheFeeds() {
        Model m = Compiler.check("alias2.descent", """
                model alias2
                input labels: i32[batch]
                input x: f32[batch, 4]
                var w: f32[4, 1] = ones()
                var b: f32[1] = zeros()
                wi = identity(w)
                loss = reduce_sum(x @ w + b)
                output loss
                train step {
                  GradientDescentOptimizer(learning_rate=1.0).minimize(loss)
                  y = reduce_sum(wi)
                  y2 = reshape(wi, [4]) * 2.0
                }
                train bias { GradientDescentOptimizer(learning_rate=1.0).minimize(loss, var_list=[b]) }
                """);
        Map<String, Tensor> x = Map.of("x", Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 2, 4));
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            String which = model.getClass().getSimpleName();
            var s = model.newSession(0);
            var out = s.train("step", x, List.of("y", "y2"));
            assertEquals(4f, out.get("y").floats()[0], which + " y");
            assertEquals(List.of(2f, 2f, 2f, 2f), boxed(out.get("y2").floats()), which + " y2");
            var fresh = model.newSession(0);
            fresh.train("bias", x, List.of());
            assertEquals(-2f, fresh.get("b").floats()[0], which + " b from x's rows alone");
            Map<String, Tensor> disagree = Map.of("x", x.get("x"), "labels", Tensor.of(new int[] {0, 1, 2}, 3));
            org.junit.jupiter.api.Assertions.assertThrows(descent.runtime.DescentException.class, () -> fresh.train("bias", disagree, List.of()), which);
            assertEquals(-2f, fresh.get("b").floats()[0], which + " unchanged by the refused call");
        }
    }
}
