package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Graph;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/** Every row kernel, vector and scalar, arraycopy and loop copies, against the reference interpreter, bit for bit. */
class RowsEmitterTest {
    /** The variants under test: every one must match the interpreter exactly. */
    private static final Map<String, Function<RowsSpec, RowsEmitter.Emitted>> VARIANTS = new LinkedHashMap<>();
    static {
        VARIANTS.put("scalar/arraycopy", s -> RowsEmitter.emitScalar(s, RowsClassWriter.Copy.ARRAYCOPY));
        VARIANTS.put("scalar/loop", s -> RowsEmitter.emitScalar(s, RowsClassWriter.Copy.LOOP));
        if (MatmulEmitter.vectorApiAvailable()) {
            VARIANTS.put("vector/arraycopy", s -> RowsEmitter.emitVector(s, RowsClassWriter.Copy.ARRAYCOPY));
            VARIANTS.put("vector/loop", s -> RowsEmitter.emitVector(s, RowsClassWriter.Copy.LOOP));
        }
    }

    private static TensorType t(DType d, int... dims) {
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) l[i] = dims[i];
        return new TensorType(d, Shape.of(l));
    }

    private static int prod(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }

    /** Values whose sums round differently in float and double, so a wrong summation order or precision shows. */
    private static float[] values(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(6)) {
                case 0 -> (float) r.nextDouble(-1e8, 1e8);
                case 1 -> -0f;
                case 2 -> (float) r.nextDouble(-1e-3, 1e-3);
                default -> (float) r.nextDouble(-3, 3);
            };
        }
        return x;
    }

    /** n ids in [0, range) with plenty of repeats (some ids three or more times), at an index shape. */
    private static long[] ids(SplittableRandom r, int n, int range) {
        long[] x = new long[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(Math.max(1, Math.min(range, 1 + n / 3)));
        return x;
    }

    private static Tensor idTensor(long[] ids, boolean i64, int[] shape) {
        if (i64) return Tensor.of(ids.clone(), shape);
        int[] a = new int[ids.length];
        for (int i = 0; i < a.length; i++) a[i] = (int) ids[i];
        return Tensor.of(a, shape);
    }

    /** Indices as the kernel takes them, at an offset of 3 with junk around, to exercise indicesOff. */
    private static Object idArray(long[] ids, boolean i64) {
        if (i64) {
            long[] a = new long[ids.length + 5];
            Arrays.fill(a, -99);
            System.arraycopy(ids, 0, a, 3, ids.length);
            return a;
        }
        int[] a = new int[ids.length + 5];
        Arrays.fill(a, -99);
        for (int i = 0; i < ids.length; i++) a[3 + i] = (int) ids[i];
        return a;
    }

    private static float[] interpret(Graph g, Map<String, Tensor> feeds, int fetch) {
        return new Interpreter(g, Precision.F32).run(feeds, Map.of(), List.of(fetch)).get(fetch).floats();
    }

    static void verify(byte[] classBytes) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classBytes), RowsEmitterTest.class.getClassLoader(), false, new PrintWriter(report));
        assertEquals("", report.toString(), "CheckClassAdapter.verify");
    }

    /** Runs the kernel of every variant, at offsets, twice (identical bits), and checks the scratch is left zero. */
    private static void check(String what, RowsSpec spec, float[] src, long[] ids, float[] aux, float[] dstInit, float[] expected) {
        for (var v : VARIANTS.entrySet()) {
            RowsEmitter.Emitted e = v.getValue().apply(spec);
            verify(e.classFile());
            int[] scratch = e.newScratch(ids.length);
            float[] first = null;
            for (int rep = 0; rep < 2; rep++) {
                float[] s = new float[src.length + 2];
                System.arraycopy(src, 0, s, 2, src.length);
                float[] d = new float[dstInit.length + 3];
                Arrays.fill(d, 42f);
                System.arraycopy(dstInit, 0, d, 1, dstInit.length);
                e.kernel().run(s, 2, idArray(ids, spec.longIndices()), 3, ids.length, aux, d, 1, scratch);
                assertEquals(42f, d[0]);
                assertEquals(42f, d[d.length - 1]);
                assertEquals(42f, d[d.length - 2]);
                float[] got = Arrays.copyOfRange(d, 1, 1 + dstInit.length);
                for (int i = 0; i < expected.length; i++) {
                    if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(got[i])) {
                        throw new AssertionError(what + " " + v.getKey() + ": element " + i + " is " + got[i] + ", interpreter " + expected[i]);
                    }
                }
                if (first != null) assertArrayEquals(first, got);
                first = got;
                if (scratch != null) assertTrue(Arrays.stream(scratch, 0, spec.rows()).allMatch(x -> x == 0), "scratch marks left");
            }
        }
    }

    private static final int[][] PARAM_SHAPES = {{7}, {7, 5}, {5, 7}, {4, 7, 3}, {3, 4, 17}, {6, 64}, {3, 40}, {5, 2, 33}};
    private static final int[][] INDEX_SHAPES = {{0}, {1}, {9}, {3, 4}, {2, 0}};

    @Test
    void gatherAndScatterAddAlongEveryAxis() {
        SplittableRandom r = new SplittableRandom(1);
        for (int[] ps : PARAM_SHAPES) {
            for (int axis = -1; axis < ps.length; axis++) {
                int ax = axis < 0 ? ps.length - 1 : axis;
                for (int[] is : INDEX_SHAPES) {
                    for (boolean i64 : new boolean[] {false, true}) {
                        int n = prod(is, 0, is.length), outer = prod(ps, 0, ax), rows = ps[ax], inner = prod(ps, ax + 1, ps.length);
                        long[] ids = ids(r, n, rows);
                        float[] params = values(r, prod(ps, 0, ps.length));
                        DType idt = i64 ? DType.I64 : DType.I32;
                        String what = Arrays.toString(ps) + " axis " + axis + " ids " + Arrays.toString(is) + " " + idt;

                        GraphBuilder g = new GraphBuilder();
                        int gi = g.gather(g.input("p", t(DType.F32, ps)), g.input("i", t(idt, is)), axis);
                        float[] want = interpret(g.build(), Map.of("p", Tensor.of(params, ps), "i", idTensor(ids, i64, is)), gi);
                        check("gather " + what, RowsSpec.gather(outer, rows, inner, i64), params, ids, null, new float[want.length], want);

                        // scatter_add: the gather's shape back to the params' shape
                        int[] us = g.shape(gi).dims().stream().mapToInt(d -> (int) d.size()).toArray();
                        float[] updates = values(r, want.length);
                        GraphBuilder h = new GraphBuilder();
                        int si = h.scatterAdd(h.input("u", t(DType.F32, us)), h.input("i", t(idt, is)), ax, g.shape(0));
                        float[] wantS = interpret(h.build(), Map.of("u", Tensor.of(updates, us), "i", idTensor(ids, i64, is)), si);
                        float[] garbage = values(r, wantS.length);
                        check("scatter_add " + what, RowsSpec.scatterAdd(outer, rows, inner, i64), updates, ids, null, garbage, wantS);
                    }
                }
            }
        }
    }

    @Test
    void sparseUpdateOps() {
        SplittableRandom r = new SplittableRandom(2);
        for (int[] vs : new int[][] {{9}, {9, 1}, {6, 8}, {11, 64}, {5, 3, 7}, {4, 256}, {7, 19}}) {
            for (int[] is : INDEX_SHAPES) {
                for (boolean i64 : new boolean[] {false, true}) {
                    int n = prod(is, 0, is.length), rows = vs[0], inner = prod(vs, 1, vs.length);
                    DType idt = i64 ? DType.I64 : DType.I32;
                    String what = Arrays.toString(vs) + " ids " + Arrays.toString(is) + " " + idt;
                    long[] ids = ids(r, n, rows);
                    int[] rs = new int[is.length + vs.length - 1];
                    System.arraycopy(is, 0, rs, 0, is.length);
                    System.arraycopy(vs, 1, rs, is.length, vs.length - 1);
                    float[] var = values(r, prod(vs, 0, vs.length)), upd = values(r, n * inner);
                    Tensor idT = idTensor(ids, i64, is);

                    GraphBuilder g = new GraphBuilder();
                    int vi = g.input("v", t(DType.F32, vs)), ii = g.input("i", t(idt, is)), ri = g.input("r", t(DType.F32, rs));
                    int dd = g.dedupSum(ri, ii), fo = g.firstOccurrence(ii, DType.F32);
                    int mi = g.input("m", t(DType.F32, is));
                    int su = g.scatterUpdate(vi, ii, ri, mi), sa = g.scatterAccumulate(vi, ii, ri);
                    int oh = g.oneHot(ii, rows, 2.5, -0.5, DType.F32);
                    float[] mask = new float[n];
                    for (int j = 0; j < n; j++) mask[j] = switch (r.nextInt(4)) { case 0 -> 0f; case 1 -> -0f; case 2 -> Float.NaN; default -> 1f; };
                    Map<String, Tensor> feeds = Map.of("v", Tensor.of(var, vs), "i", idT, "r", Tensor.of(upd, rs), "m", Tensor.of(mask, is));
                    Graph graph = g.build();

                    float[] w = interpret(graph, feeds, dd);
                    check("dedup_sum " + what, RowsSpec.dedupSum(rows, inner, i64), upd, ids, null, values(r, w.length), w);
                    w = interpret(graph, feeds, fo);
                    check("first_occurrence " + what, RowsSpec.firstOccurrence(rows, i64), new float[0], ids, null, values(r, w.length), w);
                    w = interpret(graph, feeds, su);
                    check("scatter_update " + what, RowsSpec.scatterUpdate(rows, inner, i64), upd, ids, mask, var, w);
                    w = interpret(graph, feeds, sa);
                    check("scatter_accumulate " + what, RowsSpec.scatterAccumulate(rows, inner, i64), upd, ids, null, var, w);
                    // one_hot: ids include out-of-range ones, which give all-off rows
                    long[] wild = ids.clone();
                    for (int j = 0; j < n; j += 3) wild[j] = j % 2 == 0 ? -1 - j : rows + j;
                    if (i64 && n > 1) wild[1] = 1L << 40;
                    Map<String, Tensor> f2 = new java.util.HashMap<>(feeds);
                    f2.put("i", idTensor(wild, i64, is));
                    if (i64 || n < 2 || wild[1] != 1L << 40) {
                        w = interpret(graph, f2, oh);
                        check("one_hot " + what, RowsSpec.oneHot(rows, 2.5, -0.5, i64), new float[0], wild, null, values(r, w.length), w);
                    }
                }
            }
        }
    }

    /**
     * The f64 kernels (scalar, both copy modes) against the interpreter's f64 ops, bit for bit: values whose
     * double sums depend on the order, repeated ids, a mask with -0 and NaN.
     */
    @Test
    void f64RowKernels() {
        SplittableRandom r = new SplittableRandom(4);
        for (int[] vs : new int[][] {{9}, {6, 8}, {5, 3, 7}, {7, 19}}) {
            for (int[] is : INDEX_SHAPES) {
                for (boolean i64 : new boolean[] {false, true}) {
                    int n = prod(is, 0, is.length), rows = vs[0], inner = prod(vs, 1, vs.length);
                    DType idt = i64 ? DType.I64 : DType.I32;
                    String what = "f64 " + Arrays.toString(vs) + " ids " + Arrays.toString(is) + " " + idt;
                    long[] ids = ids(r, n, rows);
                    int[] rs = new int[is.length + vs.length - 1];
                    System.arraycopy(is, 0, rs, 0, is.length);
                    System.arraycopy(vs, 1, rs, is.length, vs.length - 1);
                    double[] var = doubles(r, prod(vs, 0, vs.length)), upd = doubles(r, n * inner), mask = new double[n];
                    for (int j = 0; j < n; j++) mask[j] = switch (r.nextInt(4)) { case 0 -> 0; case 1 -> -0.0; case 2 -> Double.NaN; default -> 1; };
                    GraphBuilder g = new GraphBuilder();
                    int vi = g.input("v", t(DType.F64, vs)), ii = g.input("i", t(idt, is)), ri = g.input("r", t(DType.F64, rs));
                    int mi = g.input("m", t(DType.F64, is));
                    int ga = g.gather(vi, ii, 0), sd = g.scatterAdd(ri, ii, 0, g.shape(vi)), dd = g.dedupSum(ri, ii);
                    int fo = g.firstOccurrence(ii, DType.F64), su = g.scatterUpdate(vi, ii, ri, mi), sa = g.scatterAccumulate(vi, ii, ri);
                    Map<String, Tensor> feeds = Map.of("v", Tensor.of(var, vs), "i", idTensor(ids, i64, is), "r", Tensor.of(upd, rs),
                            "m", Tensor.of(mask, is));
                    Graph graph = g.build();
                    Map<Integer, Tensor> want = new Interpreter(graph, Precision.F32).run(feeds, Map.of(), List.of(ga, sd, dd, fo, su, sa));
                    checkF64("gather " + what, RowsSpec.gather(1, rows, inner, i64).inF64(), var, ids, null, new double[n * inner], want.get(ga));
                    checkF64("scatter_add " + what, RowsSpec.scatterAdd(1, rows, inner, i64).inF64(), upd, ids, null, doubles(r, var.length), want.get(sd));
                    checkF64("dedup_sum " + what, RowsSpec.dedupSum(rows, inner, i64).inF64(), upd, ids, null, doubles(r, n * inner), want.get(dd));
                    checkF64("first_occurrence " + what, RowsSpec.firstOccurrence(rows, i64).inF64(), new double[0], ids, null, doubles(r, n), want.get(fo));
                    checkF64("scatter_update " + what, RowsSpec.scatterUpdate(rows, inner, i64).inF64(), upd, ids, mask, var, want.get(su));
                    checkF64("scatter_accumulate " + what, RowsSpec.scatterAccumulate(rows, inner, i64).inF64(), upd, ids, null, var, want.get(sa));
                }
            }
        }
        // one_hot in f64 keeps its values in full (0.1 is not a float).
        GraphBuilder g = new GraphBuilder();
        int oh = g.oneHot(g.input("i", t(DType.I32, 5)), 4, 0.1, -0.7, DType.F64);
        long[] ids = {3, -1, 0, 4, 2};
        Map<Integer, Tensor> want = new Interpreter(g.build(), Precision.F32).run(Map.of("i", idTensor(ids, false, new int[] {5})), Map.of(), List.of(oh));
        checkF64("one_hot f64", RowsSpec.oneHot(4, 0.1, -0.7, false).inF64(), new double[0], ids, null, new double[20], want.get(oh));
        assertEquals(0.1, want.get(oh).doubles()[3]);
    }

    private static double[] doubles(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(5)) {
                case 0 -> r.nextDouble(-1e17, 1e17);
                case 1 -> -0.0;
                case 2 -> r.nextDouble(-1e-3, 1e-3);
                default -> r.nextDouble(-3, 3);
            };
        }
        return x;
    }

    private static void checkF64(String what, RowsSpec spec, double[] src, long[] ids, double[] aux, double[] dstInit, Tensor expected) {
        double[] want = expected.doubles();
        for (RowsClassWriter.Copy copy : RowsClassWriter.Copy.values()) {
            RowsEmitter.Emitted e = RowsEmitter.emitScalar(spec, copy);
            verify(e.classFile());
            int[] scratch = e.newScratch(ids.length);
            double[] s = new double[src.length + 2];
            System.arraycopy(src, 0, s, 2, src.length);
            double[] d = new double[dstInit.length + 3];
            Arrays.fill(d, 42);
            System.arraycopy(dstInit, 0, d, 1, dstInit.length);
            e.kernel().run(s, 2, idArray(ids, spec.longIndices()), 3, ids.length, aux, d, 1, scratch);
            assertEquals(42.0, d[0]);
            assertEquals(42.0, d[d.length - 1]);
            for (int i = 0; i < want.length; i++) {
                if (Double.doubleToRawLongBits(want[i]) != Double.doubleToRawLongBits(d[1 + i])) {
                    throw new AssertionError(what + " " + copy + ": element " + i + " is " + d[1 + i] + ", interpreter " + want[i]);
                }
            }
            if (scratch != null) assertTrue(Arrays.stream(scratch, 0, spec.rows()).allMatch(x -> x == 0), "scratch marks left");
        }
    }

    @Test
    void outOfRangeIndicesThrowTheInterpretersMessageAndWriteNothing() {
        record Case(long[] ids, boolean i64) {}
        for (Case c : List.of(new Case(new long[] {1, 4, 7, 9}, false), new Case(new long[] {0, -3, 2}, true),
                new Case(new long[] {0, 1, 2, 1L << 40}, true), new Case(new long[] {2, -(1L << 40)}, true))) {
            int n = c.ids.length;
            DType idt = c.i64 ? DType.I64 : DType.I32;
            GraphBuilder g = new GraphBuilder();
            int p = g.input("p", t(DType.F32, 5, 4)), i = g.input("i", t(idt, n)), u = g.input("u", t(DType.F32, n, 4));
            int gi = g.gather(p, i, 0), si = g.scatterAdd(u, i, 0, Shape.of(5, 4));
            int mi = g.input("m", t(DType.F32, n)), su = g.scatterUpdate(p, i, u, mi), sa = g.scatterAccumulate(p, i, u);
            Graph graph = g.build();
            float[] mask = new float[n];
            Arrays.fill(mask, 1f);
            Map<String, Tensor> feeds = Map.of("p", Tensor.of(new float[20], 5, 4), "i", idTensor(c.ids, c.i64, new int[] {n}),
                    "u", Tensor.of(new float[n * 4], n, 4), "m", Tensor.of(mask, n));
            Map<Integer, RowsSpec> specs = Map.of(gi, RowsSpec.gather(1, 5, 4, c.i64), si, RowsSpec.scatterAdd(1, 5, 4, c.i64),
                    su, RowsSpec.scatterUpdate(5, 4, c.i64), sa, RowsSpec.scatterAccumulate(5, 4, c.i64));
            for (var e : specs.entrySet()) {
                String want = assertThrows(DescentException.class, () -> interpret(graph, feeds, e.getKey())).getMessage();
                for (var v : VARIANTS.values()) {
                    RowsEmitter.Emitted k = v.apply(e.getValue());
                    float[] dst = new float[20];
                    Arrays.fill(dst, 3f);
                    int[] scratch = k.newScratch(n);
                    String got = assertThrows(DescentException.class,
                            () -> k.kernel().run(new float[20], 0, idArray(c.ids, c.i64), 3, n, mask, dst, 0, scratch)).getMessage();
                    assertEquals(want, got);
                    for (float x : dst) assertEquals(3f, x, "written before the index check");
                    if (scratch != null) for (int x : scratch) assertEquals(0, x);
                }
            }
        }
        // The brief's example wording.
        RowsKernel k = RowsEmitter.emit(RowsSpec.gather(1, 5, 1, false)).kernel();
        assertEquals("gather: index 7 at position 2 is outside [0, 5)", assertThrows(DescentException.class,
                () -> k.run(new float[5], 0, new int[] {0, 1, 7}, 0, 3, null, new float[3], 0, null)).getMessage());
        // scatter_update skips masked-out positions, bad index or not.
        RowsKernel u = RowsEmitter.emit(RowsSpec.scatterUpdate(5, 1, false)).kernel();
        float[] var = {0, 1, 2, 3, 4};
        u.run(new float[] {9, 8}, 0, new int[] {99, 2}, 0, 2, new float[] {0, 1}, var, 0, null);
        assertArrayEquals(new float[] {0, 1, 8, 3, 4}, var);
    }

    @Test
    void callsDoNotAllocate() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom r = new SplittableRandom(3);
        int rows = 1000, w = 64, n = 256;
        float[] table = values(r, rows * w), grads = values(r, n * w), out = new float[n * w], mask = new float[n];
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) ids[j] = r.nextInt(100);
        List<RowsEmitter.Emitted> ks = new ArrayList<>();
        for (RowsSpec s : List.of(RowsSpec.gather(1, rows, w, false), RowsSpec.dedupSum(rows, w, false), RowsSpec.firstOccurrence(rows, false),
                RowsSpec.scatterUpdate(rows, w, false), RowsSpec.scatterAccumulate(rows, w, false))) {
            ks.add(RowsEmitter.emit(s));
        }
        int[][] scratch = ks.stream().map(k -> k.newScratch(n)).toArray(int[][]::new);
        Runnable step = () -> {
            ks.get(0).kernel().run(table, 0, ids, 0, n, null, out, 0, null);
            ks.get(1).kernel().run(grads, 0, ids, 0, n, null, out, 0, scratch[1]);
            ks.get(2).kernel().run(null, 0, ids, 0, n, null, mask, 0, scratch[2]);
            ks.get(3).kernel().run(out, 0, ids, 0, n, mask, table, 0, null);
            ks.get(4).kernel().run(grads, 0, ids, 0, n, null, table, 0, scratch[4]);
        };
        // Vector API calls allocate boxes until C2 has compiled the kernels; in a test JVM that has just generated
        // hundreds of classes, C2's queue can take a while. So: warm up, then measure 1,000 steps at a time until
        // a window allocates nothing, for at most 60 s.
        for (int i = 0; i < 3000; i++) step.run();
        long deadline = System.nanoTime() + 60_000_000_000L, allocated;
        do {
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1000; i++) step.run();
            allocated = bean.getCurrentThreadAllocatedBytes() - before;
        } while (allocated >= 4096 && System.nanoTime() < deadline);
        assertTrue(allocated < 4096, "allocated " + allocated + " bytes in 1000 steps, still after 60 s");
    }
}
