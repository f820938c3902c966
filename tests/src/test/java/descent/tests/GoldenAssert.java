package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.Arrays;

/** Compares Descent's tensors with TensorFlow's golden numbers, reporting the first differing elements. */
final class GoldenAssert {
    private GoldenAssert() {}

    /** How a golden file states its tolerance: relative to max(1, |e|) (ops.json) or to 1 + |e| (optimizers, models). */
    enum Scale {
        MAX_ONE { double of(double e) { return Math.max(1.0, Math.abs(e)); } },
        ONE_PLUS { double of(double e) { return 1 + Math.abs(e); } };

        abstract double of(double expected);
    }

    static void compare(String what, DType dtype, int[] shape, double[] expected, Tensor actual, double tol, Scale scale,
                        String context) {
        assertNotNull(actual, what + ": missing" + context);
        assertEquals(dtype, actual.dtype(), what + ": dtype" + context);
        if (!Arrays.equals(shape, actual.shape())) {
            fail(what + ": shape " + Tensor.shapeString(actual.shape()) + ", TF has " + Tensor.shapeString(shape) + context);
        }
        double[] a = actual.toDoubles();
        StringBuilder bad = new StringBuilder();
        int mismatches = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!close(a[i], expected[i], tol, scale)) {
                if (mismatches++ < 8) {
                    bad.append(String.format("%n  [%d] descent %s, tensorflow %s (|d| = %.3g, allowed %.3g)", i,
                            repr(a[i]), repr(expected[i]), Math.abs(a[i] - expected[i]), tol * scale.of(expected[i])));
                }
            }
        }
        if (mismatches > 0) fail(what + ": " + mismatches + " of " + expected.length + " elements differ" + bad + context);
    }

    static void compareMaxOne(String what, DType dtype, int[] shape, double[] expected, Tensor actual, double tol, String context) {
        compare(what, dtype, shape, expected, actual, tol, Scale.MAX_ONE, context);
    }

    static void compareOnePlus(String what, DType dtype, int[] shape, double[] expected, Tensor actual, double tol, String context) {
        compare(what, dtype, shape, expected, actual, tol, Scale.ONE_PLUS, context);
    }

    /** NaN only equals NaN, infinities must match exactly, and -0.0 equals 0.0. */
    static boolean close(double actual, double expected, double tol, Scale scale) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) return actual == expected;
        return Math.abs(actual - expected) <= tol * scale.of(expected);
    }

    static String repr(double v) { return v == (float) v ? Float.toString((float) v) : Double.toString(v); }
}
