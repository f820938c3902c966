package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
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
 * Compiled equals interpreted op by op, within the tolerance of the op's class — the contract the whole-model
 * tests' looser tolerance rests on (docs/backend.md, "Tolerances"). Each case is one expression of two f32
 * variables {@code v} and {@code u}; the test compares its value and the gradients of {@code reduce_sum(y * t)}
 * with respect to both variables, on 1 and 2 threads:
 * <ul>
 * <li>{@link OpClass#EXACT}: bitwise, value and gradients. Arithmetic, comparisons, selects, sqrt and rsqrt,
 *     layout, max and min reductions: each op is one correctly rounded float operation in both backends.</li>
 * <li>{@link OpClass#TRANSCENDENTAL}: the value within 1 ulp of the interpreter's float; a gradient within 2 ulps
 *     of the larger of its own magnitude and its upstream weight t's (a gradient such as sigmoid(x) − z cancels,
 *     so its error is the operands' ulp, not its own).</li>
 * <li>{@link OpClass#SOFTMAX} (softmax, log-softmax, softmax cross entropy): the value bitwise (the kernels
 *     compute in double in the interpreter's order); a gradient, which sums over its row of C classes, within
 *     {@code (C + 1)·2⁻²⁴} of the largest magnitude in the row (of the gradient and of t).</li>
 * <li>{@link OpClass#ACCUMULATING} (matmul, sums, means, norms): within {@code (n + 1)·2⁻²⁴·Σ|terms|}, the
 *     bound of an n-term float sum (the interpreter sums in double); Σ|terms| is the same expression evaluated on
 *     the absolute values of v, u and t.</li>
 * </ul>
 */
class OpToleranceTest {
    enum OpClass { EXACT, TRANSCENDENTAL, SOFTMAX, ACCUMULATING }

    /** Operands: {@code v}, {@code u} as drawn ({@code ANY}: normal × 3), or made positive (|normal| × 3 + 0.01). */
    enum Domain { ANY, POSITIVE }

    /**
     * @param shape y's shape, for the loss weights t
     * @param terms for ACCUMULATING: the most terms any one result (value or gradient) sums
     */
    record Case(String expr, OpClass cls, Domain domain, String shape, int terms) {
        static Case exact(String expr) { return new Case(expr, OpClass.EXACT, Domain.ANY, "[R, C]", 0); }
        static Case exact(String expr, String shape) { return new Case(expr, OpClass.EXACT, Domain.ANY, shape, 0); }
        static Case positive(String expr, OpClass cls) { return new Case(expr, cls, Domain.POSITIVE, "[R, C]", 0); }
        static Case transcendental(String expr) { return new Case(expr, OpClass.TRANSCENDENTAL, Domain.ANY, "[R, C]", 0); }
        static Case accumulating(String expr, String shape, int terms) { return new Case(expr, OpClass.ACCUMULATING, Domain.ANY, shape, terms); }
        static Case softmax(String expr, String shape) { return new Case(expr, OpClass.SOFTMAX, Domain.ANY, shape, C); }
    }

    static final int R = 61, C = 37;

    static final List<Case> CASES = List.of(
            Case.exact("v + u"), Case.exact("v - u"), Case.exact("v * u"), Case.exact("v / u"),
            Case.exact("maximum(v, u)"), Case.exact("minimum(v, u)"), Case.exact("squared_difference(v, u)"),
            Case.exact("-v"), Case.exact("abs(v)"), Case.exact("sign(v) * u"), Case.exact("square(v)"),
            Case.positive("sqrt(v)", OpClass.EXACT), Case.positive("rsqrt(v)", OpClass.EXACT), Case.exact("reciprocal(v)"),
            Case.exact("relu(v)"), Case.exact("relu6(v)"), Case.exact("leaky_relu(v, alpha=0.2)"), Case.exact("softsign(v)"),
            Case.exact("clip_by_value(v, -1.0, 1.0)"),
            Case.exact("v * 2.5 + u / 3.0 - 1.0"),
            Case.exact("transpose(v)", "[C, R]"), Case.exact("concat([v, u], 1)", "[R, 74]"),
            Case.exact("slice(v, [3, 5], [40, 20])", "[40, 20]"), Case.exact("tile(v, [1, 2])", "[R, 74]"),
            Case.exact("reshape(v, [C, R])", "[C, R]"), Case.exact("reduce_max(v, axis=1)", "[R]"),
            Case.exact("reduce_min(v, axis=0)", "[C]"),
            Case.softmax("softmax(v)", "[R, C]"), Case.softmax("log_softmax(v)", "[R, C]"),
            Case.softmax("softmax_cross_entropy_with_logits(labels=softmax(u), logits=v)", "[R]"),
            Case.transcendental("exp(v)"), Case.positive("log(v)", OpClass.TRANSCENDENTAL),
            Case.positive("log1p(v)", OpClass.TRANSCENDENTAL), Case.transcendental("elu(v)"), Case.transcendental("selu(v)"),
            Case.transcendental("softplus(v)"), Case.transcendental("sigmoid(v)"), Case.transcendental("tanh(v)"),
            Case.positive("pow(v, u)", OpClass.TRANSCENDENTAL),
            Case.transcendental("sigmoid_cross_entropy_with_logits(labels=sigmoid(u), logits=v)"),
            Case.accumulating("matmul(v, u, transpose_b=true)", "[R, R]", Math.max(C, R)),
            Case.accumulating("matmul(v, u, transpose_a=true)", "[C, C]", R),
            Case.accumulating("reduce_sum(v, axis=1)", "[R]", C), Case.accumulating("reduce_mean(v, axis=0)", "[C]", R),
            Case.accumulating("reduce_sum(v * u)", "[]", R * C),
            // u's gradient sums over rows (sum_to) what the broadcast spread.
            Case.accumulating("v * reduce_mean(u, axis=0)", "[R, C]", R + 1), Case.accumulating("l2_loss(v)", "[]", R * C));

    @TestFactory
    Stream<DynamicTest> everyOpClassWithinItsTolerance() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : CASES) {
            for (int threads : new int[] {1, 2}) {
                tests.add(DynamicTest.dynamicTest(c.expr() + " (" + c.cls() + ", " + threads + " thread(s))", () -> check(c, threads)));
            }
        }
        return tests.stream();
    }

    private static void check(Case c, int threads) {
        String source = """
                model op
                input t: f32SHAPE
                var v: f32[R, C] = zeros()
                var u: f32[R, C] = zeros()
                y = EXPR
                loss = reduce_sum(y * t)
                output y
                train step { GradientDescentOptimizer(0.1).minimize(loss) }
                """.replace("SHAPE", c.shape()).replace("EXPR", c.expr())
                .replace("[R, C]", "[" + R + ", " + C + "]").replace("[C, R]", "[" + C + ", " + R + "]")
                .replace("[R, R]", "[" + R + ", " + R + "]").replace("[C, C]", "[" + C + ", " + C + "]")
                .replace("[R, 74]", "[" + R + ", 74]").replace("[R]", "[" + R + "]").replace("[C]", "[" + C + "]");
        Model m = Compiler.check("op.descent", source);
        SplittableRandom r = new SplittableRandom(c.expr().hashCode());
        float[] v = draw(r, c.domain()), u = draw(r, c.domain());
        int[] yShape = m.graph().type(m.outputs().get("y")).shape().concrete(Map.of());
        float[] t = new float[Math.toIntExact(Tensor.elementCount(yShape))];
        for (int i = 0; i < t.length; i++) t[i] = (float) r.nextGaussian();

        float[][] interpreted = run(new InterpretedModel(m, Precision.F32).newSession(0), v, u, t, yShape);
        float[][] compiled = run(new CompiledModel(m).newSession(0, threads), v, u, t, yShape);
        String[] what = {"y", "dL/dv", "dL/du"};
        switch (c.cls()) {
            case EXACT -> {
                for (int k = 0; k < 3; k++) assertArrayEquals(interpreted[k], compiled[k], what[k] + " bitwise");
            }
            case TRANSCENDENTAL -> {
                for (int k = 0; k < 3; k++) {
                    for (int i = 0; i < interpreted[k].length; i++) {
                        float a = interpreted[k][i], b = compiled[k][i];
                        float bound = k == 0 ? Math.ulp(a) : 2 * Math.ulp(Math.max(Math.abs(a), Math.abs(t[i])));
                        if (!(Math.abs(a - b) <= bound) && !(Float.isNaN(a) && Float.isNaN(b)) && a != b) {
                            fail(what[k] + "[" + i + "]: interpreted " + a + ", compiled " + b + ", bound " + bound);
                        }
                    }
                }
            }
            case SOFTMAX -> {
                assertArrayEquals(interpreted[0], compiled[0], "y bitwise");
                for (int k = 1; k < 3; k++) {
                    for (int row = 0; row < R; row++) {
                        double scale = 0;
                        for (int j = 0; j < C; j++) {
                            scale = Math.max(scale, Math.abs(interpreted[k][row * C + j]));
                            scale = Math.max(scale, Math.abs(t.length == R ? t[row] : t[row * C + j]));
                        }
                        double bound = 0x1p-24 * (C + 1) * scale;
                        for (int j = 0; j < C; j++) {
                            double a = interpreted[k][row * C + j], b = compiled[k][row * C + j];
                            if (!(Math.abs(a - b) <= bound)) fail(what[k] + "[" + row + ", " + j + "]: interpreted " + a + ", compiled " + b + ", bound " + bound);
                        }
                    }
                }
            }
            case ACCUMULATING -> {
                float[][] magnitudes = run(new InterpretedModel(m, Precision.F32).newSession(0), abs(v), abs(u), abs(t), yShape);
                double unit = 0x1p-24 * (c.terms() + 1);
                for (int k = 0; k < 3; k++) {
                    for (int i = 0; i < interpreted[k].length; i++) {
                        double a = interpreted[k][i], b = compiled[k][i], bound = unit * Math.abs(magnitudes[k][i]) * 1.0001;
                        if (!(Math.abs(a - b) <= bound)) {
                            fail(what[k] + "[" + i + "]: interpreted " + a + ", compiled " + b + ", bound " + bound);
                        }
                    }
                }
            }
        }
    }

    /** y, dL/dv and dL/du at v, u with loss weights t. */
    private static float[][] run(TrainingSession s, float[] v, float[] u, float[] t, int[] yShape) {
        s.set("v", Tensor.of(v, R, C));
        s.set("u", Tensor.of(u, R, C));
        Map<String, Tensor> feeds = Map.of("t", Tensor.of(t, yShape));
        float[] y = (float[]) s.evaluate(feeds, List.of("y")).get("y").data();
        Map<String, Gradient> g = s.computeGradients("step", feeds);
        return new float[][] {y, dense(g.get("v"), R * C), dense(g.get("u"), R * C)};
    }

    /** A variable's gradient as floats; zeros when it has none (the expression does not read it). */
    private static float[] dense(Gradient g, int n) {
        if (g == null) return new float[n];
        return (float[]) ((Gradient.Dense) g).value().data();
    }

    private static float[] draw(SplittableRandom r, Domain d) {
        float[] x = new float[R * C];
        for (int i = 0; i < x.length; i++) {
            double z = r.nextGaussian() * 3;
            x[i] = (float) (d == Domain.POSITIVE ? Math.abs(z) + 0.01 : z);
        }
        return x;
    }

    private static float[] abs(float[] x) {
        float[] a = new float[x.length];
        for (int i = 0; i < x.length; i++) a[i] = Math.abs(x[i]);
        return a;
    }
}
