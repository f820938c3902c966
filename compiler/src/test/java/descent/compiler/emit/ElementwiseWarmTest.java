package descent.compiler.emit;

import static descent.compiler.emit.ElementwiseTestSupport.EDGES;
import static descent.compiler.emit.ElementwiseTestSupport.assertUlps;
import static descent.compiler.emit.ElementwiseTestSupport.compile;
import static descent.compiler.emit.ElementwiseTestSupport.interpretAll;
import static descent.compiler.emit.ElementwiseTestSupport.pairedInputs;
import static descent.compiler.emit.ElementwiseTestSupport.ulpBound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The other tests mostly run kernels cold, where the Vector API falls back to Java code. Once C2 compiles
 * a kernel its ops become intrinsics with their own special-value behaviour: C2's POW follows C99
 * (pow(1, NaN) = 1, Java says NaN), and max/min, ceil's int conversion and a NaN or -0.0 condition need
 * care. This test warms one small kernel of those ops until C2 has compiled it (about a second here),
 * then checks every pair of edge values against the interpreter. ElementwiseAccuracy does the same for
 * every op at length 2^20 (too slow for a unit test).
 */
class ElementwiseWarmTest {
    private static final List<BinaryFn> BINARY = List.of(BinaryFn.POW, BinaryFn.MAX, BinaryFn.MIN);
    private static final List<UnaryFn> UNARY = List.of(UnaryFn.CEIL);

    @Test
    void compiledKernelsKeepJavaSemantics() {
        assumeTrue(ElementwiseEmitter.vectorApiAvailable());
        int n = EDGES.length * EDGES.length;
        float[] a = new float[n], b = pairedInputs(a, 1);
        GraphBuilder g = new GraphBuilder();
        TensorType t = new TensorType(DType.F32, Shape.of(n));
        int x = g.input("a", t), y = g.input("b", t);
        List<Integer> outputs = new ArrayList<>();
        for (BinaryFn fn : BINARY) outputs.add(g.binary(fn, x, y));
        for (UnaryFn fn : UNARY) outputs.add(g.unary(fn, x));
        outputs.add(g.select(y, x, g.unary(UnaryFn.NEG, x)));   // select on a NaN / -0.0 condition
        List<float[]> expected = interpretAll(g.build(), Map.of("a", Tensor.of(a, n), "b", Tensor.of(b, n)), Map.of(), outputs);
        FusedExpr e = FusedExpr.from(g.build(), outputs, List.of(x, y));

        // VECTOR_DOUBLE_MATH runs the same vector ops on DoubleVector; ElementwiseAccuracy covers it warm.
        ElementwiseKernel k = compile(e, ElementwiseStyle.VECTOR);
        float[][] in = {a, b}, out = new float[outputs.size()][n];
        int[] inOff = new int[2], outOff = new int[outputs.size()];
        long start = System.nanoTime();
        boolean compiled = warm(() -> k.run(in, inOff, out, outOff, n, 0));
        String state = (compiled ? "C2-compiled" : "not compiled") + " after " + (System.nanoTime() - start) / 1_000_000 + " ms";
        for (int j = 0; j < outputs.size(); j++) {
            long bound = ulpBound(ElementwiseStyle.VECTOR, j == 0);   // output 0 is POW
            assertUlps(expected.get(j), out[j], 0, n, bound, "output " + j + " (" + state + ")", a, b);
        }
        // Correct either way, but if C2 never came (a very slow or loaded machine) say so instead of passing.
        assumeTrue(compiled, "only the interpreted path was checked: " + state);
    }

    /**
     * The backend's kernels give the same bits cold (the Vector API running as Java code) and once C2 has compiled
     * them: every transcendental op in the style the backend picks ({@link ElementwiseEmitter#styleFor}), and a
     * vector matmul whose epilogue is tanh or sigmoid. The JDK's vector math library changed 2-84 of 16,384
     * results of each op here, so a training step's numbers changed after a few hundred steps.
     */
    @Test
    void theBackendsKernelsGiveTheSameBitsColdAndCompiled() {
        assumeTrue(ElementwiseEmitter.vectorApiAvailable());
        int n = 512;   // small: cold, each call runs the Vector API as Java code, ~1,000x slower
        float[] a = ElementwiseTestSupport.inputs(5, n);
        for (int i = 0; i < n; i += 2) a[i] = (float) (new java.util.SplittableRandom(i).nextDouble(-12, 12));   // typical values too
        // One kernel per op, as the backend would compile each alone.
        List<ElementwiseKernel> kernels = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Object fn : List.of(UnaryFn.EXP, UnaryFn.LOG, UnaryFn.LOG1P, UnaryFn.TANH, UnaryFn.SIGMOID, UnaryFn.SOFTPLUS,
                UnaryFn.ELU, UnaryFn.SELU, BinaryFn.SOFTPLUS_GRAD)) {
            var b = FusedExpr.builder();
            int x = b.input(InputKind.FULL);
            FusedExpr e = b.build(fn instanceof UnaryFn u ? b.unary(u, x) : b.binary((BinaryFn) fn, x, x));
            assertEquals(ElementwiseStyle.VECTOR_DOUBLE_MATH, ElementwiseEmitter.styleFor(e));
            kernels.add(ElementwiseEmitter.compileForBackend(e, null));
            names.add(fn.toString());
        }
        float[][] cold = new float[kernels.size()][n], out = new float[kernels.size()][n];
        for (int j = 0; j < kernels.size(); j++) kernels.get(j).run(new float[][] {a}, new int[1], new float[][] {cold[j]}, new int[1], n, 0);

