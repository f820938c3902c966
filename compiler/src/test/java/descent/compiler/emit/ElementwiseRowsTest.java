package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ElementwiseKernel#runRows}, the sparse-update row loop, against the same kernel's {@code run} called
 * once per listed row with the offsets a gather and a scatter would use: the same bits, rows the mask skips
 * and rows not listed untouched, in every style, for widths below, at and past the vector length.
 */
class ElementwiseRowsTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 20, 64, 67})
    void listedRowsEqualOneRunPerRow(int width) {
        // new_v = v * 0.9 + g*g (gathered v, row-shaped g); new_w = w - lr * g / (sqrt(new_v) + eps[col])
        FusedExpr.Builder b = FusedExpr.builder();
        int v = b.input(InputKind.FULL), w = b.input(InputKind.FULL), g = b.input(InputKind.FULL);
        int lr = b.input(InputKind.SCALAR), eps = b.input(InputKind.ROW);
        int newV = b.binary(BinaryFn.ADD, b.binary(BinaryFn.MUL, v, b.constant(0.9)), b.unary(UnaryFn.SQUARE, g));
        int newW = b.binary(BinaryFn.SUB, w, b.binary(BinaryFn.DIV, b.binary(BinaryFn.MUL, lr, g),
                b.binary(BinaryFn.ADD, b.unary(UnaryFn.SQRT, newV), eps)));
        FusedExpr expr = b.build(newV, newW);
        boolean[] gathered = {true, true, false, false, false};

        int rows = 11, n = 9;
        int[] idx = {3, 7, 3, 0, 10, 5, 7, 9, 2};
        float[] mask = {1, 1, 0, 1, 1, 1, 0, 0, 1};   // repeats of 3 and 7 masked, and row 9 skipped
        SplittableRandom rnd = new SplittableRandom(width);
        float[] vState = random(rnd, rows * width), wState = random(rnd, rows * width), grad = random(rnd, n * width);
        for (int i = 0; i < vState.length; i++) vState[i] = Math.abs(vState[i]);
        float[] lrArr = {0.1f}, epsArr = random(rnd, width);
        for (int i = 0; i < epsArr.length; i++) epsArr[i] = Math.abs(epsArr[i]) + 1e-3f;

        List<ElementwiseStyle> styles = new ArrayList<>(List.of(ElementwiseStyle.SCALAR));
        if (ElementwiseEmitter.vectorApiAvailable()) styles.add(ElementwiseStyle.VECTOR);
        for (ElementwiseStyle style : styles) {
            ElementwiseKernel k = ElementwiseEmitter.compileRows(expr, gathered, style);
            float[] v1 = vState.clone(), w1 = wState.clone();
            for (int p = 0; p < n; p++) {
                if (mask[p] == 0) continue;
                int row = idx[p] * width;
                k.run(new float[][] {v1, w1, grad, lrArr, epsArr}, new int[] {row, row, p * width, 0, 0},
                        new float[][] {v1, w1}, new int[] {row, row}, width, width);
            }
            float[] v2 = vState.clone(), w2 = wState.clone();
            for (int repeat = 0; repeat < 3; repeat++) {   // warm enough for a second path to differ, were it wrong
                float[] v3 = vState.clone(), w3 = wState.clone();
                k.runRows(new float[][] {v3, w3, grad, lrArr, epsArr}, new int[5], new float[][] {v3, w3}, new int[2], idx, mask, 0, n, width);
                v2 = v3;
                w2 = w3;
            }
            assertEquals(Arrays.toString(v1), Arrays.toString(v2), style + ": new v rows");
            // The positions in two ranges, the later first: the same rows.
            float[] v4 = vState.clone(), w4 = wState.clone();
            float[][] in4 = {v4, w4, grad, lrArr, epsArr}, out4 = {v4, w4};
            k.runRows(in4, new int[5], out4, new int[2], idx, mask, 4, n, width);
            k.runRows(in4, new int[5], out4, new int[2], idx, mask, 0, 4, width);
            assertEquals(Arrays.toString(v1), Arrays.toString(v4), style + ": two ranges, v");
            assertEquals(Arrays.toString(w1), Arrays.toString(w4), style + ": two ranges, w");
            assertEquals(Arrays.toString(w1), Arrays.toString(w2), style + ": new w rows");
            for (int r : new int[] {1, 4, 6, 8, 9}) {
                for (int c = 0; c < width; c++) assertEquals(vState[r * width + c], v2[r * width + c], style + ": row " + r + " not listed");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4})
    void aGatheredInputMustBeFull(int unused) {
        FusedExpr.Builder b = FusedExpr.builder();
        int s = b.input(InputKind.SCALAR);
        FusedExpr expr = b.build(b.unary(UnaryFn.NEG, s));
        assertThrows(IllegalArgumentException.class, () -> ElementwiseEmitter.compileRows(expr, new boolean[] {true}, ElementwiseStyle.SCALAR));
        ElementwiseKernel plain = ElementwiseEmitter.compile(expr, ElementwiseStyle.SCALAR);
        assertThrows(UnsupportedOperationException.class,
                () -> plain.runRows(new float[][] {{1}}, new int[1], new float[][] {{0}}, new int[1], new int[] {0}, new float[] {1}, 0, 1, 1));
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
