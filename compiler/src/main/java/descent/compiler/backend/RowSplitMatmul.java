package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.StepWriter;
import java.util.ArrayList;
import java.util.List;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.runtime.DType;

/**
 * A large matmul split by rows of C over the session's threads ({@link MatmulCalls} decides when): each thread
 * computes one contiguous block of whole 8-row tiles ({@link RowBlocks}).
 */
final class RowSplitMatmul {
    private RowSplitMatmul() {}

    /**
     * C's rows split into one contiguous block per thread (multiples of 8 rows), each computed by a kernel for
     * its block: a row of C is the same dot products in the same order whichever kernel computes it, so the
     * result is bitwise that of the unsplit kernel (checked by the backend's thread-count tests). A runtime-M
     * kernel serves every block; static M gets a kernel per block size.
     */
    static void call(KernelCalls c, EmittedMatmul whole, int rows, int k, int cols, boolean tb, MatmulEpilogue epi,
                              int x, int y, int bias, int id) {
        int parts = c.threads.threads();
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        int[] scratch = new int[parts];
        for (int p = 0; p < parts; p++) {
            if (rows < 0) {
                kernels[p] = whole;
            } else {
                int r = RowBlocks.rowsOf(p, parts, rows);
                MatmulShape shape = new MatmulShape(r, k, cols, false, tb, DType.F32);
                kernels[p] = r == 0 ? null : Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
            }
            scratch[p] = kernels[p] != null && kernels[p].scratchFloats() > 0
                    ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        Arg count = rows < 0 ? Arg.batch() : Arg.constant(rows);
        String label = "matmul_" + id;
        List<List<StepWriter.Action>> split = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            if (kernels[p] == null) {
                split.add(List.of());
                continue;
            }
            // Part p's rows: RowBlocks.firstRow(p, parts, rows), blocks of 8 rows shared out evenly (the batch's at run time).
            Arg.Span from = new Arg.Span((Arg.Count) count, (Arg.Count) Arg.constant(8), p, parts, false);
            Arg.Span many = new Arg.Span((Arg.Count) count, (Arg.Count) Arg.constant(8), p, parts, true);
            split.add(List.of(KernelCalls.invokes(MatmulCalls.product(kernels[p], x, from.times(k), y, Arg.constant(0), id, from.times(cols),
                    many, scratch[p], bias, Arg.constant(0)), label + "_rows" + p)));
        }
        if (rows >= 0) {
            c.act(new StepWriter.Action.Fork(split));   // MatmulCalls splits a static product only from PARALLEL_MACS on
            return;
        }
        // A runtime-M product too small to split (a small batch): the whole of C by one call.
        List<StepWriter.Action> unsplit = List.of(KernelCalls.invokes(MatmulCalls.product(whole, x, Arg.constant(0), y, Arg.constant(0), id,
                Arg.constant(0), count, scratch[0], bias, Arg.constant(0)), label));
        c.choose(KernelCalls.below(new Sz((long) k * cols, 1), MatmulCalls.PARALLEL_MACS), unsplit, List.of(new StepWriter.Action.Fork(split)));
    }
}
