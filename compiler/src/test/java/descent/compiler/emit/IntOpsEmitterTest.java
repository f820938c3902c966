package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Op;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static descent.compiler.emit.LayoutTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class IntOpsEmitterTest {
    private final SplittableRandom random = new SplittableRandom(3);

    /**
     * Values with the i32 extremes for wrapping; {@code small}: i64 values whose products stay within ±2⁵³, where the
     * interpreter (which holds values as doubles) is exact. Its i32 arithmetic is exact everywhere (products in long
     * arithmetic since 2026-11-29; before, a product past 2⁵³ was rounded before it wrapped), so i32 values are never small.
     */
    private Tensor values(DType t, int[] shape, boolean small) {
        int n = size(shape);
        if (t == DType.I32) {
            int[] a = new int[n];
            for (int i = 0; i < n; i++) {
                int pick = random.nextInt(10);
                a[i] = pick == 0 ? Integer.MIN_VALUE : pick == 1 ? Integer.MAX_VALUE : pick < 4 ? random.nextInt(-3, 4)
                        : small ? random.nextInt(-60000, 60000) : random.nextInt();
                if (small && (a[i] == Integer.MIN_VALUE || a[i] == Integer.MAX_VALUE)) a[i] = random.nextInt(-60000, 60000);
            }
            return Tensor.of(a, shape);
        }
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            int pick = random.nextInt(10);
            a[i] = pick < 3 ? random.nextLong(-3, 4) : small ? random.nextLong(-(1L << 25), 1L << 25) : random.nextLong(-(1L << 51), 1L << 51);
        }
        return Tensor.of(a, shape);
    }

    private static boolean multiplies(UnaryFn fn) { return fn == UnaryFn.SQUARE; }
    private static boolean multiplies(BinaryFn fn) { return fn == BinaryFn.MUL || fn == BinaryFn.SQUARED_DIFFERENCE; }

    @Test
    void unaryOpsMatchTheInterpreter() {
        int[][] shapes = {{}, {7}, {BATCH}, {BATCH, 3}, {2, BATCH, 5}};
        for (DType t : new DType[] {DType.I32, DType.I64}) {
            for (UnaryFn fn : IntOpsEmitter.UNARY) {
                for (int[] s : shapes) {
                    LayoutKernel k = compile(IntOpsEmitter.unaryProgram(fn, t, s));
                    for (int b : LayoutEmitter.hasBatch(s) ? new int[] {1, 3, 17} : new int[] {0}) {
                        Tensor x = values(t, concrete(s, b), multiplies(fn) && t == DType.I64);
                        Tensor expected = interpret(new Op.Unary(fn), t, s, List.of(t), List.of(s), List.of(x));
                        assertSame(expected, run(k, List.of(x), t, x.size(), b), fn + " " + t + " batch " + b);
                    }
                }
            }
        }
    }

    @Test
    void binaryOpsBroadcastAndMatchTheInterpreter() {
        int[][][] pairs = {{{}, {}}, {{5}, {5}}, {{5}, {}}, {{}, {4}}, {{BATCH, 3}, {3}}, {{BATCH, 1}, {BATCH, 4}}, {{2, 1, 3}, {4, 1}},
                {{1}, {BATCH, 2, 2}}, {{BATCH, 3}, {BATCH, 3}}};
        for (DType t : new DType[] {DType.I32, DType.I64}) {
            for (BinaryFn fn : IntOpsEmitter.BINARY) {
                for (int[][] p : pairs) {
                    int[] out = IntOpsEmitter.broadcastShape(p[0], p[1]);
                    LayoutKernel k = compile(IntOpsEmitter.binaryProgram(fn, t, p[0], p[1]));
                    boolean batch = LayoutEmitter.hasBatch(p[0]) || LayoutEmitter.hasBatch(p[1]);
                    for (int b : batch ? new int[] {1, 3, 17} : new int[] {0}) {
                        boolean small = multiplies(fn) && t == DType.I64;
                        Tensor x = values(t, concrete(p[0], b), small);
                        Tensor y = random.nextInt(4) == 0 && java.util.Arrays.equals(p[0], p[1]) ? x : values(t, concrete(p[1], b), small);
                        Tensor expected = interpret(new Op.Binary(fn), t, out, List.of(t, t), List.of(p[0], p[1]), List.of(x, y));
                        assertSame(expected, run(k, List.of(x, y), t, expected.size(), b), fn + " " + t + " batch " + b);
                    }
                }
            }
        }
    }

    @Test
    void globalStepIncrement() {
        LayoutKernel inc = IntOpsEmitter.binary(BinaryFn.ADD, DType.I64, new int[0], new int[0]);
        long[] step = {41}, one = {1}, next = new long[1];
        inc.run(new Object[] {step, one}, new int[] {0, 0}, next, 0, 0);
        assertEquals(42, next[0]);
    }

    @Test
    void wrapsLikeJavaAndTensorFlow() {
        int[] out = new int[3];
        IntOpsEmitter.binary(BinaryFn.MUL, DType.I32, new int[] {3}, new int[] {3})
                .run(new Object[] {new int[] {65536, Integer.MAX_VALUE, 123456789}, new int[] {65536, 2, 987654321}}, new int[] {0, 0}, out, 0, 0);
        assertArrayEquals(new int[] {0, -2, 123456789 * 987654321}, out);
        long[] lo = new long[2];
        IntOpsEmitter.unary(UnaryFn.NEG, DType.I64, new int[] {2}).run(new Object[] {new long[] {Long.MIN_VALUE, 5}}, new int[] {0}, lo, 0, 0);
        assertArrayEquals(new long[] {Long.MIN_VALUE, -5}, lo);
    }

    @Test
    void rejectsFloatsAndNonIntegerOps() {
        assertThrows(IllegalArgumentException.class, () -> IntOpsEmitter.unaryProgram(UnaryFn.NEG, DType.F32, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> IntOpsEmitter.binaryProgram(BinaryFn.DIV, DType.I32, new int[] {2}, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> IntOpsEmitter.broadcastShape(new int[] {BATCH}, new int[] {3}));
    }
}
