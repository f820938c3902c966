package descent.compiler.emit;

/**
 * A generated softmax or log-softmax over the last axis ({@link SoftmaxEmitter}): {@code rows} rows of
 * the class count the kernel was emitted for, from {@code x[xOff ..]} to {@code out[outOff ..]}
 * (which may be the same range: each row is read completely before it is written). Stateless.
 */
@FunctionalInterface
public interface SoftmaxKernel {
    void run(float[] x, int xOff, float[] out, int outOff, int rows);
}
