package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Graph;
import descent.compiler.ir.UnaryFn;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/** What the Elementwise* tests share: the oracle, the inputs, the comparison and the bytecode check. */
final class ElementwiseTestSupport {
    private ElementwiseTestSupport() {}

    static final List<Integer> LENGTHS = List.of(0, 1, 7, 16, 17, 1000, 4099);

    /** Values where elementwise kernels go wrong: signed zeros, infinities, NaN, extremes, subnormals, op boundaries. */
    static final float[] EDGES = {
        0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f, -1f, 0.5f, -0.5f, 6f, -6f, 2f,
        Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, 1e-30f, -1e-30f, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, 1e-40f, 0x1p23f, 8388607.5f, -8388607.5f, 1.5f, -2.5f, 88.7f, -103.9f, 0.99999994f,
    };

    /** Transcendental formulas: bitwise in SCALAR style, within {@link #ulpBound} in the vector styles. */
    static boolean transcendental(UnaryFn fn) {
        return switch (fn) {
            case EXP, LOG, LOG1P, TANH, SIGMOID, SOFTPLUS, ELU, SELU, COS, SIN -> true;
            default -> false;
        };
    }

    /** softplus_grad is transcendental but always evaluated in double lanes, so it is held to the DOUBLE_MATH bound. */
    static boolean transcendental(BinaryFn fn) { return fn == BinaryFn.POW || fn == BinaryFn.SOFTPLUS_GRAD; }

    /**
     * The largest distance from the interpreter, in float ulps, a style may show for a transcendental
     * formula (exact ops are always 0). VECTOR's figure is the worst measured by ElementwiseAccuracy on
     * C2-compiled kernels (float-lane SVML); before C2 compiles a kernel the Vector API falls back to Math
     * and the distance is 0.
     */
    static long ulpBound(ElementwiseStyle style, BinaryFn fn) {
        return fn == BinaryFn.SOFTPLUS_GRAD && style == ElementwiseStyle.VECTOR ? ulpBound(ElementwiseStyle.VECTOR_DOUBLE_MATH, true)
                : ulpBound(style, transcendental(fn));
    }

    static long ulpBound(ElementwiseStyle style, boolean transcendental) {
        if (!transcendental || style == ElementwiseStyle.SCALAR) return 0;
        return style == ElementwiseStyle.VECTOR_DOUBLE_MATH ? 1 : 4;
    }

    /** Mixed inputs: every edge value, then uniform, log-uniform over the float range, and arbitrary bit patterns. */
    static float[] inputs(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i < EDGES.length ? EDGES[i] : switch (r.nextInt(5)) {
                case 0 -> (float) r.nextDouble(-10, 10);
                case 1 -> (float) r.nextDouble(-1, 1);
                case 2 -> (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble(-38, 38)));
                case 3 -> Float.intBitsToFloat(r.nextInt());
                default -> EDGES[r.nextInt(EDGES.length)];
            };
        }
        return x;
    }

    /** A second operand: for the first EDGES² elements every pair of edge values with the first operand's layout. */
    static float[] pairedInputs(float[] a, long seed) {
        float[] b = inputs(seed, a.length);
        int e = EDGES.length;
        for (int i = 0; i < Math.min(a.length, e * e); i++) {
            a[i] = EDGES[i / e];
            b[i] = EDGES[i % e];
        }
        return b;
    }

    /** The reference interpreter's f32 values of {@code fetch}. */
    static float[] interpret(Graph g, Map<String, Tensor> feeds, int fetch) {
        return interpretAll(g, feeds, Map.of(), List.of(fetch)).get(0);
    }

    static List<float[]> interpretAll(Graph g, Map<String, Tensor> feeds, Map<String, Tensor> variables, List<Integer> fetches) {
        Map<Integer, Tensor> out = new Interpreter(g, Precision.F32).run(feeds, variables, fetches);
        return fetches.stream().map(f -> out.get(f).floats()).toList();
    }

    /** Distance in ulps along the float line (±0 are 1 apart; NaN must meet NaN). */
    static long ulps(float expected, float actual) {
        if (Float.isNaN(expected) || Float.isNaN(actual)) return Float.isNaN(expected) && Float.isNaN(actual) ? 0 : Long.MAX_VALUE;
        return Math.abs(ordered(expected) - ordered(actual));
    }

    private static long ordered(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : (long) Integer.MIN_VALUE - b - 1;
    }

    /** Element-by-element within {@code maxUlps} (0: bitwise, all NaNs equal), naming the first offender. */
    static void assertUlps(float[] expected, float[] actual, int offset, int length, long maxUlps, String what, float[]... operands) {
        for (int i = 0; i < length; i++) {
            long d = ulps(expected[i], actual[offset + i]);
            if (d > maxUlps) {
                StringBuilder ops = new StringBuilder();
                for (float[] o : operands) ops.append(o.length == 1 ? o[0] : o[i % o.length]).append(' ');
                fail(what + " at " + i + " of " + length + ": operands " + ops + "expected " + expected[i] + " but got "
                        + actual[offset + i] + " (" + (d == Long.MAX_VALUE ? "NaN mismatch" : d + " ulps, allowed " + maxUlps) + ")");
            }
        }
    }

    /** ASM's bytecode verifier over the class, resolving types through the test's class loader. */
    static void verify(byte[] classBytes) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classBytes), ElementwiseTestSupport.class.getClassLoader(), false, new PrintWriter(report));
        assertEquals("", report.toString(), "CheckClassAdapter.verify");
    }

    /** Emits, verifies and loads. */
    static ElementwiseKernel compile(FusedExpr e, ElementwiseStyle style) {
        byte[] bytes = ElementwiseEmitter.emit(e, style);
        verify(bytes);
        return ElementwiseEmitter.load(bytes);
    }

    /** The styles this JVM can run (the vector ones need the incubator module, which surefire adds). */
    static List<ElementwiseStyle> styles() {
        return ElementwiseEmitter.vectorApiAvailable() ? List.of(ElementwiseStyle.values()) : List.of(ElementwiseStyle.SCALAR);
    }

    static float[] copyOf(float[] a, int n) { return java.util.Arrays.copyOf(a, n); }
}
