package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
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
        int holder = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            Parts ps = (Parts) h[0];
            if (ps == null) h[0] = ps = new Parts(whole, kernels, rows, k, cols, ta, x, y, bias, id);
            ps.run(c.threads, buf, b);
        });
    }

    /** The kernel for {@code r} of the {@code rows} rows of C: a transposed A is then a column block of the stored k × rows. */
    private static EmittedMatmul kernel(int r, int rows, int k, int cols, boolean ta, boolean tb, MatmulEpilogue epi) {
        int kk = k < 0 ? MatmulShape.RUNTIME_K : k, n = cols < 0 ? MatmulShape.RUNTIME_N : cols;
        MatmulShape dense = new MatmulShape(r, kk, n, ta, tb, DType.F32);
        MatmulShape shape = ta ? dense.withStrides(rows, dense.ldb(), dense.ldc()) : dense;
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }

    /** One thread's view of the split (kept in a buffer slot): kernels, scratch that only grows, the call's operands. */
    private static final class Parts implements java.util.function.IntConsumer {
        private final EmittedMatmul whole;
        private final EmittedMatmul[] kernels;
        private final float[][] scratch;
        private float[] wholeScratch;
        private final int rows, k, cols, x, y, bias, id;
        private final boolean ta;
        private int batch = -1;
        private Object[] buf;

        Parts(EmittedMatmul whole, EmittedMatmul[] kernels, int rows, int k, int cols, boolean ta, int x, int y, int bias, int id) {
            this.whole = whole;
            this.kernels = kernels;
            this.scratch = new float[kernels.length][];
            this.rows = rows;
            this.k = k;
            this.cols = cols;
            this.ta = ta;
            this.x = x;
            this.y = y;
            this.bias = bias;
            this.id = id;
        }

        void run(StepThreads threads, Object[] buf, int b) {
            if (b != batch) {
                wholeScratch = WeightGradientCalls.grown(wholeScratch, whole.scratchFloats(b));
                for (int p = 0; p < kernels.length; p++) if (kernels[p] != null) scratch[p] = WeightGradientCalls.grown(scratch[p], kernels[p].scratchFloats(b));
                batch = b;
            }
            long macs = (long) rows * (k < 0 ? b : k) * (cols < 0 ? b : cols);
            if (kernels.length == 1 || macs < WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT) {
                whole.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, b, wholeScratch,
                        bias < 0 ? null : (float[]) buf[bias], 0);
                return;
            }
            this.buf = buf;
            threads.run(kernels.length, this);
        }

        @Override public void accept(int p) {
            if (kernels[p] == null) return;
            int from = RowBlocks.firstRow(p, kernels.length, rows);
            int aOff = ta ? from : from * (k < 0 ? batch : k), cOff = from * (cols < 0 ? batch : cols);
            kernels[p].kernel().run((float[]) buf[x], aOff, (float[]) buf[y], 0, (float[]) buf[id], cOff, batch, scratch[p],
                    bias < 0 ? null : (float[]) buf[bias], 0);
        }
    }
}
