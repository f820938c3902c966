package descent.compiler.emit;

import static descent.compiler.emit.ElementwiseTestSupport.assertUlps;
import static descent.compiler.emit.ElementwiseTestSupport.compile;
import static descent.compiler.emit.ElementwiseTestSupport.inputs;
import static descent.compiler.emit.ElementwiseTestSupport.interpretAll;
import static descent.compiler.emit.ElementwiseTestSupport.styles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Fused expressions built from IR graphs: several outputs in one pass, shared subexpressions, selects and
 * leaky ReLUs, scalar and row broadcasts, loop-invariant parts, in-place updates; FusedExpr.from's
 * contract; argument checks and repeatability of the generated kernels.
 */
class ElementwiseFusionTest {
    private static TensorType f32(long... dims) { return new TensorType(DType.F32, Shape.of(dims)); }

    /** A graph, the nodes to fuse and feeds for its inputs (by name, in leaf order). */
    private record Case(Graph graph, List<Integer> outputs, List<Integer> leaves, Map<String, Tensor> feeds, int rowLength) {}

    /**
     * x: [rows, cols] full, bias: [cols] row, s: [] scalar. Three outputs sharing subexpressions, through
     * selects, comparisons, leaky ReLU (alpha 0.25 is a float, 0.2 is not), its gradient, squared difference
     * and a tanh gradient (double-lane formulas), constants, and a scalar-only subexpression.
     */
    private static Case exactCase(int rows, int cols) {
        GraphBuilder g = new GraphBuilder();
        int x = g.input("x", f32(rows, cols)), bias = g.input("bias", f32(cols)), s = g.input("s", TensorType.scalar(DType.F32));
        int pre = g.binary(BinaryFn.ADD, g.binary(BinaryFn.MUL, x, s), bias);
        int act = g.leakyRelu(pre, 0.2);
        int inv = g.unary(UnaryFn.SQRT, g.binary(BinaryFn.ADD, s, g.scalar(1.5, DType.F32)));   // loop-invariant
        int mask = g.binary(BinaryFn.GREATER, pre, g.scalar(0.25, DType.F32));
        int out1 = g.select(mask, g.binary(BinaryFn.DIV, act, inv), g.leakyRelu(pre, 0.25));
        int out2 = g.binary(BinaryFn.TANH_GRAD, g.unary(UnaryFn.RELU6, pre), g.leakyReluGrad(x, pre, 0.2));
        int out3 = g.binary(BinaryFn.SQUARED_DIFFERENCE, out1, g.binary(BinaryFn.MAX, act, bias));
        float[] xs = inputs(7, rows * cols), bs = inputs(8, cols);
        return new Case(g.build(), List.of(out1, out2, out3), List.of(x, bias, s),
                Map.of("x", Tensor.of(xs, rows, cols), "bias", Tensor.of(bs, cols), "s", Tensor.scalar(-0.75f)), cols);
    }

    @Test
    void multiOutputExpressionsAgreeBitwiseWithTheInterpreter() {
        for (int[] shape : new int[][] {{1, 1}, {1, 19}, {3, 7}, {5, 16}, {9, 17}, {2, 33}, {40, 100}}) {
            Case c = exactCase(shape[0], shape[1]);
            FusedExpr e = FusedExpr.from(c.graph(), c.outputs(), c.leaves());
            // [1, 1] makes every leaf a scalar (the whole expression is loop-invariant); [1, n] makes the bias full.
            List<InputKind> kinds = shape[0] == 1 && shape[1] == 1 ? List.of(InputKind.SCALAR, InputKind.SCALAR, InputKind.SCALAR)
                    : shape[0] == 1 ? List.of(InputKind.FULL, InputKind.FULL, InputKind.SCALAR)
                    : List.of(InputKind.FULL, InputKind.ROW, InputKind.SCALAR);
            assertEquals(kinds, e.inputs());
            List<float[]> expected = interpretAll(c.graph(), c.feeds(), Map.of(), c.outputs());
            for (ElementwiseStyle style : styles()) {
                List<float[]> got = run(compile(e, style), c);
                for (int j = 0; j < expected.size(); j++) {
                    assertUlps(expected.get(j), got.get(j), 0, expected.get(j).length, 0,
                            "output " + j + " " + style + " " + shape[0] + "x" + shape[1]);
                }
            }
        }
    }

