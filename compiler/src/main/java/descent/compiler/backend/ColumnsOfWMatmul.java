package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.DType;

/**
 * X·Wᵀ with W a variable (a layer's input gradient dZ·Wᵀ, or a forward product with a transposed W) split by
 * columns of C, which are rows of W, so that each core keeps to the rows of W it owns.
 */
final class ColumnsOfWMatmul {
    private ColumnsOfWMatmul() {}

    /**
     * Whether {@code n} is X·Wᵀ with W a variable (n×k, read transposed): usually a layer's input gradient dZ·Wᵀ,
     * but a forward {@code matmul(x, w, transpose_b=true)} matches too, and is split the same way. On several
     * threads it is split by columns of C, which are rows of W ({@link #call}), and is never run beside
     * another product ({@link BranchPairs}), which would have one core read all of W.
     */
    static boolean readsRowsOfW(Graph g, Node n) {
        return n.op() instanceof Op.MatMul m && !m.transposeA() && m.transposeB() && g.type(n.id()).dtype() == DType.F32
                && g.node(n.input(1)).op() instanceof Op.Variable;
    }

    /**
     * dZ·Wᵀ (W a variable stored n×k: a layer's input gradient) split by columns of C, which are rows of W: part p
     * computes C[:, n₀:n₁] = dZ·W[n₀:n₁, :]ᵀ, n₀ = {@link RowBlocks#firstRow}(p, parts, n), the rows of W its thread also
     * reads in the forward product ({@link SplitKMatmul}), takes the weight gradient of ({@link WeightGradientCalls}) and
     * updates, so W never moves between cores in a step. (Split by rows of C, both cores read all of W, which the
     * update then writes half by half: each of W's lines goes from one core's cache to the other's.) The price is
     * one cache line per row of C that both threads write, since Java arrays are not aligned to lines. Bitwise the
     * unsplit product: a column of C is the same dot products in the same order whichever kernel computes it. A
     * call below {@link WeightGradientCalls#PARALLEL_MACS_WEIGHT_GRADIENT} (a small batch) runs the whole product on the calling
     * thread.
     */
    static void call(KernelCalls c, MatmulShape whole, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int parts = c.threads.threads(), n = whole.n(), k = whole.k();
        EmittedMatmul dense = Kernels.get("matmul " + whole + epi.tag(), () -> MatmulEmitter.emit(whole, epi));
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        int[] scratch = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            int cols = RowBlocks.firstRow(p + 1, parts, n) - RowBlocks.firstRow(p, parts, n);
            MatmulShape s = cols == 0 ? null : new MatmulShape(whole.m(), k, cols, false, true, DType.F32).withStrides(k, k, n);
            kernels[p] = s == null ? null : Kernels.get("matmul " + s + epi.tag(), () -> MatmulEmitter.emit(s, epi));
            scratch[p] = kernels[p] != null && kernels[p].scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        scratch[parts] = dense.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(dense.scratchFloats(), 0)) : -1;
        int holder = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            int rows = whole.hasRuntimeM() ? b : whole.m();
            if ((long) rows * k * n < WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT) {
                dense.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows,
                        scratch[parts] < 0 ? null : (float[]) buf[scratch[parts]], bias < 0 ? null : (float[]) buf[bias], 0);
                return;
            }
            Object[] h = (Object[]) buf[holder];
            ColumnParts ps = (ColumnParts) h[0];
            if (ps == null) h[0] = ps = new ColumnParts(kernels, scratch, k, n, x, y, bias, id);
            ps.run(c.threads, buf, rows);
        });
    }

    /** Part p computes C's columns n₀:n₁, which are rows of W ({@link #call}). */
    private static final class ColumnParts extends ProductParts {
        ColumnParts(EmittedMatmul[] kernels, int[] scratch, int k, int n, int x, int y, int bias, int id) {
            super(kernels, scratch, k, n, x, y, bias, id);
        }

        @Override public void accept(int p) {
            if (kernels[p] == null) return;
            int from = RowBlocks.firstRow(p, kernels.length, n);
            kernels[p].kernel().run((float[]) buf[x], 0, (float[]) buf[y], from * k, (float[]) buf[id], from, rows,
                    scratchOf(p), biasRow(), from);
        }
    }
}
