package descent.compiler.emit;

import static descent.compiler.emit.ElementwiseTestSupport.EDGES;
import static descent.compiler.emit.ElementwiseTestSupport.LENGTHS;
import static descent.compiler.emit.ElementwiseTestSupport.assertUlps;
import static descent.compiler.emit.ElementwiseTestSupport.compile;
import static descent.compiler.emit.ElementwiseTestSupport.copyOf;
import static descent.compiler.emit.ElementwiseTestSupport.inputs;
import static descent.compiler.emit.ElementwiseTestSupport.interpret;
import static descent.compiler.emit.ElementwiseTestSupport.interpretAll;
import static descent.compiler.emit.ElementwiseTestSupport.pairedInputs;
import static descent.compiler.emit.ElementwiseTestSupport.styles;
import static descent.compiler.emit.ElementwiseTestSupport.transcendental;
import static descent.compiler.emit.ElementwiseTestSupport.ulpBound;
import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.ir.BinaryFn;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every UnaryFn and BinaryFn of the IR, each compiled alone in every style, against the reference
 * interpreter running the same op: random and edge inputs (all pairs of edge values for binary ops), every
 * test length (so the vector loop, its masked tail and the scalar loop all run), scalar and row broadcasts
 * on either side, zero and non-zero offsets (the scalar style's two loops), and nothing written outside
 * the output's range.
 */
class ElementwiseOpsTest {
    private static final int N = 4099, IN_PAD = 3, OUT_PAD = 5;
    private static final float SENTINEL = -1234.5f;
    private static final TensorType F32_SCALAR = TensorType.scalar(DType.F32);

    private static TensorType f32(long... dims) { return new TensorType(DType.F32, Shape.of(dims)); }

    @TestFactory
    Stream<DynamicTest> everyUnaryFn() {
        return Arrays.stream(UnaryFn.values()).map(fn -> DynamicTest.dynamicTest(fn.name(), () -> {
            float[] x = inputs(fn.ordinal() + 1, N);
            GraphBuilder g = new GraphBuilder();
            int y = g.unaryAnyNumber(fn, g.input("x", f32(N)));
            float[] expected = interpret(g.build(), Map.of("x", Tensor.of(x, N)), y);

            var b = FusedExpr.builder();
            FusedExpr e = b.build(b.unary(fn, b.input(InputKind.FULL)));
            for (ElementwiseStyle style : styles()) {
                ElementwiseKernel k = compile(e, style);
                for (int n : LENGTHS) {
                    float[] out = runPadded(k, new float[][] {x}, n, 0);
                    assertUlps(expected, out, OUT_PAD, n, ulpBound(style, transcendental(fn)), fn + " " + style + " n=" + n, x);
                    assertUntouched(out, n);
                }
                float[] same = new float[N];   // every offset 0: the scalar style's offset-free loop
                k.run(new float[][] {x}, new int[1], new float[][] {same}, new int[1], N, 0);
                assertUlps(expected, same, 0, N, ulpBound(style, transcendental(fn)), fn + " " + style + " zero offsets", x);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyBinaryFn() {
        return Arrays.stream(BinaryFn.values()).map(fn -> DynamicTest.dynamicTest(fn.name(), () -> {
            float[] a = inputs(100 + fn.ordinal(), N);
            float[] bs = pairedInputs(a, 200 + fn.ordinal());
            GraphBuilder g = new GraphBuilder();
            int z = g.binary(fn, g.input("a", f32(N)), g.input("b", f32(N)));
            float[] expected = interpret(g.build(), Map.of("a", Tensor.of(a, N), "b", Tensor.of(bs, N)), z);
            List<Broadcast> broadcasts = List.of(row(fn, 16), row(fn, 17), scalar(fn));

            var eb = FusedExpr.builder();
            FusedExpr e = eb.build(eb.binary(fn, eb.input(InputKind.FULL), eb.input(InputKind.FULL)));
            // One kernel per broadcast kind computes both operand orders; the row kernel serves every row length.
            var rb = FusedExpr.builder();
            int rf = rb.input(InputKind.FULL), rr = rb.input(InputKind.ROW);
            FusedExpr rowExpr = rb.build(rb.binary(fn, rf, rr), rb.binary(fn, rr, rf));
            var sb = FusedExpr.builder();
            int sf = sb.input(InputKind.FULL), ss = sb.input(InputKind.SCALAR);
            FusedExpr scalarExpr = sb.build(sb.binary(fn, sf, ss), sb.binary(fn, ss, sf));
            for (ElementwiseStyle style : styles()) {
                ElementwiseKernel k = compile(e, style);
                long tol = ulpBound(style, fn);
                for (int n : LENGTHS) {
                    float[] out = runPadded(k, new float[][] {a, bs}, n, 0);
                    assertUlps(expected, out, OUT_PAD, n, tol, fn + " " + style + " n=" + n, a, bs);
                    assertUntouched(out, n);
                }
                float[] same = new float[N];
                k.run(new float[][] {a, bs}, new int[2], new float[][] {same}, new int[1], N, 0);
                assertUlps(expected, same, 0, N, tol, fn + " " + style + " zero offsets", a, bs);
                ElementwiseKernel rowKernel = compile(rowExpr, style), scalarKernel = compile(scalarExpr, style);
                for (Broadcast bc : broadcasts) bc.check(bc.rowLength() > 0 ? rowKernel : scalarKernel, style, tol);
            }
        }));
    }

    /**
     * Operands (full, other) for a kernel computing {@code full op other} and {@code other op full}, and the
     * interpreter's two results, for each value of the other operand.
     */
    private record Broadcast(String name, List<float[][]> operands, List<float[][]> expected, int n, int rowLength) {
        void check(ElementwiseKernel k, ElementwiseStyle style, long tol) {
            for (int i = 0; i < operands.size(); i++) {
                float[][] ops = operands.get(i);
                float[][] out = runPadded(k, ops, 2, n, rowLength);
                String what = name + " " + style + (rowLength == 0 ? " scalar " + ops[1][0] : " " + n / rowLength + "x" + rowLength);
                assertUlps(expected.get(i)[0], out[0], OUT_PAD, n, tol, what + ": full op other", ops[0], ops[1]);
                assertUlps(expected.get(i)[1], out[1], OUT_PAD, n, tol, what + ": other op full", ops[1], ops[0]);
                assertUntouched(out[0], n);
                assertUntouched(out[1], n);
            }
        }
    }

    /** [rows, cols] op [cols] and [cols] op [rows, cols]: a row along the last axis, on either side. */
    private static Broadcast row(BinaryFn fn, int cols) {
        int rows = 61, n = rows * cols;
        float[] full = inputs(300 + fn.ordinal(), n), row = copyOf(inputs(400 + fn.ordinal(), EDGES.length + cols), cols);
        GraphBuilder g = new GraphBuilder();
        int f = g.input("f", f32(rows, cols)), r = g.input("r", f32(cols));
        int z1 = g.binary(fn, f, r), z2 = g.binary(fn, r, f);
        List<float[]> expected = interpretAll(g.build(), Map.of("f", Tensor.of(full, rows, cols), "r", Tensor.of(row, cols)),
                Map.of(), List.of(z1, z2));
        return new Broadcast(fn + " row", List.<float[][]>of(new float[][] {full, row}),
                List.<float[][]>of(expected.toArray(float[][]::new)), n, cols);
    }

    /** A scalar on either side, for a few telling scalar values. */
    private static Broadcast scalar(BinaryFn fn) {
        int n = 1000;
        float[] full = inputs(500 + fn.ordinal(), n);
        List<float[][]> operands = new ArrayList<>(), expected = new ArrayList<>();
        for (float s : new float[] {0f, -0f, 2.5f, -1f, Float.NaN, Float.NEGATIVE_INFINITY}) {
            GraphBuilder g = new GraphBuilder();
            int f = g.input("f", f32(n)), sc = g.input("s", F32_SCALAR);
            int z1 = g.binary(fn, f, sc), z2 = g.binary(fn, sc, f);
            expected.add(interpretAll(g.build(), Map.of("f", Tensor.of(full, n), "s", Tensor.scalar(s)), Map.of(), List.of(z1, z2))
                    .toArray(float[][]::new));
            operands.add(new float[][] {full, {s}});
        }
        return new Broadcast(fn + " scalar", operands, expected, n, 0);
    }

    /**
     * Runs {@code k} with every operand copied IN_PAD floats into a larger array and the output OUT_PAD
     * floats into a sentinel-filled one, so wrong offsets and stray writes show.
     */
    static float[] runPadded(ElementwiseKernel k, float[][] operands, int n, int rowLength) {
        return runPadded(k, operands, 1, n, rowLength)[0];
    }

    static float[][] runPadded(ElementwiseKernel k, float[][] operands, int outputs, int n, int rowLength) {
        float[][] in = new float[operands.length][];
        int[] inOff = new int[operands.length];
        for (int i = 0; i < operands.length; i++) {
            in[i] = new float[operands[i].length + 2 * IN_PAD];
            Arrays.fill(in[i], Float.NaN);
            System.arraycopy(operands[i], 0, in[i], IN_PAD, operands[i].length);
            inOff[i] = IN_PAD;
        }
        float[][] out = new float[outputs][n + 2 * OUT_PAD];
        int[] outOff = new int[outputs];
        for (int j = 0; j < outputs; j++) {
            Arrays.fill(out[j], SENTINEL);
            outOff[j] = OUT_PAD;
        }
        k.run(in, inOff, out, outOff, n, rowLength);
        return out;
    }

    static void assertUntouched(float[] out, int n) {
        for (int i = 0; i < OUT_PAD; i++) {
            assertEquals(SENTINEL, out[i], "wrote before the output range");
            assertEquals(SENTINEL, out[OUT_PAD + n + i], "wrote after the output range (n=" + n + ")");
        }
    }
}
