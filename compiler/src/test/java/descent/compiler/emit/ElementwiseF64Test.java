package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Graph;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * f64 expressions compile to scalar loops over double arrays that are bitwise the interpreter's f64 ops: every
 * UnaryFn and BinaryFn on random and edge doubles, binary ops with scalar and row operands on either side, a
 * select and leaky ReLU chain with a loop-invariant scalar node, non-zero offsets, and nothing written
 * outside the output's range.
 */
class ElementwiseF64Test {
    private static final int ROWS = 37, COLS = 29, N = ROWS * COLS, PAD = 3;
    private static final double SENTINEL = -1234.5;
    private static final double[] EDGES = {
        0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1, -1, 0.5, -0.5, 6, -6, 2,
        Double.MAX_VALUE, -Double.MAX_VALUE, 1e300, -1e300, 1e-300, Double.MIN_VALUE, -Double.MIN_VALUE,
        Double.MIN_NORMAL, 0x1p52, 4503599627370495.5, 1.5, -2.5, 709.7, -745.1, 88.7, -103.9, 0.9999999999999999,
    };

    private static TensorType f64(long... dims) { return new TensorType(DType.F64, Shape.of(dims)); }

    static double[] inputs(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i < EDGES.length ? EDGES[i] : switch (r.nextInt(4)) {
                case 0 -> r.nextDouble(-10, 10);
                case 1 -> r.nextDouble(-1, 1);
                case 2 -> (r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble(-300, 300));
                default -> Double.longBitsToDouble(r.nextLong());
            };
        }
        return x;
    }

    @TestFactory
    Stream<DynamicTest> everyUnaryFn() {
        return Arrays.stream(UnaryFn.values()).map(fn -> DynamicTest.dynamicTest(fn.name(), () -> {
            double[] x = inputs(fn.ordinal() + 1, N);
            GraphBuilder g = new GraphBuilder();
            int y = g.unaryAnyNumber(fn, g.input("x", f64(ROWS, COLS)));
            double[] expected = interpret(g.build(), Map.of("x", Tensor.of(x, ROWS, COLS)), y);
            var b = FusedExpr.builder();
            FusedExpr e = b.build(true, b.unary(fn, b.input(InputKind.FULL)));
            check(e, List.of(x), expected, fn.name());
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyBinaryFnWithBroadcasts() {
        List<DynamicTest> tests = new ArrayList<>();
        for (BinaryFn fn : BinaryFn.values()) {
            for (InputKind left : InputKind.values()) {
                for (InputKind right : InputKind.values()) {
                    if (left != InputKind.FULL && right != InputKind.FULL) continue;
                    tests.add(DynamicTest.dynamicTest(fn + " " + left + " " + right, () -> {
                        double[] a = inputs(fn.ordinal() * 7 + 1, length(left)), c = inputs(fn.ordinal() * 7 + 2, length(right));
                        GraphBuilder g = new GraphBuilder();
                        int y = g.binary(fn, g.input("a", type(left)), g.input("b", type(right)));
                        double[] expected = interpret(g.build(), Map.of("a", Tensor.of(a, dims(left)), "b", Tensor.of(c, dims(right))), y);
                        var b = FusedExpr.builder();
                        int ia = b.input(left), ib = b.input(right);
                        check(b.build(true, b.binary(fn, ia, ib)), List.of(a, c), expected, fn.name());
                    }));
                }
            }
        }
        return tests.stream();
    }

    /** select(x > s, leaky_relu(x), sqrt(s) * x) with s a scalar input: sqrt(s) is computed once, before the loop. */
    @Test
    void aChainWithALoopInvariantNode() {
        double[] x = inputs(99, N), s = {2.25};
        GraphBuilder g = new GraphBuilder();
        int xi = g.input("x", f64(ROWS, COLS)), si = g.input("s", f64());
        int y = g.select(g.binary(BinaryFn.GREATER, xi, si), g.leakyRelu(xi, 0.1), g.binary(BinaryFn.MUL, g.unaryAnyNumber(UnaryFn.SQRT, si), xi));
        double[] expected = interpret(g.build(), Map.of("x", Tensor.of(x, ROWS, COLS), "s", Tensor.of(s)), y);
        var b = FusedExpr.builder();
        int bx = b.input(InputKind.FULL), bs = b.input(InputKind.SCALAR);
        int e = b.select(b.binary(BinaryFn.GREATER, bx, bs), b.leakyRelu(0.1, bx), b.binary(BinaryFn.MUL, b.unary(UnaryFn.SQRT, bs), bx));
        check(b.build(true, e), List.of(x, s), expected, "chain");
    }

    @Test
    void f64ExpressionsCompileOnlyInTheScalarStyle() {
        var b = FusedExpr.builder();
        FusedExpr e = b.build(true, b.unary(UnaryFn.NEG, b.input(InputKind.FULL)));
        assertThrows(IllegalArgumentException.class, () -> ElementwiseClassWriter.write(e, ElementwiseStyle.VECTOR));
        ElementwiseKernel k = ElementwiseEmitter.compile(e, ElementwiseStyle.SCALAR);
        assertThrows(UnsupportedOperationException.class, () -> k.run(new float[][] {{1}}, new int[1], new float[][] {{0}}, new int[1], 1, 0));
    }

    private static void check(FusedExpr e, List<double[]> in, double[] expected, String what) {
        org.objectweb.asm.util.CheckClassAdapter.verify(new org.objectweb.asm.ClassReader(ElementwiseClassWriter.write(e, ElementwiseStyle.SCALAR)),
                false, new java.io.PrintWriter(System.err));
        ElementwiseKernel k = ElementwiseEmitter.compile(e, ElementwiseStyle.SCALAR);
        for (int offset : new int[] {0, PAD}) {
            double[][] ins = new double[in.size()][];
            int[] inOff = new int[in.size()];
            for (int i = 0; i < ins.length; i++) {
                ins[i] = new double[in.get(i).length + offset];
                System.arraycopy(in.get(i), 0, ins[i], offset, in.get(i).length);
                inOff[i] = offset;
            }
            double[] out = new double[N + offset + PAD];
            Arrays.fill(out, SENTINEL);
            k.run64(ins, inOff, new double[][] {out}, new int[] {offset}, N, COLS);
            for (int i = 0; i < out.length; i++) {
                boolean inside = i >= offset && i < offset + N;
                double want = inside ? expected[i - offset] : SENTINEL;
                assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(out[i]),
                        what + " offset " + offset + " at " + (i - offset) + ": " + want + " vs " + out[i]);
            }
        }
    }

    private static double[] interpret(Graph g, Map<String, Tensor> feeds, int fetch) {
        return new Interpreter(g, Precision.F32).run(feeds, Map.of(), List.of(fetch)).get(fetch).doubles();
    }

    private static int length(InputKind k) { return switch (k) { case FULL -> N; case ROW -> COLS; case SCALAR -> 1; }; }

    private static int[] dims(InputKind k) { return switch (k) { case FULL -> new int[] {ROWS, COLS}; case ROW -> new int[] {COLS}; case SCALAR -> new int[0]; }; }

    private static TensorType type(InputKind k) { return switch (k) { case FULL -> f64(ROWS, COLS); case ROW -> f64(COLS); case SCALAR -> f64(); }; }
}