    @Test
    void loopInvariantTranscendentalsAreExactInEveryStyle() {
        // exp(s) reads only a scalar: computed once, in scalar code, so even VECTOR gives the interpreter's bits.
        GraphBuilder g = new GraphBuilder();
        int x = g.input("x", f32(1000)), s = g.input("s", TensorType.scalar(DType.F32));
        int out = g.binary(BinaryFn.MUL, x, g.unary(UnaryFn.EXP, g.unary(UnaryFn.SIGMOID, s)));
        Case c = new Case(g.build(), List.of(out), List.of(x, s),
                Map.of("x", Tensor.of(inputs(9, 1000), 1000), "s", Tensor.scalar(0.3f)), 0);
        float[] expected = interpretAll(c.graph(), c.feeds(), Map.of(), c.outputs()).get(0);
        for (ElementwiseStyle style : styles()) {
            assertUlps(expected, run(compile(FusedExpr.from(c.graph(), c.outputs(), c.leaves()), style), c).get(0), 0, 1000, 0,
                    style.name());
        }
    }

    @Test
    void anOutputMayBeAConstantOrAnInputAndInputsMayGoUnused() {
        var b = FusedExpr.builder();
        int x = b.input(InputKind.FULL), s;
        b.input(InputKind.FULL);   // never read
        s = b.input(InputKind.SCALAR);
        FusedExpr e = b.build(b.constant(0.1), x, b.binary(BinaryFn.SUB, s, b.constant(1)));
        assertEquals(3, e.inputs().size());
        for (ElementwiseStyle style : styles()) {
            float[] xs = inputs(10, 37), c = new float[37], copy = new float[37], d = new float[37];
            // The unused input may be null: dead inputs are never read.
            compile(e, style).run(new float[][] {xs, null, {4f}}, new int[3], new float[][] {c, copy, d}, new int[3], 37, 0);
            for (int i = 0; i < 37; i++) {
                assertEquals(0.1f, c[i]);
                assertEquals(Float.floatToIntBits(xs[i]), Float.floatToIntBits(copy[i]));
                assertEquals(3f, d[i]);
            }
        }
    }

