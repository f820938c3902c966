package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * Reductions and SumTo against the reference interpreter on the same IR: ranks 1–4, first / last /
 * middle / several / all axes, a runtime batch of 1, 3 and 17, random and edge inputs, every fn, the
 * scalar and vector variants, offsets with sentinels around the output, and bitwise repeatability.
 * SUM must be within n·2⁻²⁴·Σ|x| of the interpreter's double sum (MEAN: that over n, plus one ulp);
 * MAX/MIN exactly equal (+0 and −0 count as equal); NaN where the interpreter has NaN.
 */
class ReduceEmitterTest {
    private static final int IN_PAD = 3, OUT_PAD = 5;
    private static final float SENTINEL = -1234.5f;
    private static final int B = ReduceShape.BATCH;
    private static double worstSumRatio;

    /** dims (B = runtime batch) and the axes reduced. */
    private record Case(int[] dims, int[] axes) {
        @Override public String toString() { return Arrays.toString(dims) + " over " + Arrays.toString(axes); }
    }

    private static final List<Case> CASES = List.of(
            new Case(new int[] {1000}, new int[] {0}),
            new Case(new int[] {1}, new int[] {0}),
            new Case(new int[] {0}, new int[] {0}),
            new Case(new int[] {B}, new int[] {0}),
            new Case(new int[] {7, 33}, new int[] {1}),
            new Case(new int[] {7, 33}, new int[] {0}),
            new Case(new int[] {7, 33}, new int[] {0, 1}),
            new Case(new int[] {B, 100}, new int[] {1}),
            new Case(new int[] {B, 100}, new int[] {0}),
            new Case(new int[] {B, 1}, new int[] {1}),
            new Case(new int[] {3, 1, 5}, new int[] {1}),
            new Case(new int[] {B, 5, 70}, new int[] {1}),
            new Case(new int[] {4, 5, 70}, new int[] {0, 2}),
            new Case(new int[] {B, 5, 70}, new int[] {0, 1}),
            new Case(new int[] {B, 5, 3}, new int[] {0, 1, 2}),
            new Case(new int[] {2, 3, 4, 17}, new int[] {1, 2}),
            new Case(new int[] {B, 3, 4, 17}, new int[] {0, 2}),
            new Case(new int[] {2, 3, B, 17}, new int[] {1, 3}),
            new Case(new int[] {B, 3, 4, 40}, new int[] {3}),
            new Case(new int[] {B, 6, 6, 8}, new int[] {1, 2}),
            new Case(new int[] {3, 4, 5, 6}, new int[] {0, 1, 2, 3}),
            new Case(new int[] {2, 1, 4, 1}, new int[] {1, 3}),
            // The batch in several axes (batch × batch, as H·Hᵀ has).
            new Case(new int[] {B, B}, new int[] {1}),
            new Case(new int[] {B, B}, new int[] {0, 1}),
            new Case(new int[] {B, 3, B}, new int[] {0}),
            new Case(new int[] {B, B, 5}, new int[] {0, 1}));

    @AfterAll
    static void report() {
        System.out.println("ReduceEmitterTest: worst SUM/MEAN error as a fraction of n*2^-24*sum|x|: " + worstSumRatio);
    }

    static List<Integer> variants() {
        int vl = MatmulEmitter.preferredVectorLength();
        return vl > 0 ? List.of(0, vl) : List.of(0);
    }

