package descent.compiler.emit;

/**
 * A generated reduction ({@link ReduceEmitter}): reads {@code x[xOff ..]} (the input, row-major) and
 * overwrites {@code out[outOff ..]} (the kept axes, row-major). {@code batch} is the runtime dimension's
 * size; it is ignored when the shape has none. Input and output must not overlap. Stateless: one
 * instance may run on several threads.
 */
public interface ReduceKernel {
    default void run(float[] x, int xOff, float[] out, int outOff, int batch) {
        throw new UnsupportedOperationException("this kernel reduces f64 values: call run64");
    }

    /** {@link #run} for a kernel emitted for f64 ({@link ReduceEmitter#emit64}): bitwise the interpreter's double reduction. */
    default void run64(double[] x, int xOff, double[] out, int outOff, int batch) {
        throw new UnsupportedOperationException("this kernel reduces f32 values: call run");
    }
}