    @Test
    void inPlaceUpdatesReadEachElementBeforeWritingIt() {
        // var -= lr * g; acc += g * g, with var and acc both read and written in the same arrays.
        var b = FusedExpr.builder();
        int var = b.input(InputKind.FULL), acc = b.input(InputKind.FULL), g = b.input(InputKind.FULL), lr = b.input(InputKind.SCALAR);
        FusedExpr e = b.build(b.binary(BinaryFn.SUB, var, b.binary(BinaryFn.MUL, lr, g)),
                b.binary(BinaryFn.ADD, acc, b.binary(BinaryFn.MUL, g, g)));
        for (ElementwiseStyle style : styles()) {
            int n = 1003, off = 11;
            float[] arena = inputs(11, off + 3 * n + 1);
            float[] w = inputs(12, n), a = inputs(13, n), grad = inputs(14, n);
            System.arraycopy(w, 0, arena, off, n);
            System.arraycopy(a, 0, arena, off + n, n);
            System.arraycopy(grad, 0, arena, off + 2 * n, n);
            float[] before = arena.clone();
            compile(e, style).run(new float[][] {arena, arena, arena, {0.01f}}, new int[] {off, off + n, off + 2 * n, 0},
                    new float[][] {arena, arena}, new int[] {off, off + n}, n, 0);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(w[i] - 0.01f * grad[i]), Float.floatToIntBits(arena[off + i]), "var " + i);
                assertEquals(Float.floatToIntBits(a[i] + grad[i] * grad[i]), Float.floatToIntBits(arena[off + n + i]), "acc " + i);
            }
            for (int i = 0; i < off; i++) assertEquals(Float.floatToIntBits(before[i]), Float.floatToIntBits(arena[i]));
            assertArrayEquals(java.util.Arrays.copyOfRange(before, off + 2 * n, arena.length),
                    java.util.Arrays.copyOfRange(arena, off + 2 * n, arena.length), "the gradient is read, not written");
        }
    }

    @Test
    void resultsAreBitwiseRepeatable() {
        Case c = exactCase(31, 29);
        FusedExpr e = FusedExpr.from(c.graph(), c.outputs(), c.leaves());
        var b = FusedExpr.builder();
        int x = b.input(InputKind.FULL);
        FusedExpr trans = b.build(b.unary(UnaryFn.TANH, x), b.unary(UnaryFn.SIGMOID, x), b.binary(BinaryFn.POW, x, b.constant(1.7)));
        float[] xs = inputs(15, 4099);
        for (ElementwiseStyle style : styles()) {
            ElementwiseKernel k1 = compile(e, style), k2 = compile(e, style);
            List<float[]> first = run(k1, c), again = run(k1, c), other = run(k2, c);
            for (int j = 0; j < first.size(); j++) {
                assertArrayEquals(first.get(j), again.get(j), style + " same kernel, output " + j);
                assertArrayEquals(first.get(j), other.get(j), style + " a second compilation, output " + j);
            }
            ElementwiseKernel t = compile(trans, style);
            float[][] r1 = {new float[4099], new float[4099], new float[4099]}, r2 = {new float[4099], new float[4099], new float[4099]};
            t.run(new float[][] {xs}, new int[1], r1, new int[3], 4099, 0);
            t.run(new float[][] {xs}, new int[1], r2, new int[3], 4099, 0);
            for (int j = 0; j < 3; j++) assertArrayEquals(r1[j], r2[j], style + " transcendental output " + j);
        }
    }

    @Test
    void argumentsAreChecked() {
        var b = FusedExpr.builder();
        int x = b.input(InputKind.FULL), r = b.input(InputKind.ROW);
        FusedExpr rowExpr = b.build(b.binary(BinaryFn.ADD, x, r));
        for (ElementwiseStyle style : styles()) {
            ElementwiseKernel k = compile(rowExpr, style);
            float[][] in = {new float[12], new float[4]}, out = {new float[12]};
            assertThrows(IllegalArgumentException.class, () -> k.run(in, new int[2], out, new int[1], 12, 5));
            assertThrows(IllegalArgumentException.class, () -> k.run(in, new int[2], out, new int[1], 12, 0));
            assertThrows(IllegalArgumentException.class, () -> k.run(in, new int[2], out, new int[1], -1, 4));
            k.run(new float[][] {null, null}, new int[2], new float[][] {null}, new int[1], 0, 0);   // nothing to do, nothing read
            k.run(in, new int[2], out, new int[1], 12, 4);
            assertThrows(IndexOutOfBoundsException.class, () -> k.run(in, new int[2], out, new int[1], 16, 4));
        }
    }

    @Test
    void fromRejectsWhatOneLoopCannotCompute() {
        GraphBuilder g = new GraphBuilder();
        int x = g.input("x", f32(4, 6)), col = g.input("col", f32(4, 1)), v = g.variable("v", f32(6));
        int sum = g.reduce(ReduceFn.SUM, x, new int[] {1}, true);
        int viaReduce = g.binary(BinaryFn.MUL, x, sum);
        int viaColumn = g.binary(BinaryFn.ADD, x, col);
        int viaVariable = g.binary(BinaryFn.ADD, x, v);
        int small = g.unary(UnaryFn.EXP, v);
        Graph graph = g.build();
        var e1 = assertThrows(IllegalArgumentException.class, () -> FusedExpr.from(graph, List.of(viaReduce), Set.of(x)));
        assertTrue(e1.getMessage().contains("reduce_sum") && e1.getMessage().contains("leaves"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> FusedExpr.from(graph, List.of(viaColumn), Set.of(x, col)));
        assertTrue(e2.getMessage().contains("[4, 1]"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FusedExpr.from(graph, List.of(viaVariable), Set.of(x)));
        assertThrows(IllegalArgumentException.class, () -> FusedExpr.from(graph, List.of(viaVariable, small), Set.of(x, v)));
        assertThrows(IllegalArgumentException.class, () -> FusedExpr.from(graph, List.of(viaVariable), List.of(x, v, x)));
        // The largest fusion stops at the reduction, the column and the leaves of the graph.
        assertEquals(Set.of(x, sum), FusedExpr.maximalLeaves(graph, List.of(viaReduce)));
        assertEquals(Set.of(x, col), FusedExpr.maximalLeaves(graph, List.of(viaColumn)));
        assertEquals(List.of(InputKind.FULL, InputKind.ROW), FusedExpr.from(graph, List.of(viaVariable), Set.of(x, v)).inputs());
    }

    @Test
    void symbolicShapesClassifyByTheirDimensions() {
        Shape domain = new Shape(List.of(Dim.sym("batch"), Dim.of(10)));
        assertEquals(InputKind.FULL, FusedExpr.kindOf(domain, domain));
        assertEquals(InputKind.ROW, FusedExpr.kindOf(Shape.of(1, 10), domain));
        assertEquals(InputKind.SCALAR, FusedExpr.kindOf(Shape.of(1, 1), domain));
        assertEquals(null, FusedExpr.kindOf(new Shape(List.of(Dim.sym("batch"), Dim.of(1))), domain));
        assertEquals(InputKind.FULL, FusedExpr.kindOf(Shape.of(1, 10), Shape.of(10)));
    }

    @Test
    void expressionsAreValidatedAndPrintable() {
        assertThrows(IllegalArgumentException.class, () -> new FusedExpr(List.of(InputKind.FULL),
                List.of(new ExprNode.Unary(UnaryFn.EXP, 1), new ExprNode.Input(0)), List.of(0)));
        assertThrows(IllegalArgumentException.class, () -> new FusedExpr(List.of(), List.of(new ExprNode.Input(0)), List.of(0)));
        assertThrows(IllegalArgumentException.class, () -> new FusedExpr(List.of(InputKind.FULL), List.of(new ExprNode.Input(0)), List.of()));
        var b = FusedExpr.builder();
        FusedExpr e = b.build(b.binary(BinaryFn.TANH_GRAD, b.input(InputKind.FULL), b.input(InputKind.SCALAR)));
        assertEquals("%0 = input 0 (full)\n%1 = input 1 (scalar)\n%2 = tanh_grad %0, %1\noutputs [%2]", e.toString());
        assertTrue(ElementwiseEmitter.compile(e, ElementwiseStyle.SCALAR).toString().contains("tanh_grad %0, %1"));
    }

    @Test
    void theVectorApiIsAvailableWhenTheModuleIs() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module, ElementwiseEmitter.vectorApiAvailable());
        assertEquals(module ? ElementwiseStyle.VECTOR_DOUBLE_MATH : ElementwiseStyle.SCALAR, ElementwiseEmitter.styleFor(exactExpr()));
        // sin, cos and pow only have the JDK's vector math library in vector lanes, whose bits depend on the JIT tier.
        var b = FusedExpr.builder();
        assertEquals(ElementwiseStyle.SCALAR, ElementwiseEmitter.styleFor(b.build(b.unary(UnaryFn.SIN, b.input(InputKind.FULL)))));
        if (!module) assertThrows(IllegalStateException.class, () -> ElementwiseEmitter.emit(exactExpr(), ElementwiseStyle.VECTOR));
        assertNotEquals(0, ElementwiseEmitter.emit(exactExpr(), ElementwiseStyle.SCALAR).length);
    }

    /** A pass whose double-lane math would be a method too large for C2 is compiled scalar; a small one is not. */
    @Test
    void aPassTooLargeForTheJitInDoubleLaneMathIsCompiledScalar() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ElementwiseEmitter.vectorApiAvailable());
        var b = FusedExpr.builder();
        int x = b.input(InputKind.FULL);
        List<Integer> outs = new java.util.ArrayList<>();
        int y = b.unary(UnaryFn.NEG, x);
        for (UnaryFn fn : List.of(UnaryFn.EXP, UnaryFn.LOG, UnaryFn.LOG1P, UnaryFn.TANH, UnaryFn.SIGMOID, UnaryFn.SOFTPLUS, UnaryFn.ELU, UnaryFn.SELU)) {
            outs.add(b.unary(fn, x));
            outs.add(b.unary(fn, y));
        }
        outs.add(b.binary(BinaryFn.SOFTPLUS_GRAD, x, x));
        FusedExpr big = b.build(outs.stream().mapToInt(Integer::intValue).toArray());
        assertTrue(KernelClassFile.largestMethod(ElementwiseEmitter.emit(big, ElementwiseStyle.VECTOR_DOUBLE_MATH)) >= KernelClassFile.HUGE_METHOD);
        assertTrue(ElementwiseEmitter.compileForBackend(big, null).toString().startsWith("ElementwiseKernel SCALAR"));
        var s = FusedExpr.builder();
        FusedExpr small = s.build(s.unary(UnaryFn.TANH, s.input(InputKind.FULL)));
        int bytes = KernelClassFile.largestMethod(ElementwiseEmitter.emit(small, ElementwiseStyle.VECTOR_DOUBLE_MATH));
        assertTrue(bytes > 500 && bytes < KernelClassFile.HUGE_METHOD, bytes + " bytes");
        assertTrue(ElementwiseEmitter.compileForBackend(small, null).toString().startsWith("ElementwiseKernel VECTOR_DOUBLE_MATH"));
    }

    private static FusedExpr exactExpr() {
        Case c = exactCase(2, 3);
        return FusedExpr.from(c.graph(), c.outputs(), c.leaves());
    }

    /** Runs the kernel on the case's feeds (leaves in order) and returns each output. */
    private static List<float[]> run(ElementwiseKernel k, Case c) {
        Map<Integer, String> names = new HashMap<>();
        c.graph().nodes().forEach(n -> { if (n.op() instanceof descent.compiler.ir.Op.Input in) names.put(n.id(), in.name()); });
        float[][] in = c.leaves().stream().map(l -> c.feeds().get(names.get(l)).floats()).toArray(float[][]::new);
        int n = c.feeds().get(names.get(c.leaves().get(0))).size();
        float[][] out = new float[c.outputs().size()][n];
        k.run(in, new int[in.length], out, new int[out.length], n, c.rowLength());
        return List.of(out);
    }
}
