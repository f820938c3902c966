package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
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
        int holder = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            Parts ps = (Parts) h[0];
            if (ps == null) h[0] = ps = new Parts(kernels, scratch, k, cols, x, y, bias, id);
            int r = rows < 0 ? b : rows;
            if ((long) r * k * cols < MatmulCalls.PARALLEL_MACS) ps.runAlone(buf, r); else ps.run(c.threads, buf, r);
        });
    }

    /** Part p computes its block of C's rows ({@link RowBlocks}); {@code n} is C's width. */
    private static final class Parts extends ProductParts {
        Parts(EmittedMatmul[] kernels, int[] scratch, int k, int cols, int x, int y, int bias, int id) {
            super(kernels, scratch, k, cols, x, y, bias, id);
        }

        /** A runtime-M product too small to split (a small batch): the whole of C by one call. */
        void runAlone(Object[] buf, int rows) {
            this.buf = buf;
            kernels[0].kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows, scratchOf(0), biasRow(), 0);
        }

        @Override public void accept(int p) {
            int from = RowBlocks.firstRow(p, kernels.length, rows), count = RowBlocks.rowsOf(p, kernels.length, rows);
            if (count == 0) return;
            kernels[p].kernel().run((float[]) buf[x], from * k, (float[]) buf[y], 0, (float[]) buf[id], from * n, count,
                    scratchOf(p), biasRow(), 0);
        }
    }
}