    static void verify(byte[] classBytes) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classBytes), ReduceEmitterTest.class.getClassLoader(), false, new PrintWriter(report));
        assertEquals("", report.toString(), "CheckClassAdapter.verify");
    }

    static ReduceKernel compile(ReduceShape shape, int vl) {
        byte[] bytes = ReduceEmitter.classFile(shape, vl);
        verify(bytes);
        return ReduceEmitter.load(bytes);
    }

    static float[] randomInputs(long seed, int n, boolean edges) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(4)) {
                case 0 -> (float) r.nextDouble(-10, 10);
                case 1 -> (float) r.nextDouble(-1e-3, 1e-3);
                case 2 -> (float) (r.nextBoolean() ? 1 : -1) * (float) Math.pow(10, r.nextDouble(-20, 20));
                default -> (float) r.nextInt(-3, 4);
            };
            if (edges && r.nextInt(40) == 0) {
                float[] e = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};
                x[i] = e[r.nextInt(e.length)];
            }
        }
        return x;
    }

    private static int[] concrete(int[] dims, int batch) {
        int[] c = dims.clone();
        for (int i = 0; i < c.length; i++) if (c[i] == B) c[i] = batch;
        return c;
    }

    private static long[] longs(int[] d) { return Arrays.stream(d).asLongStream().toArray(); }

    /** The interpreter's result of reduce(fn, x) and of reduce_sum(|x|) over the same axes. */
    private static float[][] oracle(ReduceFn fn, int[] dims, int[] axes, float[] x) {
        GraphBuilder g = new GraphBuilder();
        int in = g.input("x", new TensorType(DType.F32, Shape.of(longs(dims))));
        int y = g.reduce(fn, in, axes, false);
        int abs = g.reduce(ReduceFn.SUM, g.unaryAnyNumber(UnaryFn.ABS, in), axes, false);
        Map<Integer, Tensor> out = new Interpreter(g.build(), Precision.F32).run(Map.of("x", Tensor.of(x, dims)), Map.of(), List.of(y, abs));
        return new float[][] {out.get(y).floats(), out.get(abs).floats()};
    }

    /** Runs with offsets, checks the sentinels, returns the output range. */
    private static float[] runPadded(ReduceKernel k, float[] x, int outLength, int batch) {
        float[] xp = new float[x.length + 2 * IN_PAD];
        Arrays.fill(xp, Float.NaN);
        System.arraycopy(x, 0, xp, IN_PAD, x.length);
        float[] out = new float[outLength + 2 * OUT_PAD];
        Arrays.fill(out, SENTINEL);
        k.run(xp, IN_PAD, out, OUT_PAD, batch);
        for (int i = 0; i < OUT_PAD; i++) {
            assertEquals(SENTINEL, out[i], "written before the output");
            assertEquals(SENTINEL, out[OUT_PAD + outLength + i], "written after the output");
        }
        return Arrays.copyOfRange(out, OUT_PAD, OUT_PAD + outLength);
    }

    static void compare(ReduceFn fn, float[] expected, float[] absSum, float[] actual, long reducedCount, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            String at = what + " at " + i + ": expected " + e + " got " + a;
            boolean overflowRegime = (fn == ReduceFn.SUM || fn == ReduceFn.MEAN) && Float.isInfinite(absSum[i]);
            if (overflowRegime) continue;   // Σ|x| beyond the float range: float and double sums legitimately differ (inf vs NaN)
            if (Float.isNaN(e) || Float.isNaN(a)) {
                assertTrue(Float.isNaN(e) && Float.isNaN(a), at);
                continue;
            }
            switch (fn) {
                case MAX, MIN -> assertTrue(e == a, at);   // == : +0 and -0 equal
                case SUM, MEAN -> {
                    if (Float.isInfinite(e) || Float.isInfinite(a)) {
                        // A float sum may overflow where the double one does not only beyond the bound's reach.
                        double bound = reducedCount * 0x1p-24 * absSum[i];
                        assertTrue(e == a || Double.isInfinite(bound) || Float.isInfinite(absSum[i]), at);
                        continue;
                    }
                    double bound = reducedCount * 0x1p-24 * absSum[i];
                    if (fn == ReduceFn.MEAN) bound = bound / Math.max(1, reducedCount) + Math.ulp(e);
                    double d = Math.abs((double) e - a);
                    if (d > bound) fail(at + " (|d| = " + d + " > bound " + bound + ")");
                    if (bound > 0) worstSumRatio = Math.max(worstSumRatio, d / bound);
                    else assertEquals(Float.floatToRawIntBits(e) == Float.floatToRawIntBits(a) || e == a, true, at);
                }
            }
        }
    }

    @Test
    void everyCaseEveryFnAgainstInterpreter() {
        int seed = 0;
        for (Case c : CASES) {
            boolean runtime = Arrays.stream(c.dims()).anyMatch(d -> d == B);
            for (ReduceFn fn : ReduceFn.values()) {
                ReduceShape shape = ReduceShape.of(fn, c.dims(), c.axes());
                List<ReduceKernel> kernels = new ArrayList<>();
                for (int vl : variants()) kernels.add(compile(shape, vl));
                for (int batch : runtime ? new int[] {1, 3, 17, 0} : new int[] {-7}) {
                    int[] dims = concrete(c.dims(), batch);
                    int n = Arrays.stream(dims).reduce(1, (p, q) -> p * q);
                    long reduced = 1;
                    for (int a : c.axes()) reduced *= dims[a];
                    for (boolean edges : new boolean[] {false, true}) {
                        float[] x = randomInputs(++seed, n, edges);
                        float[][] want = oracle(fn, dims, c.axes(), x);
                        for (int v = 0; v < kernels.size(); v++) {
                            String what = fn + " " + c + " batch " + batch + (edges ? " edges" : "") + " vl " + variants().get(v);
                            float[] got = runPadded(kernels.get(v), x, want[0].length, batch);
                            compare(fn, want[0], want[1], got, reduced, what);
                            float[] again = runPadded(compile(shape, variants().get(v)), x, want[0].length, batch);
                            assertArrayEquals(bits(got), bits(again), what + ": not bitwise repeatable");
                        }
                    }
                }
            }
        }
    }

    static int[] bits(float[] f) {
        int[] b = new int[f.length];
        // NaN's sign and payload are not part of a result (x86 and the JIT's code paths produce different
        // ones for the same NaN): compare NaNs as NaN, everything else bit for bit.
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToIntBits(f[i]);
        return b;
    }

    @Test
    void nanAndInfinityPropagateLikeTheInterpreter() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        float[][] rows = {
            {1, nan, 2}, {nan, 1, 2}, {1, 2, nan}, {inf, -inf, 1}, {inf, 1, 2}, {-inf, -inf, -inf}, {-0f, 0f, -0f}, {-0f, -0f, -0f},
        };
        int c = 3;
        // Pad rows to 40 elements (beyond one vector plus a tail) by repeating the last value.
        int w = 40;
        float[] x = new float[rows.length * w];
        for (int r = 0; r < rows.length; r++) {
            for (int j = 0; j < w; j++) x[r * w + j] = j < c ? rows[r][j] : rows[r][c - 1];
        }
        for (ReduceFn fn : ReduceFn.values()) {
            for (int[] axes : new int[][] {{1}, {0}}) {
                int[] dims = {rows.length, w};
                float[][] want = oracle(fn, dims, axes, x);
                for (int vl : variants()) {
                    float[] got = runPadded(compile(ReduceShape.of(fn, dims, axes), vl), x, want[0].length, 0);
                    for (int i = 0; i < got.length; i++) {
                        String at = fn + " axes " + Arrays.toString(axes) + " vl " + vl + " at " + i;
                        if (Float.isNaN(want[0][i])) assertTrue(Float.isNaN(got[i]), at + ": " + got[i]);
                        else if (fn == ReduceFn.SUM || fn == ReduceFn.MEAN) assertEquals(want[0][i], got[i], at);   // sums of ±0 and ±inf: exact
                        else assertTrue(want[0][i] == got[i], at);
                    }
                }
            }
        }
    }

    /** Empty reductions give the identity (MEAN: NaN), as the interpreter. */
    @Test
    void emptyReductions() {
        for (ReduceFn fn : ReduceFn.values()) {
            for (int vl : variants()) {
                ReduceKernel k = compile(ReduceShape.of(fn, new int[] {B, 4}, 0), vl);
                float[] got = runPadded(k, new float[0], 4, 0);
                float[] want = oracle(fn, new int[] {0, 4}, new int[] {0}, new float[0])[0];
                assertArrayEquals(bits(want), bits(got), fn + " vl " + vl);
            }
        }
    }

    @Test
    void sumToIsTheAdjointOfBroadcasting() {
        int[][][] cases = {
            {{B, 3, 4}, {4}}, {{B, 3, 4}, {3, 1}}, {{2, 3, 4}, {1, 3, 1}}, {{B, 5}, {B, 1}}, {{B, 5}, {}},
            {{B, 7, 33}, {B, 1, 33}}, {{6, 100}, {1, 100}}, {{6, 100}, {6, 1}},
        };
        int seed = 1000;
        for (int[][] c : cases) {
            ReduceShape shape = ReduceShape.sumTo(c[0], c[1]);
            for (int vl : variants()) {
                ReduceKernel k = compile(shape, vl);
                for (int batch : new int[] {1, 3, 17}) {
                    int[] from = concrete(c[0], batch), to = concrete(c[1], batch);
                    int n = Arrays.stream(from).reduce(1, (p, q) -> p * q);
                    float[] x = randomInputs(++seed, n, false);
                    GraphBuilder g = new GraphBuilder();
                    int in = g.input("x", new TensorType(DType.F32, Shape.of(longs(from))));
                    int y = g.add(new descent.compiler.ir.Op.SumTo(), new TensorType(DType.F32, Shape.of(longs(to))), in);
                    int abs = g.add(new descent.compiler.ir.Op.SumTo(), new TensorType(DType.F32, Shape.of(longs(to))),
                            g.unaryAnyNumber(UnaryFn.ABS, in));
                    Map<Integer, Tensor> out = new Interpreter(g.build(), Precision.F32)
                            .run(Map.of("x", Tensor.of(x, from)), Map.of(), List.of(y, abs));
                    float[] want = out.get(y).floats();
                    long reduced = want.length == 0 ? 0 : n / want.length;
                    float[] got = runPadded(k, x, want.length, batch);
                    compare(ReduceFn.SUM, want, out.get(abs).floats(), got, reduced,
                            "sum_to " + Arrays.toString(from) + " -> " + Arrays.toString(to) + " vl " + vl);
                }
            }
        }
    }

    @Test
    void shapesAndArgumentsAreChecked() {
        assertEquals(List.of(new ReduceShape.Group(false, 1, 1), new ReduceShape.Group(true, 784, 0), new ReduceShape.Group(false, 64, 0)),
                ReduceShape.of(ReduceFn.SUM, new int[] {B, 28, 28, 64}, 1, 2).groups());
        assertEquals(List.of(new ReduceShape.Group(true, 1, 2), new ReduceShape.Group(false, 5, 0)),
                ReduceShape.of(ReduceFn.SUM, new int[] {B, B, 5}, 0, 1).groups());
        assertThrows(IllegalArgumentException.class, () -> ReduceShape.sumTo(new int[] {3, 4}, new int[] {2, 4}));
        ReduceKernel k = compile(ReduceShape.of(ReduceFn.SUM, new int[] {B, 4}, 1), 0);
        assertThrows(IndexOutOfBoundsException.class, () -> k.run(new float[7], 0, new float[2], 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> k.run(new float[8], 0, new float[1], 0, 2));
        assertThrows(IllegalArgumentException.class, () -> k.run(new float[8], 0, new float[2], 0, -1));
    }
}
