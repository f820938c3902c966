package descent.compiler.emit;

/**
 * A compiled fused elementwise loop (see {@link ElementwiseEmitter}). One generic signature for every
 * arity: the per-call cost of unpacking two small arrays is nothing next to the loop, and a backend can
 * hold every kernel behind one interface.
 *
 * <p>Input {@code k} is {@code in[k]} from offset {@code inOff[k]}, read as its {@link InputKind} says:
 * FULL reads {@code length} floats, SCALAR one float, ROW {@code rowLength} floats. Output {@code j} is
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
    void run(float[][] in, int[] inOff, float[][] out, int[] outOff, int length, int rowLength);
}
