package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Softmax, log-softmax, softmax cross entropy and sparse softmax cross entropy (i32 and i64 labels)
 * against the reference interpreter on the same IR: bitwise equal (0 ulps), NaN and infinities
 * included, for class counts around the vector length, rows 1, 3 and 17 (and rank-3 logits), scalar and
 * vector variants, offsets with sentinels, in place, and out-of-range labels.
 */
class SoftmaxEmitterTest {
    private static final int PAD = 4;
    private static final float SENTINEL = -1234.5f;
    private static final int[] CLASSES = {1, 2, 15, 16, 17, 100, 1000};
    private static final int[] ROWS = {1, 3, 17};

    static List<Integer> variants() { return ReduceEmitterTest.variants(); }

    static Object compile(SoftmaxOp op, int classes, int vl) {
        byte[] bytes = SoftmaxEmitter.classFile(op, classes, vl);
        ReduceEmitterTest.verify(bytes);
        return SoftmaxEmitter.load(bytes);
    }

    /** Logits with a few rows of edge values: NaN, ±inf, huge, tiny, all equal. */
    static float[] logits(long seed, int rows, int c) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * c];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-20, 20);
        float[][] specials = {{Float.NaN}, {Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY}, {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY},
                {3e38f, -3e38f}, {1e-40f}, {-0f, 0f}};
        if (rows >= 3) {
            for (int row = 1; row < rows; row += 2) {
                float[] sp = specials[(row / 2 + (int) seed) % specials.length];
                for (int k = 0; k < sp.length && k < c; k++) x[row * c + r.nextInt(c)] = sp[k];
            }
            Arrays.fill(x, (rows - 1) * c, rows * c, 5f);   // all equal
        }
        return x;
    }

    static float[] pad(float[] a) {
        float[] p = new float[a.length + 2 * PAD];
        Arrays.fill(p, SENTINEL);
        System.arraycopy(a, 0, p, PAD, a.length);
        return p;
    }

    static float[] unpad(float[] p, int n) {
        for (int i = 0; i < PAD; i++) {
            assertEquals(SENTINEL, p[i], "written before the output");
            assertEquals(SENTINEL, p[PAD + n + i], "written after the output");
        }
        return Arrays.copyOfRange(p, PAD, PAD + n);
    }

    static TensorType f32(int... dims) { return new TensorType(DType.F32, Shape.of(Arrays.stream(dims).asLongStream().toArray())); }

    static float[] interpret(GraphBuilder g, Map<String, Tensor> feeds, int fetch) {
        return new Interpreter(g.build(), Precision.F32).run(feeds, Map.of(), List.of(fetch)).get(fetch).floats();
    }

    @Test
    void softmaxAndLogSoftmaxAreBitwiseTheInterpreters() {
        long seed = 0;
        for (int c : CLASSES) {
            for (boolean log : new boolean[] {false, true}) {
                for (int vl : variants()) {
                    SoftmaxKernel k = (SoftmaxKernel) compile(log ? SoftmaxOp.LOG_SOFTMAX : SoftmaxOp.SOFTMAX, c, vl);
                    for (int rows : ROWS) {
                        int[] dims = rows == 3 && c <= 100 ? new int[] {1, 3, c} : new int[] {rows, c};   // rank 3 too
                        float[] x = logits(++seed, rows, c);
                        GraphBuilder g = new GraphBuilder();
                        int in = g.input("x", f32(dims));
                        int y = log ? g.logSoftmax(in) : g.softmax(in);
                        float[] want = interpret(g, Map.of("x", Tensor.of(x, dims)), y);
                        String what = (log ? "log_softmax" : "softmax") + " c=" + c + " rows=" + rows + " vl=" + vl;
                        float[] out = pad(new float[x.length]);
                        k.run(pad(x), PAD, out, PAD, rows);
                        float[] got = unpad(out, x.length);
                        assertArrayEquals(ReduceEmitterTest.bits(want), ReduceEmitterTest.bits(got), what);
                        float[] inPlace = pad(x);
                        k.run(inPlace, PAD, inPlace, PAD, rows);
                        assertArrayEquals(ReduceEmitterTest.bits(want), ReduceEmitterTest.bits(unpad(inPlace, x.length)), what + " in place");
                    }
                }
            }
        }
    }

    @Test
    void softmaxXentIsBitwiseTheInterpreters() {
        long seed = 100;
        for (int c : CLASSES) {
            for (int vl : variants()) {
                SoftmaxXentKernel k = (SoftmaxXentKernel) compile(SoftmaxOp.XENT, c, vl);
                for (int rows : ROWS) {
                    float[] x = logits(++seed, rows, c);
                    SplittableRandom r = new SplittableRandom(seed);
                    float[] labels = new float[rows * c];
                    for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(3) == 0 ? 0f : (float) r.nextDouble();
                    GraphBuilder g = new GraphBuilder();
                    int y = g.softmaxXent(g.input("labels", f32(rows, c)), g.input("logits", f32(rows, c)));
                    float[] want = interpret(g, Map.of("labels", Tensor.of(labels, rows, c), "logits", Tensor.of(x, rows, c)), y);
                    float[] loss = pad(new float[rows]);
                    k.run(pad(labels), PAD, pad(x), PAD, loss, PAD, rows);
                    assertArrayEquals(ReduceEmitterTest.bits(want), ReduceEmitterTest.bits(unpad(loss, rows)), "xent c=" + c + " rows=" + rows + " vl=" + vl);
                }
            }
        }
    }

    @Test
    void sparseSoftmaxXentIsBitwiseTheInterpreters() {
        long seed = 200;
        for (int c : CLASSES) {
            for (boolean i64 : new boolean[] {false, true}) {
                for (int vl : variants()) {
                    SoftmaxSparseXentKernel k = (SoftmaxSparseXentKernel) compile(i64 ? SoftmaxOp.SPARSE_XENT_I64 : SoftmaxOp.SPARSE_XENT_I32, c, vl);
                    for (int rows : ROWS) {
                        float[] x = logits(++seed, rows, c);
                        SplittableRandom r = new SplittableRandom(seed);
                        int[] ids = r.ints(rows, 0, c).toArray();
                        long[] longIds = Arrays.stream(ids).asLongStream().toArray();
                        GraphBuilder g = new GraphBuilder();
                        int y = g.sparseSoftmaxXent(g.input("labels", new TensorType(i64 ? DType.I64 : DType.I32, Shape.of(rows))),
                                g.input("logits", f32(rows, c)));
                        Tensor lt = i64 ? Tensor.of(longIds, rows) : Tensor.of(ids, rows);
                        float[] want = interpret(g, Map.of("labels", lt, "logits", Tensor.of(x, rows, c)), y);
                        Object labels = i64 ? padLongs(longIds) : padInts(ids);
                        float[] loss = pad(new float[rows]);
                        k.run(labels, PAD, pad(x), PAD, loss, PAD, rows);
                        assertArrayEquals(ReduceEmitterTest.bits(want), ReduceEmitterTest.bits(unpad(loss, rows)),
                                "sparse xent c=" + c + " rows=" + rows + (i64 ? " i64" : " i32") + " vl=" + vl);
                    }
                }
            }
        }
    }

    static int[] padInts(int[] a) {
        int[] p = new int[a.length + 2 * PAD];
        Arrays.fill(p, Integer.MIN_VALUE);
        System.arraycopy(a, 0, p, PAD, a.length);
        return p;
    }

    static long[] padLongs(long[] a) {
        long[] p = new long[a.length + 2 * PAD];
        Arrays.fill(p, Long.MIN_VALUE);
        System.arraycopy(a, 0, p, PAD, a.length);
        return p;
    }

    /**
     * The sparse cross entropy that also writes its softmax gives the loss of the plain kernel and the softmax of the
     * softmax kernel, bit for bit (edge values included), for class counts whose exps are kept in locals and past
     * that; a bad label throws before either output is written.
     */
    @Test
    void sparseXentWithSoftmaxGivesBothKernelsBits() {
        for (int c : new int[] {1, 2, 15, 16, 17, 100}) {
            for (boolean lng : new boolean[] {false, true}) {
                int rows = 17;
                float[] x = logits(c * 7L + (lng ? 1 : 0), rows, c);
                int[] li = new int[rows];
                long[] ll = new long[rows];
                SplittableRandom r = new SplittableRandom(c);
                for (int i = 0; i < rows; i++) { li[i] = r.nextInt(c); ll[i] = li[i]; }
                Object labels = lng ? ll : li;
                float[] loss = new float[rows], probs = new float[rows * c];
                SoftmaxEmitter.sparseXent(c, lng).run(labels, 0, x, 0, loss, 0, rows);
                SoftmaxEmitter.softmax(c, false).run(x, 0, probs, 0, rows);
                float[] loss2 = new float[rows + 2], probs2 = new float[rows * c + 3];
                SoftmaxSparseXentKernel both = SoftmaxEmitter.sparseXentWithSoftmax(c, lng);
                both.run(labels, 0, x, 0, loss2, 2, probs2, 3, rows);
                for (int i = 0; i < rows; i++) assertEquals(Float.floatToRawIntBits(loss[i]), Float.floatToRawIntBits(loss2[2 + i]), c + " loss " + i);
                for (int i = 0; i < rows * c; i++) assertEquals(Float.floatToRawIntBits(probs[i]), Float.floatToRawIntBits(probs2[3 + i]), c + " probs " + i);
                if (lng) ll[rows - 1] = c; else li[rows - 1] = c;
                float[] untouched = new float[rows * c];
                Arrays.fill(untouched, SENTINEL);
                float[] lossBad = new float[rows];
                assertThrows(DescentException.class, () -> both.run(labels, 0, x, 0, lossBad, 0, untouched, 0, rows));
                for (float v : untouched) assertEquals(SENTINEL, v);
            }
        }
    }

    @Test
    void outOfRangeLabelsThrowTheInterpretersErrorBeforeWriting() {
        int c = 10, rows = 5;
        float[] x = logits(7, rows, c);
        for (long bad : new long[] {-1, 10, 1L << 40, Long.MIN_VALUE}) {
            for (boolean i64 : new boolean[] {false, true}) {
                if (!i64 && bad != (int) bad) continue;
                long[] ids = {1, 2, bad, 3, -5};
                GraphBuilder g = new GraphBuilder();
                int y = g.sparseSoftmaxXent(g.input("labels", new TensorType(i64 ? DType.I64 : DType.I32, Shape.of(rows))),
                        g.input("logits", f32(rows, c)));
                Tensor lt = i64 ? Tensor.of(ids, rows) : Tensor.of(Arrays.stream(ids).mapToInt(v -> (int) v).toArray(), rows);
                DescentException want = assertThrows(DescentException.class,
                        () -> interpret(g, Map.of("labels", lt, "logits", Tensor.of(x, rows, c)), y));
                for (int vl : variants()) {
                    SoftmaxSparseXentKernel k = (SoftmaxSparseXentKernel) compile(i64 ? SoftmaxOp.SPARSE_XENT_I64 : SoftmaxOp.SPARSE_XENT_I32, c, vl);
                    Object labels = i64 ? ids : Arrays.stream(ids).mapToInt(v -> (int) v).toArray();
                    float[] loss = new float[rows];
                    Arrays.fill(loss, SENTINEL);
                    DescentException got = assertThrows(DescentException.class, () -> k.run(labels, 0, x, 0, loss, 0, rows));
                    assertEquals(want.getMessage(), got.getMessage());
                    for (float f : loss) assertEquals(SENTINEL, f, "loss written before the labels were checked");
                }
            }
        }
    }

    @Test
    void repeatableAndRangeChecked() {
        int c = 1000, rows = 17;
        float[] x = logits(3, rows, c);
        for (int vl : variants()) {
            SoftmaxKernel a = (SoftmaxKernel) compile(SoftmaxOp.SOFTMAX, c, vl), b = (SoftmaxKernel) compile(SoftmaxOp.SOFTMAX, c, vl);
            float[] o1 = new float[x.length], o2 = new float[x.length];
            for (int i = 0; i < 200; i++) a.run(x, 0, o1, 0, rows);   // warm: results must not change when compiled
            b.run(x, 0, o2, 0, rows);
            assertArrayEquals(ReduceEmitterTest.bits(o1), ReduceEmitterTest.bits(o2));
            assertThrows(IndexOutOfBoundsException.class, () -> a.run(x, 1, o1, 0, rows));
            assertThrows(IndexOutOfBoundsException.class, () -> a.run(x, 0, new float[10], 0, rows));
        }
    }
}
