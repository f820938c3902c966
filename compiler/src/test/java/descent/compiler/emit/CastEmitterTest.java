package descent.compiler.emit;

import descent.compiler.ir.Op;
import descent.runtime.DType;
import descent.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static descent.compiler.emit.LayoutTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class CastEmitterTest {
    private static final float[] F_EDGES = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 0.5f, -0.5f, 1.5f,
            -1.5f, 2.5f, -2.99f, 3e9f, -3e9f, 1e19f, -1e19f, 2147483648f, -2147483648f, 2147483520f, 9.223372e18f, -9.223372e18f,
            Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 16777217f, 1e10f, -7.9f};
    private static final double[] D_EDGES = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -0.0, 0.5, -0.5, 1.5,
            -1.5, 2.5, -2.99, 3e9, -3e9, 1e19, -1e19, 2147483647.9, -2147483648.9, 2147483648.0, 9.223372036854775807e18,
            -9.223372036854775808e18, Double.MAX_VALUE, Double.MIN_VALUE, 3.4028235677973366e38, 1.0000000596046448, 9007199254740993.0,
            -4294967297.5, 1e-300};
    private static final int[] I_EDGES = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 16777217, -16777217, 123456789};
    /** Within ±2⁵³: the interpreter holds i64 as doubles, so beyond that it is not an exact oracle (see CastEmitter). */
    private static final long[] L_EDGES = {0, 1, -1, 1L << 53, -(1L << 53), (1L << 53) - 1, 1L << 31, -(1L << 31) - 1, 1L << 32,
            (1L << 32) + 5, 16777217, -16777219, 4294967295L, 123456789012345L};

    private static Tensor edges(DType t, SplittableRandom r, int extra) {
        return switch (t) {
            case F32 -> { float[] a = new float[F_EDGES.length + extra]; System.arraycopy(F_EDGES, 0, a, 0, F_EDGES.length);
                for (int i = F_EDGES.length; i < a.length; i++) a[i] = (float) r.nextDouble(-1e10, 1e10) / (1 << r.nextInt(30)); yield Tensor.of(a, a.length); }
            case F64 -> { double[] a = new double[D_EDGES.length + extra]; System.arraycopy(D_EDGES, 0, a, 0, D_EDGES.length);
                for (int i = D_EDGES.length; i < a.length; i++) a[i] = r.nextDouble(-1e20, 1e20) / (1L << r.nextInt(62)); yield Tensor.of(a, a.length); }
            case I32 -> { int[] a = new int[I_EDGES.length + extra]; System.arraycopy(I_EDGES, 0, a, 0, I_EDGES.length);
                for (int i = I_EDGES.length; i < a.length; i++) a[i] = r.nextInt(); yield Tensor.of(a, a.length); }
            case I64 -> { long[] a = new long[L_EDGES.length + extra]; System.arraycopy(L_EDGES, 0, a, 0, L_EDGES.length);
                for (int i = L_EDGES.length; i < a.length; i++) a[i] = r.nextLong(-(1L << 53), (1L << 53) + 1) >> r.nextInt(50); yield Tensor.of(a, a.length); }
        };
    }

    @Test
    void everyDtypePairMatchesTheInterpreterBitwiseIncludingNanInfinityAndHugeValues() {
        SplittableRandom r = new SplittableRandom(7);
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                Tensor x = edges(from, r, 200);
                int[] shape = {x.size()};
                Tensor expected = interpret(new Op.Cast(to), to, shape, List.of(from), List.of(shape), List.of(x));
                LayoutKernel k = compile(CastEmitter.program(from, to, shape));
                assertSame(expected, run(k, List.of(x), to, x.size(), 0), from + "→" + to);
            }
        }
    }

    @Test
    void runtimeBatchShapes() {
        SplittableRandom r = new SplittableRandom(8);
        int[] shape = {BATCH, 3, 5};
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                LayoutKernel k = compile(CastEmitter.program(from, to, shape));
                for (int b : new int[] {1, 3, 17}) {
                    int[] c = concrete(shape, b);
                    Tensor x = random(from, c, r);
                    Tensor expected = interpret(new Op.Cast(to), to, shape, List.of(from), List.of(shape), List.of(x));
                    assertSame(expected, run(k, List.of(x), to, x.size(), b), from + "→" + to + " batch " + b);
                }
            }
        }
    }

    /** The documented values of the interpreter's float→int rule, pinned so a change to either side shows. */
    @Test
    void floatToIntTruncatesThenWrapsTheSaturatedLong() {
        LayoutKernel k = CastEmitter.cast(DType.F32, DType.I32, new int[] {8});
        float[] in = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e9f, -2.7f, 2.7f, 1e19f, -0f};
        int[] out = new int[8];
        k.run(new Object[] {in}, new int[] {0}, out, 0, 0);
        assertArrayEquals(new int[] {0, -1, 0, -1294967296, -2, 2, -1, 0}, out);
        LayoutKernel w = CastEmitter.cast(DType.F64, DType.I64, new int[] {4});
        long[] lo = new long[4];
        w.run(new Object[] {new double[] {Double.NaN, 1e300, -1e300, -3.99}}, new int[] {0}, lo, 0, 0);
        assertArrayEquals(new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE, -3}, lo);
    }

    @Test
    void hugeLongsToFloatRoundTwiceAsTheInterpreterDoes() {
        long x = (1L << 60) + (1L << 36) + 1;   // l2f and (float)(double) differ here
        assertNotEquals((float) x, (float) (double) x);
        float[] out = new float[1];
        CastEmitter.cast(DType.I64, DType.F32, new int[] {1}).run(new Object[] {new long[] {x}}, new int[] {0}, out, 0, 0);
        assertEquals((float) (double) x, out[0]);
    }
}
