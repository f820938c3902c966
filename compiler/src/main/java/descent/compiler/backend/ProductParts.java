package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;

/**
 * One thread's view of a product split into parts, one kernel per part ({@link RowSplitMatmul} by rows of C,
 * {@link ColumnsOfWMatmul} by columns): kept in a per-thread slot, so a call allocates nothing. A subclass says
 * what part {@code p} computes.
 */
abstract class ProductParts implements java.util.function.IntConsumer {
    final EmittedMatmul[] kernels;
    /** Each part's scratch slot, -1 for none. */
    final int[] scratch;
    /** k, C's width, and the buffer slots of A, B, the bias row (-1: none) and C. */
    final int k, n, x, y, bias, id;
    Object[] buf;
    int rows;

    ProductParts(EmittedMatmul[] kernels, int[] scratch, int k, int n, int x, int y, int bias, int id) {
        this.kernels = kernels;
        this.scratch = scratch;
        this.k = k;
        this.n = n;
        this.x = x;
        this.y = y;
        this.bias = bias;
        this.id = id;
    }

    /** Runs every part over {@code rows} rows of C. */
    void run(StepThreads threads, Object[] buf, int rows) {
        this.buf = buf;
        this.rows = rows;
        threads.run(kernels.length, this);
    }

    float[] scratchOf(int p) { return scratch[p] < 0 ? null : (float[]) buf[scratch[p]]; }

    float[] biasRow() { return bias < 0 ? null : (float[]) buf[bias]; }
}
