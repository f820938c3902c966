package descent.compiler.emit;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Op;
import descent.runtime.DType;
import descent.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static descent.compiler.emit.LayoutTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class LayoutEmitterTest {
    private static final DType[] TYPES = DType.values();
    private final SplittableRandom random = new SplittableRandom(42);
    private int kernels;

    /** Compiles {@code p} once, then for batch 1, 3 and 17 (or once when static) compares it with the interpreter bit for bit. */
    private void check(LayoutProgram p, Op op, int[] outShape, List<int[]> inShapes, int tile) {
        LayoutKernel k = compile(p, tile);
        kernels++;
        DType t = p.outType();
        int[] batches = p.usesBatch() ? new int[] {1, 3, 17} : new int[] {0};
        for (int b : batches) {
            List<Tensor> values = new ArrayList<>();
            List<int[]> concreteIn = new ArrayList<>();
            for (int[] s : inShapes) {
                concreteIn.add(concrete(s, b));
                values.add(random(t, concrete(s, b), random));
            }
            List<DType> types = java.util.Collections.nCopies(inShapes.size(), t);
            // The interpreter binds `batch` from the feeds: an output that gains the batch from nothing gets it spelled out.
            boolean inputsBind = inShapes.stream().anyMatch(LayoutEmitter::hasBatch);
            Tensor expected = interpret(op, t, inputsBind ? outShape : concrete(outShape, b), types, inShapes, values);
            assertArrayEquals(concrete(outShape, b), expected.shape());
            Object out = run(k, values, t, expected.size(), b);
            assertSame(expected, out, p.tag() + " " + t + " " + shapes(inShapes) + " batch " + b);
        }
    }

    private void check(LayoutProgram p, Op op, int[] outShape, List<int[]> inShapes) {
        check(p, op, outShape, inShapes, LayoutEmitter.DEFAULT_TILE);
    }

    private static String shapes(List<int[]> s) { return s.stream().map(Arrays::toString).toList().toString(); }

    private DType anyType() { return TYPES[random.nextInt(TYPES.length)]; }

    static List<int[]> permutations(int r) {
        List<int[]> out = new ArrayList<>();
        permute(new int[r], new boolean[r], 0, out);
        return out;
    }

    private static void permute(int[] p, boolean[] used, int i, List<int[]> out) {
        if (i == p.length) { out.add(p.clone()); return; }
        for (int v = 0; v < p.length; v++) {
            if (used[v]) continue;
            used[v] = true;
            p[i] = v;
            permute(p, used, i + 1, out);
            used[v] = false;
        }
    }

    private static int[] permuted(int[] s, int[] perm) {
        int[] o = new int[s.length];
        for (int d = 0; d < s.length; d++) o[d] = s[perm[d]];
        return o;
    }

    @Test
    void transposesEveryPermutationUpToRank4() {
        int[][] shapes = {{}, {5}, {BATCH}, {3, 4}, {BATCH, 5}, {7, BATCH}, {1, 6}, {2, 3, 4}, {BATCH, 3, 5}, {4, 1, BATCH},
                {2, 3, 4, 5}, {BATCH, 2, 1, 3}, {3, 2, BATCH, 4}};
        for (int[] s : shapes) {
            for (int[] perm : permutations(s.length)) {
                DType t = anyType();
                check(LayoutEmitter.transposeProgram(t, s, perm), new Op.Transpose(Arrays.stream(perm).boxed().toList()),
                        permuted(s, perm), List.of(s));
            }
        }
    }

    @Test
    void transposesRank5And6() {
        int[][] shapes = {{2, 3, 1, 4, 2}, {BATCH, 2, 3, 2, 2}, {2, 1, 3, 2, 2, 3}, {2, 2, BATCH, 2, 3, 2}};
        for (int[] s : shapes) {
            List<int[]> perms = permutations(s.length);
            for (int i = 0; i < 12; i++) {
                int[] perm = perms.get(random.nextInt(perms.size()));
                DType t = anyType();
                check(LayoutEmitter.transposeProgram(t, s, perm), new Op.Transpose(Arrays.stream(perm).boxed().toList()),
                        permuted(s, perm), List.of(s));
            }
        }
    }

    @Test
    void tiledTransposesHandleRaggedEdgesAndMatchTheUntiledLoop() {
        int[][] shapes = {{70, 45}, {33, 64}, {64, 33}, {BATCH, 37}, {37, BATCH}, {3, 40, 35}, {BATCH, 19, 65}};
        for (int[] s : shapes) {
            int r = s.length;
            int[] perm = new int[r];
            for (int d = 0; d < r; d++) perm[d] = d;
            perm[r - 1] = r - 2;
            perm[r - 2] = r - 1;
            for (int tile : new int[] {0, 8, 32}) {
                DType t = TYPES[(kernels) % TYPES.length];
                check(LayoutEmitter.transposeProgram(t, s, perm), new Op.Transpose(Arrays.stream(perm).boxed().toList()),
                        permuted(s, perm), List.of(s), tile);
            }
        }
    }

    @Test
    void concatenatesAlongEveryAxis() {
        int[][][] cases = {
                {{3}, {4}}, {{2, 3}, {2, 5}, {2, 1}}, {{2, 3}, {4, 3}}, {{BATCH, 3}, {BATCH, 2}, {BATCH, 4}},
                {{2, BATCH, 3}, {2, BATCH, 3}}, {{2, BATCH, 3}, {2, BATCH, 1}}, {{1, 2, 3}, {4, 2, 3}}, {{BATCH, 2}},
                {{2, 0, 3}, {2, 2, 3}}, {{BATCH, 2, 3, 2}, {BATCH, 2, 1, 2}, {BATCH, 2, 2, 2}, {BATCH, 2, 3, 2}, {BATCH, 2, 1, 2}}};
        for (int[][] c : cases) {
            int r = c[0].length;
            for (int axis = 0; axis < r; axis++) {
                final int a = axis;
                List<int[]> ins = List.of(c);
                boolean ok = true;
                for (int[] s : ins) for (int d = 0; d < r; d++) if (d != a && s[d] != c[0][d]) ok = false;
                if (!ok || (ins.size() > 1 && c[0][a] == BATCH)) continue;
                int[] out = c[0].clone();
                if (ins.size() > 1) out[a] = ins.stream().mapToInt(s -> s[a]).sum();
                DType t = anyType();
                check(LayoutEmitter.concatProgram(t, ins, a), new Op.Concat(a), out, ins);
            }
        }
    }

    @Test
    void slices() {
        Object[][] cases = {
                {new int[] {10}, new int[] {3}, new int[] {4}},
                {new int[] {5, 6}, new int[] {1, 2}, new int[] {3, 3}},
                {new int[] {5, 6}, new int[] {0, 0}, new int[] {5, 6}},
                {new int[] {BATCH, 6}, new int[] {0, 1}, new int[] {BATCH, 4}},
                {new int[] {4, BATCH, 6}, new int[] {2, 0, 5}, new int[] {2, BATCH, 1}},
                {new int[] {3, 4, 5, 6}, new int[] {1, 0, 2, 3}, new int[] {2, 4, 2, 3}},
                {new int[] {3, 4}, new int[] {1, 1}, new int[] {0, 2}}};
        for (Object[] c : cases) {
            int[] in = (int[]) c[0], begin = (int[]) c[1], out = (int[]) c[2];
            for (DType t : TYPES)
                check(LayoutEmitter.sliceProgram(t, in, begin, out), new Op.Slice(Arrays.stream(begin).boxed().toList()), out, List.of(in));
        }
    }

    @Test
    void pads() {
        Object[][] cases = {
                {new int[] {4}, new int[] {2}, new int[] {9}},
                {new int[] {2, 3}, new int[] {1, 2}, new int[] {5, 6}},
                {new int[] {2, 3}, new int[] {0, 0}, new int[] {2, 3}},
                {new int[] {BATCH, 3}, new int[] {0, 1}, new int[] {BATCH, 7}},
                {new int[] {2, BATCH, 3, 2}, new int[] {1, 0, 0, 2}, new int[] {4, BATCH, 5, 4}}};
        for (Object[] c : cases) {
            int[] in = (int[]) c[0], before = (int[]) c[1], out = (int[]) c[2];
            for (DType t : TYPES)
                check(LayoutEmitter.padProgram(t, in, before, out), new Op.Pad(Arrays.stream(before).boxed().toList()), out, List.of(in));
        }
    }

    @Test
    void tiles() {
        Object[][] cases = {
                {new int[] {3}, new int[] {4}},
                {new int[] {2, 3}, new int[] {3, 2}},
                {new int[] {2, 3}, new int[] {1, 1}},
                {new int[] {BATCH, 3}, new int[] {1, 3}},
                {new int[] {2, BATCH, 1}, new int[] {2, 1, 5}},
                {new int[] {1, 2, 3, 1}, new int[] {2, 1, 2, 3}},
                {new int[] {2, 2}, new int[] {0, 3}}};
        for (Object[] c : cases) {
            int[] in = (int[]) c[0], m = (int[]) c[1];
            int[] out = new int[in.length];
            for (int d = 0; d < in.length; d++) out[d] = in[d] == BATCH ? BATCH : in[d] * m[d];
            for (DType t : TYPES)
                check(LayoutEmitter.tileProgram(t, in, m), new Op.Tile(Arrays.stream(m).boxed().toList()), out, List.of(in));
        }
    }

    @Test
    void broadcasts() {
        int[][][] cases = {{{}, {3, 4}}, {{4}, {3, 4}}, {{3, 1}, {3, 4}}, {{1}, {BATCH, 2}}, {{BATCH, 1}, {BATCH, 5}},
                {{2}, {BATCH, 3, 2}}, {{1, 3, 1}, {2, 3, 4}}, {{BATCH, 1, 2}, {3, BATCH, 4, 2}}, {{5}, {5}}};
        for (int[][] c : cases)
            for (DType t : TYPES) check(LayoutEmitter.broadcastProgram(t, c[0], c[1]), new Op.BroadcastTo(), c[1], List.of(c[0]));
    }

    @Test
    void batchSquaredShapesWork() {
        int[] s = {BATCH, BATCH};
        check(LayoutEmitter.transposeProgram(DType.F32, s, new int[] {1, 0}), new Op.Transpose(List.of(1, 0)), s, List.of(s));
        int[] s3 = {BATCH, 3, BATCH};
        check(LayoutEmitter.transposeProgram(DType.I64, s3, new int[] {2, 0, 1}), new Op.Transpose(List.of(2, 0, 1)),
                new int[] {BATCH, BATCH, 3}, List.of(s3));
    }

    @Test
    void rejectsWhatTheLanguageRejects() {
        assertThrows(IllegalArgumentException.class, () -> LayoutEmitter.transposeProgram(DType.F32, new int[] {2, 3}, new int[] {0, 0}));
        assertThrows(IllegalArgumentException.class,
                () -> LayoutEmitter.concatProgram(DType.F32, List.of(new int[] {BATCH, 2}, new int[] {BATCH, 2}), 0));
        assertThrows(IllegalArgumentException.class,
                () -> LayoutEmitter.sliceProgram(DType.F32, new int[] {BATCH, 2}, new int[] {1, 0}, new int[] {BATCH, 2}));
        assertThrows(IllegalArgumentException.class,
                () -> LayoutEmitter.tileProgram(DType.F32, new int[] {BATCH, 2}, new int[] {2, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> LayoutEmitter.padProgram(DType.F32, new int[] {2, 3}, new int[] {1, 0}, new int[] {2, 3}));
        LayoutKernel k = LayoutEmitter.transpose(DType.F32, new int[] {BATCH, 2}, new int[] {1, 0});
        assertThrows(IllegalArgumentException.class, () -> k.run(new Object[] {new float[4]}, new int[] {0}, new float[4], 0, -1));
    }

    static final String MODEL = """
            model layout
            input x: f32[batch, 3, 4]
            input ids: i64[batch, 2]
            t = transpose(x, perm=[2, 0, 1])
            c = concat([x, x * 2.0, slice(x, [0, 0, 1], [-1, -1, 2])], axis=2)
            s = slice(x, [0, 1, 1], [-1, 2, 3])
            r = tile(x, [1, 2, 3])
            k = cast(x, i32)
            j = cast(ids, f32)
            output t, c, s, r, k, j
            """;

    @Test
    void matchesTheInterpreterOnACheckedModel() {
        Model model = Compiler.check("layout.descent", MODEL);
        Session session = new Session(model, Precision.F32, 0);
        for (int b : new int[] {1, 3, 17}) {
            Tensor x = random(DType.F32, new int[] {b, 3, 4}, random);
            Tensor ids = random(DType.I64, new int[] {b, 2}, random);
            Map<String, Tensor> v = session.evaluate(Map.of("x", x, "ids", ids), List.of("x", "t", "c", "s", "r", "k", "j"));
            int[] x3 = {BATCH, 3, 4};
            Tensor x2 = Tensor.of(doubled(x.floats()), b, 3, 4), xs = v.get("x");
            assertSame(v.get("t"), run(compile(LayoutEmitter.transposeProgram(DType.F32, x3, new int[] {2, 0, 1})),
                    List.of(xs), DType.F32, 12 * b, b), "transpose");
            Tensor mid = Tensor.of(new float[b * 3 * 2], b, 3, 2);
            compile(LayoutEmitter.sliceProgram(DType.F32, x3, new int[] {0, 0, 1}, new int[] {BATCH, 3, 2}))
                    .run(new Object[] {x.floats()}, new int[] {0}, mid.floats(), 0, b);
            assertSame(v.get("c"), run(compile(LayoutEmitter.concatProgram(DType.F32,
                    List.of(x3, x3, new int[] {BATCH, 3, 2}), 2)), List.of(xs, x2, mid), DType.F32, b * 30, b), "concat");
            assertSame(v.get("s"), run(compile(LayoutEmitter.sliceProgram(DType.F32, x3, new int[] {0, 1, 1}, new int[] {BATCH, 2, 3})),
                    List.of(xs), DType.F32, b * 6, b), "slice");
            assertSame(v.get("r"), run(compile(LayoutEmitter.tileProgram(DType.F32, x3, new int[] {1, 2, 3})),
                    List.of(xs), DType.F32, b * 72, b), "tile");
            assertSame(v.get("k"), run(compile(CastEmitter.program(DType.F32, DType.I32, x3)), List.of(xs), DType.I32, b * 12, b), "cast f32→i32");
            assertSame(v.get("j"), run(compile(CastEmitter.program(DType.I64, DType.F32, new int[] {BATCH, 2})),
                    List.of(ids), DType.F32, b * 2, b), "cast i64→f32");
        }
    }

    private static float[] doubled(float[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = (float) ((double) a[i] * 2.0);
        return o;
    }

    @Test
    void simplificationMergesContiguousAxes() {
        LayoutNest n = ((LayoutNest) LayoutEmitter.transposeProgram(DType.F32, new int[] {BATCH, 2, 3, 4}, new int[] {0, 3, 1, 2})
                .steps().get(0)).simplified();
        assertEquals(3, n.rank(), n.toString());   // [b, 4, 6]: axes 1 and 2 of the input move together
        LayoutNest copy = ((LayoutNest) LayoutEmitter.concatProgram(DType.F32, List.of(new int[] {BATCH, 2, 3}, new int[] {BATCH, 4, 3}), 1)
                .steps().get(1)).simplified();
        assertEquals(2, copy.rank(), copy.toString());   // [b, 12]: one arraycopy per row
    }
}
