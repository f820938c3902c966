package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.StepWriter;
import java.util.ArrayList;
import java.util.List;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulShape;
import descent.runtime.DType;

/**
 * A product of the column layout — the batch as C's columns (W·X, X stored features × batch) or contracted with a
 * row-major A or a transposed B (its weight gradient dZ·Xᵀ) — on runtime-N or runtime-K kernels, and on several
 * threads split by rows of C, which are rows of W: each core reads (forward) or writes (weight gradient) its own
 * rows of W, as the splits of the row layout do ({@link ColumnsOfWMatmul}, {@link WeightGradientCalls}). Every
 * element of C is the same fma chain whichever part computes it, so the bits are one thread's.
 */
final class ColumnLayoutMatmul {
    private ColumnLayoutMatmul() {}

    /** {@code k} or {@code cols} is -1, the batch; {@code rows} is static. */
    static void call(KernelCalls c, int rows, int k, int cols, boolean ta, boolean tb, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int parts = c.threads.threads();
        EmittedMatmul whole = kernel(rows, rows, k, cols, ta, tb, epi);
        if (parts == 1) {
            MatmulCalls.invokeAtBatch(c, whole, x, y, bias, id);
            return;
        }
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        for (int p = 0; p < parts; p++) {
            int r = RowBlocks.rowsOf(p, parts, rows);
            kernels[p] = r == 0 ? null : kernel(r, rows, k, cols, ta, tb, epi);
        }
        String label = "matmul_" + id;
        List<StepWriter.Action> unsplit = List.of(KernelCalls.invokes(MatmulCalls.product(whole, x, Arg.constant(0), y, Arg.constant(0), id,
                Arg.constant(0), Arg.batch(), scratch(c, whole), bias, Arg.constant(0)), label));
        List<List<StepWriter.Action>> split = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            if (kernels[p] == null) {
                split.add(List.of());
                continue;
            }
            int from = RowBlocks.firstRow(p, parts, rows);
            Arg aOff = ta ? Arg.constant(from) : k < 0 ? new Arg.Count(from, 1) : Arg.constant(Math.multiplyExact(from, k));
            Arg cOff = cols < 0 ? new Arg.Count(from, 1) : Arg.constant(Math.multiplyExact(from, cols));
            split.add(List.of(KernelCalls.invokes(MatmulCalls.product(kernels[p], x, aOff, y, Arg.constant(0), id, cOff, Arg.batch(),
                    scratch(c, kernels[p]), bias, Arg.constant(0)), label + "_rows" + p)));
        }
        // k or cols is the batch: the multiply-adds are rows · (the static one) · b.
        Sz macs = new Sz((long) rows * (k < 0 ? cols : k), 1);
        c.choose(KernelCalls.below(macs, WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT), unsplit, List.of(new StepWriter.Action.Fork(split)));
    }

    /** A planned scratch for {@code e} at every batch (its floats per unit of a runtime k), or -1. */
    private static int scratch(KernelCalls c, EmittedMatmul e) {
        return e.scratchFloats() == 0 ? -1 : c.buffers.scratch(DType.F32, new Sz(e.scratchFloats(), e.shape().hasRuntimeK() ? 1 : 0));
    }

    /** The kernel for {@code r} of the {@code rows} rows of C: a transposed A is then a column block of the stored k × rows. */
    private static EmittedMatmul kernel(int r, int rows, int k, int cols, boolean ta, boolean tb, MatmulEpilogue epi) {
        int kk = k < 0 ? MatmulShape.RUNTIME_K : k, n = cols < 0 ? MatmulShape.RUNTIME_N : cols;
        MatmulShape dense = new MatmulShape(r, kk, n, ta, tb, DType.F32);
        MatmulShape shape = ta ? dense.withStrides(rows, dense.ldb(), dense.ldc()) : dense;
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }
}
