package descent.compiler.emit;

/**
 * A generated softmax cross entropy ({@link SoftmaxEmitter#xent}): for each of {@code rows} rows,
 * {@code loss[lossOff + r] = sum_j -labels[r, j] * log_softmax(logits)[r, j]}. Stateless.
 */
@FunctionalInterface
public interface SoftmaxXentKernel {
    void run(float[] labels, int labelsOff, float[] logits, int logitsOff, float[] loss, int lossOff, int rows);
}
