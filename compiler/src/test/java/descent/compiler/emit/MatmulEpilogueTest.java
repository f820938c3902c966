package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A matmul with a {@link MatmulEpilogue} must give exactly the bits of the unfused pair it replaces: the plain
 * matmul kernel followed by the elementwise kernel of {@code add(c, bias)} (then relu), in every style.
 */
class MatmulEpilogueTest {
    private static final int A_OFF = 3, B_OFF = 5, C_OFF = 7, BIAS_OFF = 2, GUARD = 40;
    private static final float SENTINEL = -12345.5f;

    static Stream<Arguments> cases() {
        // Row tails (13, 11), sub-vector n (5, 9), vector tails (33, 40), a packed B (64x784x128), a runtime M.
        int[][] mkn = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 784, 128}, {13, 20, 40}, {11, 6, 5}, {-1, 33, 40}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : mkn)
            for (int t = 0; t < 4; t++)
                for (UnaryFn act : new UnaryFn[] {null, UnaryFn.RELU, UnaryFn.TANH, UnaryFn.SIGMOID}) {
                    boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                    MatmulShape shape = s[0] < 0 ? MatmulShape.runtimeM(s[1], s[2], ta, tb) : MatmulShape.of(s[0], s[1], s[2], ta, tb);
                    out.add(Arguments.of(shape, new MatmulEpilogue(true, act)));
                }
        for (UnaryFn act : new UnaryFn[] {UnaryFn.RELU, UnaryFn.TANH, UnaryFn.SIGMOID}) {
            out.add(Arguments.of(MatmulShape.of(13, 20, 40, false, false), new MatmulEpilogue(false, act)));
            out.add(Arguments.of(MatmulShape.of(13, 20, 40, false, true), new MatmulEpilogue(false, act)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void fusedEqualsMatmulThenElementwiseBitwise(MatmulShape shape, MatmulEpilogue epi) {
        int m = shape.hasRuntimeM() ? 19 : shape.m(), k = shape.k(), n = shape.n();
        SplittableRandom rnd = new SplittableRandom(m * 31L + k * 7L + n);
        float[] a = random(rnd, A_OFF + m * k + GUARD), b = random(rnd, B_OFF + k * n + GUARD);
        float[] bias = random(rnd, BIAS_OFF + n + GUARD);
        bias[BIAS_OFF] = -0.0f;
        if (n > 1) bias[BIAS_OFF + 1] = Float.NaN;   // NaN passes relu

        // Unfused: the plain kernel, then the elementwise pass the lowering used to emit.
        float[] c = new float[m * n];
        EmittedMatmul plain = MatmulEmitter.emitScalar(shape);
        plain.kernel().run(a, A_OFF, b, B_OFF, c, 0, m, plain.newScratch());
        FusedExpr.Builder bld = FusedExpr.builder();
        int x = bld.input(InputKind.FULL);
        int y = epi.bias() ? bld.binary(BinaryFn.ADD, x, bld.input(InputKind.ROW)) : x;
        if (epi.activation() != null) y = bld.unary(epi.activation(), y);
        FusedExpr expr = bld.build(y);
        float[] expected = new float[m * n];
        ElementwiseKernel ew = ElementwiseEmitter.compile(expr, ElementwiseStyle.SCALAR);
        float[][] in = epi.bias() ? new float[][] {c, bias} : new float[][] {c};
        int[] inOff = epi.bias() ? new int[] {0, BIAS_OFF} : new int[] {0};
        ew.run(in, inOff, new float[][] {expected}, new int[] {0}, m * n, n);
        // The vector kernel's tanh and sigmoid are the backend's vector style (double lanes, WideMath): bitwise
        // that style's elementwise pass, which is within 1 ulp of the scalar style (ElementwiseStyle).
        float[] expectedVector = expected;
        if (epi.formula() && MatmulEmitter.vectorApiAvailable()) {
            expectedVector = new float[m * n];
            ElementwiseEmitter.compile(expr, ElementwiseStyle.VECTOR_DOUBLE_MATH).run(in, inOff, new float[][] {expectedVector}, new int[] {0}, m * n, n);
            for (int i = 0; i < m * n; i++) {
                assertTrue(Float.isNaN(expected[i]) ? Float.isNaN(expectedVector[i]) : Math.abs(expected[i] - expectedVector[i]) <= Math.ulp(expected[i]));
            }
        }

        List<EmittedMatmul> variants = new ArrayList<>(List.of(MatmulEmitter.emitScalar(shape, epi)));
        if (MatmulEmitter.vectorApiAvailable()) variants.add(MatmulEmitter.emitVector(shape, epi));
        for (EmittedMatmul e : variants) {
            verify(e.classFile());
            for (int repeat = 0; repeat < 2; repeat++) {
                float[] got = new float[C_OFF + m * n + GUARD];
                java.util.Arrays.fill(got, SENTINEL);
                if (epi.bias()) e.kernel().run(a, A_OFF, b, B_OFF, got, C_OFF, m, e.newScratch(), bias, BIAS_OFF);
                else e.kernel().run(a, A_OFF, b, B_OFF, got, C_OFF, m, e.newScratch());
                for (int i = 0; i < C_OFF; i++) assertEquals(SENTINEL, got[i], "guard before C");
                for (int i = C_OFF + m * n; i < got.length; i++) assertEquals(SENTINEL, got[i], "guard after C");
                float[] want = e.isVector() ? expectedVector : expected;
                for (int i = 0; i < m * n; i++) {
                    int i0 = i;
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[C_OFF + i]),
                            () -> (e.isVector() ? "vector" : "scalar") + " element " + i0 + ": " + want[i0] + " vs " + got[C_OFF + i0]);
                }
            }
        }
    }

    @Test
    void biasEpilogueRejectsTheCallWithoutABias() {
        EmittedMatmul e = MatmulEmitter.emitScalar(MatmulShape.of(2, 3, 4, false, false), new MatmulEpilogue(true, UnaryFn.RELU));
        assertThrows(IllegalArgumentException.class,
                () -> e.kernel().run(new float[6], 0, new float[12], 0, new float[8], 0, 2, null));
        assertThrows(IndexOutOfBoundsException.class,
                () -> e.kernel().run(new float[6], 0, new float[12], 0, new float[8], 0, 2, null, new float[3], 0));
    }

    @Test
    void reluKeepsNaNAndZeroesNegatives() {
        // 1x1x3 with A = 1: C = B; the epilogue sees a positive, NaN and a negative (C is never -0.0: its fma
        // chains start from +0).
        MatmulShape shape = MatmulShape.of(1, 1, 3, false, false);
        float[] b = {0.5f, Float.NaN, -2f};
        for (EmittedMatmul e : MatmulEmitter.vectorApiAvailable()
                ? List.of(MatmulEmitter.emitScalar(shape, new MatmulEpilogue(false, UnaryFn.RELU)), MatmulEmitter.emitVector(shape, new MatmulEpilogue(false, UnaryFn.RELU)))
                : List.of(MatmulEmitter.emitScalar(shape, new MatmulEpilogue(false, UnaryFn.RELU)))) {
            float[] c = new float[3];
            e.kernel().run(new float[] {1f}, 0, b, 0, c, 0, 1, e.newScratch());
            assertEquals(0.5f, c[0]);
            assertTrue(Float.isNaN(c[1]));
            assertEquals(0f, c[2]);
        }
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static void verify(byte[] bytes) {
        StringWriter sw = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(bytes), MatmulEpilogueTest.class.getClassLoader(), false, new PrintWriter(sw));
        assertEquals("", sw.toString());
    }
}
