package descent.compiler.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.runtime.DType;
import descent.runtime.Initializer;
import descent.runtime.Initializers;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Literal folding, TF's guard in reduce_logsumexp, `input=` keyword arguments and variance scaling's "normal". */
class LiteralAndCompositeTest {
    static double[] eval(String text, Map<String, Tensor> feeds, String fetch) {
        return new Session(Compiler.check("t.descent", text), Precision.F32, 0).evaluate(feeds, List.of(fetch)).get(fetch).toDoubles();
    }

    @Test
    void literalArithmeticFoldsAsPythonDoes() {
        Map<String, Tensor> x = Map.of("x", Tensor.of(new float[] {1, 2}, 2));
        assertArrayEquals(new double[] {3, 6}, eval("input x: f32[2]\ny = (1 + 2) * x\n", x, "y"));
        assertArrayEquals(new double[] {1, 256}, eval("input x: f32[2]\ny = x ** 2 ** 3\n", x, "y"));
        assertArrayEquals(new double[] {3.5, 7}, eval("input x: f32[2]\ny = x * (7 / 2)\n", x, "y"));
        assertArrayEquals(new double[] {1, 2}, eval("input x: f32[2]\ny = expand_dims(input=x, axis=0)\n", x, "y"));
    }

    @Test
    void logSumExpOfAnInfiniteRowIsInfinite() {
        Map<String, Tensor> x = Map.of("x", Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY, 0f, 1f, 2f}, 3, 2));
        double[] y = eval("input x: f32[3, 2]\ny = reduce_logsumexp(x, axis=1)\n", x, "y");
        assertEquals(Double.NEGATIVE_INFINITY, y[0]);
        assertEquals(Double.POSITIVE_INFINITY, y[1]);
        assertEquals(2 + Math.log1p(Math.exp(-1)), y[2], 1e-6);
    }

    @Test
    void varianceScalingNormalIsTruncatedAsInTf1() {
        Tensor t = Initializers.materialize(new Initializer.VarianceScaling(1.0, "fan_in", "normal", 3L), DType.F64,
                new int[] {1000, 10}, 0, "w");
        double std = Math.sqrt(1.0 / 1000) / 0.87962566103423978;
        for (double v : t.toDoubles()) assertTrue(Math.abs(v) <= 2 * std + 1e-12, "truncated at two standard deviations");
    }
}
