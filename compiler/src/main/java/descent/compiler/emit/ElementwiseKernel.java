package descent.compiler.emit;

/**
 * A compiled fused elementwise loop (see {@link ElementwiseEmitter}). One generic signature for every
 * arity: the per-call cost of unpacking two small arrays is nothing next to the loop, and a backend can
 * hold every kernel behind one interface.
 *
 * <p>Input {@code k} is {@code in[k]} from offset {@code inOff[k]}, read as its {@link InputKind} says:
 * FULL reads {@code length} elements, SCALAR one, ROW {@code rowLength}. Output {@code j} is
 * written to {@code out[j][outOff[j] ..< outOff[j] + length]}; nothing outside that range is touched.
 * An output may be the same array at the same offset as a FULL input (an in-place update such as an
 * optimizer's {@code var -= ...}): each element's inputs are read before its outputs are written. Any
 * other overlap between outputs and inputs is undefined.
 */
public interface ElementwiseKernel {
    /**
     * Computes domain elements {@code [0, length)}.
     *
     * @param rowLength the last axis' length when the expression has ROW inputs (positive, dividing
     *                  {@code length}); ignored otherwise
     * @throws IllegalArgumentException if {@code length} is negative or {@code rowLength} is unusable
     */
    default void run(float[][] in, int[] inOff, float[][] out, int[] outOff, int length, int rowLength) {
        throw new UnsupportedOperationException("this kernel computes f64 values: call run64");
    }

    /** {@link #run} for a kernel of an f64 expression ({@link FusedExpr#f64}). */
    default void run64(double[][] in, int[] inOff, double[][] out, int[] outOff, int length, int rowLength) {
        throw new UnsupportedOperationException("this kernel computes f32 values: call run");
    }

    /**
     * A sparse update's row loop (kernels compiled by {@link ElementwiseEmitter#compileRows}): for each position
     * {@code from <= p < to} whose {@code mask[p]} is not 0, computes one row of {@code width} elements — the inputs the
     * kernel was compiled to gather read row {@code idx[p]} (from their offset), the other FULL inputs row
     * {@code p}, ROW inputs the row vector, SCALAR inputs their value — and stores every output at row
     * {@code idx[p]}. A row's inputs are read before its outputs are stored, so an output may be the array a
     * gathered input reads; listed rows must be distinct where the mask is set, and inside the arrays (not
     * checked here beyond the JVM's bounds checks). So disjoint ranges of positions touch disjoint rows, and
     * threads may run them at once.
     */
    default void runRows(float[][] in, int[] inOff, float[][] out, int[] outOff, int[] idx, float[] mask, int from, int to, int width) {
        throw new UnsupportedOperationException("this kernel was not compiled with gathered inputs");
    }
}
