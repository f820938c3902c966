package descent.compiler.emit;

/**
 * A generated reduction ({@link ReduceEmitter}): reads {@code x[xOff ..]} (the input, row-major) and
 * overwrites {@code out[outOff ..]} (the kept axes, row-major). {@code batch} is the runtime dimension's
 * size; it is ignored when the shape has none. Input and output must not overlap. Stateless: one
 * instance may run on several threads.
 */
@FunctionalInterface
public interface ReduceKernel {
    void run(float[] x, int xOff, float[] out, int outOff, int batch);
}