        int m = 8, kk = 12, cols = 40;
        float[] ma = java.util.Arrays.copyOf(a, m * kk), mb = java.util.Arrays.copyOfRange(a, n - kk * cols, n);
        for (int i = 0; i < ma.length; i++) ma[i] = Float.isFinite(ma[i]) ? Math.max(-2, Math.min(2, ma[i])) : 0.5f;
        for (int i = 0; i < mb.length; i++) mb[i] = Float.isFinite(mb[i]) ? Math.max(-2, Math.min(2, mb[i])) : -0.5f;
        List<EmittedMatmul> products = List.of(MatmulEmitter.emitVector(MatmulShape.of(m, kk, cols, false, false), new MatmulEpilogue(false, UnaryFn.TANH)),
                MatmulEmitter.emitVector(MatmulShape.of(m, kk, cols, false, false), new MatmulEpilogue(false, UnaryFn.SIGMOID)));
        float[][] coldC = new float[2][m * cols], c = new float[2][m * cols];
        for (int p = 0; p < 2; p++) products.get(p).kernel().run(ma, 0, mb, 0, coldC[p], 0, m, products.get(p).newScratch());

        // Each kernel runs until its calls are 5x faster than its first (C2 has compiled it) or for 1.5 s.
        boolean compiled = true;
        for (int j = 0; j < kernels.size(); j++) {
            int jj = j;
            compiled &= untilCompiled(() -> kernels.get(jj).run(new float[][] {a}, new int[1], new float[][] {out[jj]}, new int[1], n, 0));
        }
        for (int p = 0; p < 2; p++) {
            int pp = p;
            compiled &= untilCompiled(() -> products.get(pp).kernel().run(ma, 0, mb, 0, c[pp], 0, m, products.get(pp).newScratch()));
        }
        for (int j = 0; j < kernels.size(); j++) {
            for (int i = 0; i < n; i++) {
                // The same bits, but any NaN for a NaN: x86's vector units make the negative "default NaN" where
                // Java's scalar code makes the positive one (log1p(-inf) differs so on AVX2 once C2 has compiled the
                // kernel); Java gives a NaN's sign and payload no meaning.
                if (Float.floatToIntBits(cold[j][i]) != Float.floatToIntBits(out[j][i])) {
                    throw new AssertionError(names.get(j) + " of " + a[i] + ": " + cold[j][i] + " cold, " + out[j][i] + (compiled ? " compiled" : " later"));
                }
            }
        }
        for (int p = 0; p < 2; p++) org.junit.jupiter.api.Assertions.assertArrayEquals(coldC[p], c[p], "matmul epilogue " + p);
        assumeTrue(compiled, "some kernel did not get 5x faster within 1.5 s: C2 may not have compiled it, so its compiled path may not have been compared");
    }

    /** Calls {@code call} until the median of its last 100 calls is 5x below its first call's time, or for 1.5 s. */
    private static boolean untilCompiled(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        long first = System.nanoTime() - t0;
        long[] recent = new long[100];
        for (int i = 0; System.nanoTime() - t0 < 1_500_000_000L; i++) {
            long s = System.nanoTime();
            call.run();
            recent[i % 100] = System.nanoTime() - s;
            if (i >= 100 && i % 100 == 0 && java.util.Arrays.stream(recent).sorted().toArray()[50] * 5 < first) return true;
        }
        return false;
    }

    /**
     * Calls {@code call} until 200 calls in a row run 5× faster than the median of calls 200-400 (interpreted or
     * C1 code, which does not intrinsify the Vector API; C2 code is far faster), or for 3 s; whether that happened.
     */
    private static boolean warm(Runnable call) {
        long start = System.nanoTime(), baseline = Long.MAX_VALUE, fastInARow = 0;
        long[] early = new long[200];
        for (int i = 0; fastInARow < 200 && System.nanoTime() - start < 3_000_000_000L; i++) {
            long t0 = System.nanoTime();
            call.run();
            long dt = System.nanoTime() - t0;
            if (i >= 200 && i < 400) early[i - 200] = dt;
            if (i == 400) baseline = java.util.Arrays.stream(early).sorted().toArray()[100];
            fastInARow = i > 400 && dt * 5 < baseline ? fastInARow + 1 : 0;
        }
        return fastInARow >= 200;
    }
}
