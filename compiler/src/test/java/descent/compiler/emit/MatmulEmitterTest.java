package descent.compiler.emit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class MatmulEmitterTest {
    /** Offsets into each operand array, and guard cells around them, so stray reads or writes show. */
    private static final int A_OFF = 3, B_OFF = 5, C_OFF = 7, GUARD = 40;
    private static final float SENTINEL = -12345.5f;

    /** m×k×n; 13 and 63 are not multiples of the 8-row block; n = 5 and 9 are below one vector; 33 and 40 leave a vector tail. */
    static Stream<Arguments> shapes() {
        int[][] mkn = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 784, 128}, {128, 128, 128}, {13, 20, 40}, {11, 6, 5}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : mkn)
            for (int t = 0; t < 4; t++) out.add(Arguments.of(MatmulShape.of(s[0], s[1], s[2], (t & 2) != 0, (t & 1) != 0)));
        return out.stream();
    }

    static Stream<Arguments> transposes() {
        return Stream.of(Arguments.of(false, false), Arguments.of(false, true), Arguments.of(true, false), Arguments.of(true, true));
    }

    @Test
    void vectorApiIsAvailableUnderSurefire() {
        assertTrue(MatmulEmitter.vectorApiAvailable(), "surefire runs with --add-modules jdk.incubator.vector");
        assertTrue(MatmulEmitter.preferredVectorLength() >= 2);
    }

    @Test
    void scalarFallbackWorksWithoutTheIncubatorModule() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), NoVectorApiProbe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor());
        assertEquals("OK", out);
    }

    @Test
    void scalarClassesDoNotReferenceTheVectorApi() {
        byte[] bytes = MatmulEmitter.scalarClassFile(MatmulShape.runtimeM(4, 40, false, true));
        assertFalse(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).contains("jdk/incubator"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void vectorAndScalarKernelsMatchReferences(MatmulShape shape) {
        EmittedMatmul vector = MatmulEmitter.emitVector(shape);
        EmittedMatmul scalar = MatmulEmitter.emitScalar(shape);
        assertVerifies(vector);
        assertVerifies(scalar);
        checkAgainstReferences(vector, shape.m(), 11);
        checkAgainstReferences(scalar, shape.m(), 11);
    }

    @ParameterizedTest(name = "runtime M, transposeA={0} transposeB={1}")
    @MethodSource("transposes")
    void runtimeMKernelsHandleAnyRowCount(boolean ta, boolean tb) {
        MatmulShape shape = MatmulShape.runtimeM(33, 40, ta, tb);
        EmittedMatmul vector = MatmulEmitter.emitVector(shape);
        EmittedMatmul scalar = MatmulEmitter.emitScalar(shape);
        assertVerifies(vector);
        assertVerifies(scalar);
        for (int m : new int[] {1, 5, 63, 8, 0, 9, 37}) { // from 8 rows on, the leftover rows reuse the full tile
            checkAgainstReferences(vector, m, 100 + m);
            checkAgainstReferences(scalar, m, 100 + m);
        }
    }

    /**
     * The first calls run interpreted, later ones C1- then C2-compiled with the Vector API intrinsified;
     * results must not change across those tiers (a horizontal reduction, for one, would).
     */
    @ParameterizedTest(name = "transposeA={0} transposeB={1}")
    @MethodSource("transposes")
    void resultsDoNotChangeOnceCompiled(boolean ta, boolean tb) {
        MatmulShape shape = MatmulShape.of(13, 20, 40, ta, tb);
        EmittedMatmul mm = MatmulEmitter.emitVector(shape);
        SplittableRandom rnd = new SplittableRandom(5);
        float[] a = random(rnd, 13 * 20), b = random(rnd, 20 * 40), c = new float[13 * 40];
        float[] expected = MatmulReference.fmaChain(shape, 13, a, 0, b, 0);
        float[] scratch = mm.newScratch();
        for (int call = 0; call < 6000; call++) { // enough calls and loop iterations for C2 (tier 4) to compile the tiles
            mm.kernel().run(a, 0, b, 0, c, 0, 13, scratch);
            if (call % 500 == 0 || call == 5999) assertArrayEquals(expected, c, "call " + call);
        }
    }

    /**
     * A weight gradient's kernel with k (the batch) as an argument gives the bits of the kernel specialised to
     * that k, vector and scalar, for several k with one kernel, at offsets; and it rejects operands too short
     * for the k it is given.
     */
    @Test
    void runtimeKKernelsMatchTheStaticOnes() {
        // 256 rows × 37 columns: the vector kernel packs B from the k where B reaches MatmulTuning.packBytes (3,543 with
        // 512-bit vectors: 512 KiB), in place below.
        int from = (int) ((MatmulTuning.packBytes(256, MatmulEmitter.preferredLength()) + 4 * 37 - 1) / (4 * 37));
        for (int[] mn : new int[][] {{19, 37}, {8, 32}, {784, 16}, {3, 5}, {256, 37}}) {
            int m = mn[0], n = mn[1];
            MatmulShape runtime = new MatmulShape(m, MatmulShape.RUNTIME_K, n, true, false, descent.runtime.DType.F32);
            for (boolean vector : new boolean[] {true, false}) {
                if (vector && !MatmulEmitter.vectorApiAvailable()) continue;
                EmittedMatmul rk = vector ? MatmulEmitter.emitVector(runtime) : MatmulEmitter.emitScalar(runtime);
                assertVerifies(rk);
                int[] ks = m == 256 ? new int[] {from - 1, from, from + 57} : new int[] {1, 7, 64, 129};
                if (m == 256 && vector) {
                    assertEquals(from, VectorMatmulWriter.packFromK(runtime));
                    assertEquals(0, rk.scratchFloats(0));
                    assertTrue(rk.scratchFloats(from) >= from * 2 * rk.vectorLength(), "a k x W panel (W: two vectors)");
                    // Packing needs the panel: a call without it fails before writing C.
                    float[] a = new float[from * m], b = new float[from * n];
                    assertThrows(IndexOutOfBoundsException.class, () -> rk.kernel().run(a, 0, b, 0, new float[m * n], 0, from, new float[10]));
                }
                for (int k : ks) {
                    MatmulShape fixed = MatmulShape.of(m, k, n, true, false);
                    EmittedMatmul sk = vector ? MatmulEmitter.emitVector(fixed, new MatmulTuning(8, 2, MatmulTuning.NEVER))
                            : MatmulEmitter.emitScalar(fixed);
                    SplittableRandom rnd = new SplittableRandom(k * 31L + m);
                    float[] a = random(rnd, 3 + k * m), b = random(rnd, 2 + k * n), c1 = new float[1 + m * n], c2 = new float[1 + m * n];
                    sk.kernel().run(a, 3, b, 2, c1, 1, m, sk.newScratch());
                    rk.kernel().run(a, 3, b, 2, c2, 1, k, rk.newScratch(k));
                    assertArrayEquals(c1, c2, (vector ? "vector " : "scalar ") + m + "x" + k + "x" + n);
                    assertArrayEquals(MatmulReference.fmaChain(fixed, m, java.util.Arrays.copyOfRange(a, 3, a.length), 0,
                            java.util.Arrays.copyOfRange(b, 2, b.length), 0), java.util.Arrays.copyOfRange(c2, 1, c2.length));
                }
                float[] small = new float[10];
                assertThrows(IndexOutOfBoundsException.class, () -> rk.kernel().run(small, 0, small, 0, new float[m * n], 0, 5, null));
            }
        }
    }

    /**
     * A kernel with n (the batch as C's columns) as an argument gives the bits of the kernel specialised to that n,
     * vector and scalar, every transpose, with and without a bias and activation epilogue, for n below one block's
     * width, at whole blocks and between them, and across the packing threshold (m = 64, k = 2048: a row-major B
     * is packed from n = 256); it writes nothing outside C and rejects operands too short for the n it is given.
     */
    @Test
    void runtimeNKernelsMatchTheStaticOnes() {
        for (int[] mk : new int[][] {{19, 37}, {8, 5}, {64, 2048}, {3, 1}}) {
            int m = mk[0], k = mk[1];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                MatmulShape runtime = new MatmulShape(m, k, MatmulShape.RUNTIME_N, ta, tb, descent.runtime.DType.F32);
                // m = 64, k = 2048: a row-major B packs from the n where it reaches MatmulTuning.packBytes (256 with
                // 512-bit vectors: 2 MiB).
                int from = (int) ((MatmulTuning.packBytes(64, MatmulEmitter.preferredLength()) + 4 * 2048 - 1) / (4 * 2048));
                int[] ns = m == 64 ? new int[] {from - 1, from, from + 44} : new int[] {1, 5, 16, 17, 31, 32, 33, 37, 64, 100};
                if (m == 64 && !tb && MatmulEmitter.vectorApiAvailable()) assertEquals(from, VectorMatmulWriter.packFromN(runtime));
                for (MatmulEpilogue epi : List.of(MatmulEpilogue.NONE, new MatmulEpilogue(true, descent.compiler.ir.UnaryFn.TANH))) {
                    if (m == 64 && !epi.isNone()) continue;
                    for (boolean vector : new boolean[] {true, false}) {
                        if (vector && !MatmulEmitter.vectorApiAvailable()) continue;
                        EmittedMatmul rn = vector ? MatmulEmitter.emitVector(runtime, epi) : MatmulEmitter.emitScalar(runtime, epi);
                        assertVerifies(rn);
                        float[] scratch = rn.newScratch();
                        for (int n : ns) {
                            MatmulShape fixed = MatmulShape.of(m, k, n, ta, tb);
                            EmittedMatmul sk = vector ? MatmulEmitter.emitVector(fixed, epi) : MatmulEmitter.emitScalar(fixed, epi);
                            SplittableRandom rnd = new SplittableRandom(n * 31L + m + t);
                            float[] a = random(rnd, 3 + k * m), b = random(rnd, 2 + k * n), bias = random(rnd, 4 + n);
                            float[] c1 = new float[1 + m * n + 1], c2 = new float[1 + m * n + 1];
                            Arrays.fill(c2, SENTINEL);
                            sk.kernel().run(a, 3, b, 2, c1, 1, m, sk.newScratch(), bias, 4);
                            rn.kernel().run(a, 3, b, 2, c2, 1, n, scratch, bias, 4);
                            String what = (vector ? "vector " : "scalar ") + fixed.tag() + epi.tag();
                            assertEquals(SENTINEL, c2[0], what);
                            assertEquals(SENTINEL, c2[1 + m * n], what);
                            assertArrayEquals(Arrays.copyOfRange(c1, 1, 1 + m * n), Arrays.copyOfRange(c2, 1, 1 + m * n), what);
                            if (epi.isNone()) {
                                assertArrayEquals(MatmulReference.fmaChain(fixed, m, Arrays.copyOfRange(a, 3, a.length), 0,
                                        Arrays.copyOfRange(b, 2, b.length), 0), Arrays.copyOfRange(c2, 1, 1 + m * n), what);
                            }
                            float[] shortB = new float[2 + k * n - 1];
                            assertThrows(IndexOutOfBoundsException.class, () -> rn.kernel().run(a, 3, shortB, 2, c2, 1, n, scratch, bias, 4), what);
                        }
                        assertThrows(IndexOutOfBoundsException.class, () -> rn.kernel().run(new float[m * k], 0, new float[k], 0, new float[m], 0, -1, scratch, new float[8], 0));
                        // n = 0 (an empty batch): nothing to write, nothing read past the operands, no scratch needed.
                        float[] none = {SENTINEL};
                        rn.kernel().run(new float[m * k], 0, new float[0], 0, none, 0, 0, null, new float[0], 0);
                        assertEquals(SENTINEL, none[0]);
                        // So for a runtime m of 0.
                        MatmulShape runtimeM = MatmulShape.runtimeM(k, 37, ta, tb);
                        EmittedMatmul rm = vector ? MatmulEmitter.emitVector(runtimeM) : MatmulEmitter.emitScalar(runtimeM);
                        rm.kernel().run(new float[0], 0, new float[37 * k], 0, none, 1, 0, null);
                        assertEquals(SENTINEL, none[0]);
                    }
                }
            }
        }
    }

    /**
     * A product contracted over the batch with a row-major A or a transposed B (k an argument; A stored m×k, B n×k)
     * gives the bits of the kernel specialised to that k, vector and scalar, including k below one vector and not a
     * multiple of it; a call with a scratch too small for its panels (a transposed B, a row-major A) fails before
     * writing C.
     */
    @Test
    void runtimeKKernelsOfEveryLayoutMatchTheStaticOnes() {
        for (int[] mn : new int[][] {{19, 37}, {8, 32}, {64, 10}, {3, 5}}) {
            int m = mn[0], n = mn[1];
            for (boolean[] t : new boolean[][] {{false, true}, {true, true}, {false, false}}) {
                boolean ta = t[0], tb = t[1];
                MatmulShape runtime = new MatmulShape(m, MatmulShape.RUNTIME_K, n, ta, tb, descent.runtime.DType.F32);
                for (boolean vector : new boolean[] {true, false}) {
                    if (vector && !MatmulEmitter.vectorApiAvailable()) continue;
                    EmittedMatmul rk = vector ? MatmulEmitter.emitVector(runtime) : MatmulEmitter.emitScalar(runtime);
                    assertVerifies(rk);
                    // k = 0 (an empty batch): C is the sum of nothing, +0 everywhere.
                    float[] zeros = new float[m * n];
                    Arrays.fill(zeros, SENTINEL);
                    rk.kernel().run(new float[0], 0, new float[0], 0, zeros, 0, 0, rk.newScratch(0));
                    assertArrayEquals(new float[m * n], zeros);
                    for (int k : new int[] {1, 7, 16, 64, 129}) {
                        MatmulShape fixed = MatmulShape.of(m, k, n, ta, tb);
                        EmittedMatmul sk = vector ? MatmulEmitter.emitVector(fixed) : MatmulEmitter.emitScalar(fixed);
                        SplittableRandom rnd = new SplittableRandom(k * 17L + m + (ta ? 1 : 0));
                        float[] a = random(rnd, 3 + k * m), b = random(rnd, 2 + k * n), c1 = new float[1 + m * n], c2 = new float[1 + m * n];
                        sk.kernel().run(a, 3, b, 2, c1, 1, m, sk.newScratch());
                        rk.kernel().run(a, 3, b, 2, c2, 1, k, rk.newScratch(k));
                        String what = (vector ? "vector " : "scalar ") + fixed.tag();
                        assertArrayEquals(c1, c2, what);
                        assertArrayEquals(MatmulReference.fmaChain(fixed, m, Arrays.copyOfRange(a, 3, a.length), 0,
                                Arrays.copyOfRange(b, 2, b.length), 0), Arrays.copyOfRange(c2, 1, c2.length), what);
                        if (vector && (tb || !ta) && k > 1) {   // a panel of B or of A, growing with k
                            float[] c3 = new float[1 + m * n];
                            assertThrows(IndexOutOfBoundsException.class, () -> rk.kernel().run(a, 3, b, 2, c3, 1, k, rk.newScratch(k - 1)), what);
                            assertArrayEquals(new float[c3.length], c3, what + ": wrote C before failing");
                        }
                    }
                }
            }
        }
    }

    /**
     * Two or three dimensions the runtime argument at once (H·Hᵀ is batch × batch): the bits of the kernel specialised
     * to that batch, vector and scalar, every transpose, with a bias and tanh epilogue, from an empty batch up.
     */
    @Test
    void kernelsWithSeveralRuntimeDimensionsMatchTheStaticOnes() {
        int[][] combos = {{1, 0, 1}, {1, 1, 0}, {0, 1, 1}, {1, 1, 1}};   // which of m, k, n is the batch
        for (int[] rt : combos) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                int m0 = 19, k0 = 23, n0 = 37;
                MatmulShape runtime = new MatmulShape(rt[0] == 1 ? MatmulShape.RUNTIME_M : m0, rt[1] == 1 ? MatmulShape.RUNTIME_K : k0,
                        rt[2] == 1 ? MatmulShape.RUNTIME_N : n0, ta, tb, descent.runtime.DType.F32);
                for (MatmulEpilogue epi : List.of(MatmulEpilogue.NONE, new MatmulEpilogue(true, descent.compiler.ir.UnaryFn.TANH))) {
                    for (boolean vector : new boolean[] {true, false}) {
                        if (vector && !MatmulEmitter.vectorApiAvailable()) continue;
                        EmittedMatmul e = vector ? MatmulEmitter.emitVector(runtime, epi) : MatmulEmitter.emitScalar(runtime, epi);
                        assertVerifies(e);
                        for (int b : new int[] {0, 1, 17, 40}) {   // empty; narrow blocks of 1 and 2 vectors; a block and an overlapping one
                            int m = rt[0] == 1 ? b : m0, k = rt[1] == 1 ? b : k0, n = rt[2] == 1 ? b : n0;
                            SplittableRandom rnd = new SplittableRandom(b * 13L + t);
                            float[] a = random(rnd, 3 + m * k), bm = random(rnd, 2 + k * n), bias = random(rnd, 1 + n);
                            float[] got = new float[1 + m * n + 1];
                            Arrays.fill(got, SENTINEL);
                            e.kernel().run(a, 3, bm, 2, got, 1, b, e.scratchFloats(b) > 0 ? new float[e.scratchFloats(b)] : null, bias, 1);
                            String what = (vector ? "vector " : "scalar ") + runtime.tag() + epi.tag() + " at " + b;
                            assertEquals(SENTINEL, got[0], what);
                            assertEquals(SENTINEL, got[1 + m * n], what);
                            if (m == 0 || n == 0) continue;
                            float[] want = new float[m * n];
                            if (k > 0) {
                                MatmulShape fixed = MatmulShape.of(m, k, n, ta, tb);
                                EmittedMatmul sk = vector ? MatmulEmitter.emitVector(fixed, epi) : MatmulEmitter.emitScalar(fixed, epi);
                                sk.kernel().run(a, 3, bm, 2, want, 0, m, sk.newScratch(), bias, 1);
                            } else {
                                // The sum of nothing is +0, then the epilogue: the runtime-K kernel at k = 0 (checked above).
                                MatmulShape zeroK = new MatmulShape(m, MatmulShape.RUNTIME_K, n, ta, tb, descent.runtime.DType.F32);
                                EmittedMatmul zk = vector ? MatmulEmitter.emitVector(zeroK, epi) : MatmulEmitter.emitScalar(zeroK, epi);
                                zk.kernel().run(a, 3, bm, 2, want, 0, 0, null, bias, 1);
                            }
                            assertArrayEquals(want, Arrays.copyOfRange(got, 1, 1 + m * n), what);
                        }
                    }
                }
            }
        }
    }

    /**
     * A kernel over a column block of wider matrices (B's rows ldb apart, C's ldc apart) writes exactly that block
     * of C, with the bits the dense kernel gives there — vector (packing B or not) and scalar, static, runtime-M and
     * runtime-K shapes, with a bias epilogue — and leaves every other column of C alone.
     */
    @Test
    void stridedKernelsComputeAColumnBlockInPlace() {
        int big = 61, k = 23;
        for (boolean ta : new boolean[] {false, true})
            for (MatmulEpilogue epi : List.of(MatmulEpilogue.NONE, new MatmulEpilogue(true, null)))
                for (int[] block : new int[][] {{0, 32}, {32, 29}, {16, 37}, {5, 3}}) {
                    int c0 = block[0], w = block[1], m = 19;
                    SplittableRandom rnd = new SplittableRandom(c0 * 7L + w);
                    float[] a = random(rnd, 3 + m * k), b = random(rnd, 2 + k * big), bias = random(rnd, 1 + big);
                    MatmulShape dense = MatmulShape.of(m, k, big, ta, false);
                    float[] whole = new float[m * big];
                    MatmulEmitter.emitScalar(dense, epi).kernel().run(a, 3, b, 2, whole, 0, m, null, bias, 1);
                    List<MatmulShape> shapes = new java.util.ArrayList<>(List.of(MatmulShape.of(m, k, w, ta, false).withStrides(ta ? m : k, big, big),
                            MatmulShape.runtimeM(k, w, ta, false).withStrides(ta ? MatmulShape.RUNTIME_M : k, big, big)));
                    if (ta) shapes.add(new MatmulShape(m, MatmulShape.RUNTIME_K, w, true, false, descent.runtime.DType.F32).withStrides(m, big, big));
                    for (MatmulShape shape : shapes) {
                        List<EmittedMatmul> kernels = new java.util.ArrayList<>(List.of(MatmulEmitter.emitScalar(shape, epi)));
                        if (MatmulEmitter.vectorApiAvailable()) {
                            kernels.add(MatmulEmitter.emitVector(shape, epi, new MatmulTuning(8, 2, MatmulTuning.NEVER)));
                            if (!shape.hasRuntimeK()) kernels.add(MatmulEmitter.emitVector(shape, epi, new MatmulTuning(4, 3, MatmulTuning.ALWAYS)));
                        }
                        for (EmittedMatmul mm : kernels) {
                            assertVerifies(mm);
                            float[] c = new float[5 + m * big];
                            Arrays.fill(c, SENTINEL);
                            mm.kernel().run(a, 3, b, 2 + c0, c, 5 + c0, shape.hasRuntimeK() ? k : m, shape.hasRuntimeK() ? mm.newScratch(k) : mm.newScratch(), bias, 1 + c0);
                            String what = mm.kernelClass().getSimpleName() + " block " + c0 + "+" + w;
                            for (int i = 0; i < 5; i++) assertEquals(SENTINEL, c[i], what);
                            for (int r = 0; r < m; r++)
                                for (int j = 0; j < big; j++) {
                                    float want = j >= c0 && j < c0 + w ? whole[r * big + j] : SENTINEL;
                                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(c[5 + r * big + j]), what + " at " + r + "," + j);
                                }
                            // The last row of C ends at column c0 + w: an array that ends there is long enough, one float less is not.
                            float[] tight = new float[5 + c0 + (m - 1) * big + w];
                            mm.kernel().run(a, 3, b, 2 + c0, tight, 5 + c0, shape.hasRuntimeK() ? k : m, shape.hasRuntimeK() ? mm.newScratch(k) : mm.newScratch(), bias, 1 + c0);
                            float[] short1 = new float[tight.length - 1];
                            assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 3, b, 2 + c0, short1, 5 + c0,
                                    shape.hasRuntimeK() ? k : m, shape.hasRuntimeK() ? mm.newScratch(k) : mm.newScratch(), bias, 1 + c0), what);
                        }
                    }
                }
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(4, 3, 8, false, false).withStrides(3, 7, 8));
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(4, 3, 8, false, true).withStrides(3, 4, 8));
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(4, 3, 8, false, false).withStrides(2, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.of(4, 3, 8, true, false).withStrides(3, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.runtimeM(3, 8, true, false).withStrides(5, 8, 8));
    }

    /**
     * A kernel over a column block of A (rows lda apart) and the matching row block of B — one part of a product
     * split along k — gives the bits of the dense kernel run on copies of those blocks, vector and scalar, static
     * and runtime M; and it rejects an A one float too short for its last row.
     */
    @Test
    void kernelsReadAColumnBlockOfAInPlace() {
        int m = 21, bigK = 50, n = 37;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] a = random(rnd, 2 + m * bigK), b = random(rnd, bigK * n);
        for (int[] chunk : new int[][] {{0, 24}, {24, 26}, {7, 1}}) {
            int k0 = chunk[0], k = chunk[1];
            float[] aBlock = new float[m * k], bBlock = java.util.Arrays.copyOfRange(b, k0 * n, (k0 + k) * n);
            for (int i = 0; i < m; i++) System.arraycopy(a, 2 + i * bigK + k0, aBlock, i * k, k);
            float[] want = new float[m * n];
            MatmulEmitter.emitScalar(MatmulShape.of(m, k, n, false, false)).kernel().run(aBlock, 0, bBlock, 0, want, 0, m, null);
            for (MatmulShape shape : List.of(MatmulShape.of(m, k, n, false, false).withStrides(bigK, n, n),
                    MatmulShape.runtimeM(k, n, false, false).withStrides(bigK, n, n))) {
                List<EmittedMatmul> kernels = new ArrayList<>(List.of(MatmulEmitter.emitScalar(shape)));
                if (MatmulEmitter.vectorApiAvailable()) {
                    kernels.add(MatmulEmitter.emitVector(shape, new MatmulTuning(8, 2, MatmulTuning.NEVER)));
                    kernels.add(MatmulEmitter.emitVector(shape, new MatmulTuning(4, 3, MatmulTuning.ALWAYS)));
                }
                for (EmittedMatmul mm : kernels) {
                    assertVerifies(mm);
                    float[] c = new float[m * n];
                    mm.kernel().run(a, 2 + k0, b, k0 * n, c, 0, m, mm.newScratch());
                    assertArrayEquals(want, c, mm.kernelClass().getSimpleName() + " k0=" + k0);
                    float[] tight = java.util.Arrays.copyOf(a, 2 + k0 + (m - 1) * bigK + k);
                    mm.kernel().run(tight, 2 + k0, b, k0 * n, c, 0, m, mm.newScratch());
                    float[] short1 = java.util.Arrays.copyOf(tight, tight.length - 1);
                    assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(short1, 2 + k0, b, k0 * n, c, 0, m, mm.newScratch()));
                }
            }
        }
    }

    /**
     * A weight gradient's row block, Aᵀ·B for rows r0 … r0+mb of C with A stored k×M (rows lda = M apart), read in
     * place: the bits of those rows of the whole product, static and runtime k, vector and scalar; an A one float
     * too short for the block's last row is rejected.
     */
    @Test
    void aTransposedAIsReadInPlaceForARowBlockOfC() {
        int bigM = 45, k = 29, n = 37;
        SplittableRandom rnd = new SplittableRandom(12);
        float[] a = random(rnd, 3 + k * bigM), b = random(rnd, k * n), whole = new float[bigM * n];
        MatmulEmitter.emitScalar(MatmulShape.of(bigM, k, n, true, false)).kernel().run(a, 3, b, 0, whole, 0, bigM, null);
        for (int[] block : new int[][] {{0, 24}, {24, 21}, {5, 1}}) {
            int r0 = block[0], mb = block[1];
            for (MatmulShape shape : List.of(MatmulShape.of(mb, k, n, true, false).withStrides(bigM, n, n),
                    new MatmulShape(mb, MatmulShape.RUNTIME_K, n, true, false, descent.runtime.DType.F32).withStrides(bigM, n, n))) {
                List<EmittedMatmul> kernels = new ArrayList<>(List.of(MatmulEmitter.emitScalar(shape)));
                if (MatmulEmitter.vectorApiAvailable()) kernels.add(MatmulEmitter.emitVector(shape, new MatmulTuning(8, 2, MatmulTuning.NEVER)));
                for (EmittedMatmul mm : kernels) {
                    assertVerifies(mm);
                    float[] c = new float[mb * n];
                    int dim = shape.hasRuntimeK() ? k : mb;
                    mm.kernel().run(a, 3 + r0, b, 0, c, 0, dim, mm.newScratch());
                    assertArrayEquals(Arrays.copyOfRange(whole, r0 * n, (r0 + mb) * n), c, mm.kernelClass().getSimpleName() + " r0=" + r0);
                    float[] tight = Arrays.copyOf(a, 3 + r0 + (k - 1) * bigM + mb);
                    mm.kernel().run(tight, 3 + r0, b, 0, c, 0, dim, mm.newScratch());
                    float[] short1 = Arrays.copyOf(tight, tight.length - 1);
                    assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(short1, 3 + r0, b, 0, c, 0, dim, mm.newScratch()));
                    if (shape.hasRuntimeK()) assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 3 + r0, b, 0, c, 0, -1, mm.newScratch(1)));
                }
            }
        }
    }

    @Test
    void otherTilingsAndPackingChoicesAreCorrectToo() {
        List<MatmulTuning> tunings = List.of(new MatmulTuning(8, 2, MatmulTuning.ALWAYS), new MatmulTuning(4, 3, MatmulTuning.ALWAYS),
                new MatmulTuning(6, 4, MatmulTuning.NEVER), new MatmulTuning(1, 1, MatmulTuning.NEVER), new MatmulTuning(8, 2, 12));
        for (MatmulTuning tuning : tunings)
            for (MatmulShape shape : List.of(MatmulShape.of(19, 21, 37, false, false), MatmulShape.of(11, 21, 37, true, false),
                    MatmulShape.of(19, 21, 37, true, true), MatmulShape.runtimeM(21, 37, true, false))) {
                EmittedMatmul mm = MatmulEmitter.emitVector(shape, tuning);
                assertVerifies(mm);
                if (!shape.hasRuntimeM()) checkAgainstReferences(mm, shape.m(), 7);
                else for (int m : new int[] {10, 13}) checkAgainstReferences(mm, m, 7); // each side of the packing threshold 12
            }
    }

    @Test
    void staticKernelRejectsOtherRowCounts() {
        EmittedMatmul mm = MatmulEmitter.emitVector(MatmulShape.of(4, 3, 2, false, false));
        float[] a = new float[12], b = new float[6], c = new float[8];
        assertThrows(IllegalArgumentException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, 5, mm.newScratch()));
    }

    @Test
    void outOfRangeOperandsFailBeforeWritingC() {
        for (EmittedMatmul mm : List.of(MatmulEmitter.emitVector(MatmulShape.runtimeM(3, 20, false, true)),
                MatmulEmitter.emitScalar(MatmulShape.runtimeM(3, 20, false, true)))) {
            float[] a = new float[30], b = new float[60], c = new float[200];
            Arrays.fill(c, SENTINEL);
            float[] scratch = mm.newScratch();
            assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 1, b, 0, c, 0, 10, scratch)); // a short by one
            assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, 11, scratch)); // c fits, a does not
            assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, -1, scratch));
            assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, Integer.MAX_VALUE, scratch));
            for (float v : c) assertEquals(SENTINEL, v);
        }
    }

    @Test
    void scratchTooSmallIsRejected() {
        EmittedMatmul mm = MatmulEmitter.emitVector(MatmulShape.of(2, 3, 4, false, true));
        assertTrue(mm.scratchFloats() > 0);
        float[] a = new float[6], b = new float[12], c = new float[8];
        assertThrows(IndexOutOfBoundsException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, 2, new float[mm.scratchFloats() - 1]));
        assertThrows(NullPointerException.class, () -> mm.kernel().run(a, 0, b, 0, c, 0, 2, null));
    }

    @Test
    void methodHandleAndDescriptorMatchTheDocumentedSignature() throws Throwable {
        EmittedMatmul mm = MatmulEmitter.emitVector(MatmulShape.runtimeM(4, 3, false, true));
        assertEquals("([FI[FI[FII[F)V", mm.methodDescriptor());
        EmittedMatmul plain = MatmulEmitter.emitVector(MatmulShape.of(2, 4, 3, false, false));
        assertEquals(0, plain.scratchFloats(), "a small row-major B is read in place");
        assertEquals(0, MatmulEmitter.emitVector(MatmulShape.runtimeM(4, 3, true, false)).scratchFloats());
        assertEquals("([FI[FI[FI)V", plain.methodDescriptor());
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8}, b = new float[12], c = new float[6];
        for (int i = 0; i < 3; i++) b[i * 3 + i] = 1; // B = [I3; 0]: C = A[:, 0..3]
        plain.matmul().invokeExact(a, 0, b, 0, c, 0);
        assertArrayEquals(new float[] {1, 2, 3, 5, 6, 7}, c);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void assertVerifies(EmittedMatmul mm) {
        StringWriter out = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(mm.classFile()), MatmulEmitterTest.class.getClassLoader(), false, new PrintWriter(out));
        assertEquals("", out.toString(), () -> "CheckClassAdapter on " + mm.kernelClass().getName());
    }

    /**
     * Runs the kernel twice on random operands at non-zero offsets and checks: C bitwise equal to the
     * fma chain and across runs; within 1e-5·k·Σ|a·b| of the double-accumulated product and of the
     * naive float loop; guard cells around C untouched.
     */
    private static void checkAgainstReferences(EmittedMatmul mm, int m, long seed) {
        MatmulShape s = mm.shape();
        int k = s.k(), n = s.n();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = random(rnd, A_OFF + m * k + GUARD), b = random(rnd, B_OFF + k * n + GUARD);
        float[] c = new float[C_OFF + m * n + GUARD];
        float[] scratch = mm.newScratch();
        if (scratch != null) Arrays.fill(scratch, Float.NaN); // its incoming contents must not matter

        String what = mm.kernelClass().getSimpleName() + " m=" + m;
        float[] first = null;
        for (int run = 0; run < 2; run++) {
            Arrays.fill(c, SENTINEL);
            Arrays.fill(c, C_OFF, C_OFF + m * n, Float.NaN); // C is overwritten, never accumulated into
            mm.kernel().run(a, A_OFF, b, B_OFF, c, C_OFF, m, scratch);
            for (int i = 0; i < C_OFF; i++) assertEquals(SENTINEL, c[i], what + " wrote before C");
            for (int i = C_OFF + m * n; i < c.length; i++) assertEquals(SENTINEL, c[i], what + " wrote after C");
            float[] got = Arrays.copyOfRange(c, C_OFF, C_OFF + m * n);
            if (first == null) first = got;
            else assertArrayEquals(first, got, what + ": repeated call differs"); // assertArrayEquals(float[]) compares bits via Float.equals
        }

        assertArrayEquals(MatmulReference.fmaChain(s, m, a, A_OFF, b, B_OFF), first, what + ": not the documented fma order");
        double[] exact = MatmulReference.exact(s, m, a, A_OFF, b, B_OFF);
        double[] scale = MatmulReference.magnitude(s, m, a, A_OFF, b, B_OFF);
        float[] naive = MatmulReference.naiveFloat(s, m, a, A_OFF, b, B_OFF);
        for (int i = 0; i < m * n; i++) {
            double tol = 1e-5 * k * Math.max(scale[i], Float.MIN_NORMAL);
            assertEquals(exact[i], first[i], tol, what + " vs double reference at " + i);
            assertEquals(naive[i], first[i], tol, what + " vs naive float loop at " + i);
        }
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }
}
