package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.runtime.DType;

/**
 * Weight gradients C = Aᵀ·B (or Aᵀ·Bᵀ) contracted over the batch: one runtime-K kernel for every batch size, and on
 * several threads a split by rows of C, which the update of the same rows follows on the same core.
 */
final class WeightGradientCalls {
    private WeightGradientCalls() {}

    /**
     * The threshold for weight gradients (Aᵀ·B over the batch, split by rows of C = rows of W): each core
     * writes its own rows of the gradient, and the update of those rows follows on the same core
     * ({@link #rowsSplitLastCall}). MLP 784-128-10: its 784×64×128 weight gradient 116 → 76 µs. The same as
     * {@link SplitKMatmul#SPLIT_K_MACS}: a layer's forward product X·W and its weight gradient Xᵀ·dZ have the same number of
     * multiply-adds, so both split, or neither, at any batch size.
     */
    static final long PARALLEL_MACS_WEIGHT_GRADIENT = 1 << 21;

    /**
     * A weight gradient through {@link TransposedParts}, at the batch size of each call ({@code k} &lt; 0) or at
     * {@code k}. Its holder slot is registered with {@code c.rowSplits} under C's node, so the update that reads C
     * can split by the same rows exactly when this product did ({@link #rowsSplitLastCall}).
     */
    static void parts(KernelCalls c, int rows, int k, int cols, boolean tb, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int holder = c.buffers.holder(1, false);
        c.rowSplits.put(id, holder);
        // The kernels take the batch as an argument: the whole product's and each part's, asked for once, now.
        int parts = c.threads.threads();
        EmittedMatmul whole = weightGradient(rows, cols, tb, epi, rows);
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        for (int p = 0; p < parts; p++) {
            int n = RowBlocks.rowsOf(p, parts, rows);
            kernels[p] = n == 0 ? null : weightGradient(n, cols, tb, epi, rows);
        }
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            TransposedParts ps = (TransposedParts) h[0];
            if (ps == null) h[0] = ps = new TransposedParts(whole, kernels, rows, cols, x, y, bias, id);
            ps.run(c.threads, buf, k < 0 ? b : k);
        });
    }

    /** {@code s}, or a new array when it is shorter than {@code floats} (null while nothing is needed): scratch that only grows. */
    static float[] grown(float[] s, int floats) { return floats > 0 && (s == null || s.length < floats) ? new float[floats] : s; }

    /** Whether the weight gradient whose holder is {@code buf[holder]} split its rows over the threads in its last call here. */
    static boolean rowsSplitLastCall(Object[] buf, int holder) {
        Object ps = ((Object[]) buf[holder])[0];
        return ps instanceof TransposedParts t && t.splitLast;
    }

    /**
     * A weight gradient, C = Aᵀ·B contracted over the batch, split by rows of C: a row block of C reads a column
     * block of A (stored batch × rows), which its kernel reads in place, rows of A {@code rows} apart. Bitwise the
     * unsplit product, like the row splits above. One instance per thread (kept in a buffer slot); its kernels take
     * the batch as an argument and are looked up once, and scratch only grows, so a warm call allocates nothing.
     */
    private static final class TransposedParts implements java.util.function.IntConsumer {
        private final int parts, rows, cols, x, y, bias, id;
        private final EmittedMatmul whole;
        private final EmittedMatmul[] kernels;
        private final float[][] scratch;
        private float[] wholeScratch;
        private int batch = -1;
        private Object[] buf;
        /** Whether the last call split the rows over the threads (read by the update of the same rows). */
        private boolean splitLast;

        TransposedParts(EmittedMatmul whole, EmittedMatmul[] kernels, int rows, int cols, int x, int y, int bias, int id) {
            this.parts = kernels.length;
            this.whole = whole;
            this.kernels = kernels;
            this.rows = rows;
            this.cols = cols;
            this.x = x;
            this.y = y;
            this.bias = bias;
            this.id = id;
            this.scratch = new float[parts][];
        }

        void run(StepThreads threads, Object[] buf, int b) {
            if (b != batch) {
                // Scratch only grows, so going back to an earlier batch allocates nothing.
                wholeScratch = grown(wholeScratch, whole.scratchFloats(b));
                for (int p = 0; p < parts; p++) if (kernels[p] != null) scratch[p] = grown(scratch[p], kernels[p].scratchFloats(b));
                batch = b;
            }
            splitLast = (long) rows * b * cols >= PARALLEL_MACS_WEIGHT_GRADIENT;
            if (!splitLast) {
                whole.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, batch, wholeScratch,
                        bias < 0 ? null : (float[]) buf[bias], 0);
                return;
            }
            this.buf = buf;
            threads.run(parts, this);
        }

        @Override public void accept(int p) {
            int from = RowBlocks.firstRow(p, parts, rows), n = RowBlocks.rowsOf(p, parts, rows);
            if (n == 0) return;
            kernels[p].kernel().run((float[]) buf[x], from, (float[]) buf[y], 0, (float[]) buf[id], from * cols, batch, scratch[p],
                    bias < 0 ? null : (float[]) buf[bias], 0);
        }
    }

    /**
     * The kernel of a weight gradient Aᵀ·op(B) (A stored batch × m): the one runtime-K kernel for every batch size.
     * With a row-major B it packs B from the k where the kernel specialised to that k would
     * ({@code VectorMatmulWriter.packFromK}: 784×1024×512 took 8.1 ms packed and 11.9 ms in place, same JVM,
     * 2026-11-27); a transposed B (stored cols × batch) it always packs, into a panel that grows with the batch.
     */
    static EmittedMatmul weightGradient(int m, int cols, boolean tb, MatmulEpilogue epi) {
        return weightGradient(m, cols, tb, epi, m);
    }

    /** The same for rows of C whose A is a column block of one stored batch × {@code lda}. */
    static EmittedMatmul weightGradient(int m, int cols, boolean tb, MatmulEpilogue epi, int lda) {
        MatmulShape shape = new MatmulShape(m, MatmulShape.RUNTIME_K, cols, true, tb, DType.F32)
                .withStrides(lda, tb ? MatmulShape.RUNTIME_K : cols, cols);
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }
}
