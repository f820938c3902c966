package descent.compiler.emit;

/**
 * A generated sparse softmax cross entropy ({@link SoftmaxEmitter#sparseXent}): for each of {@code rows}
 * rows, {@code loss[lossOff + r] = -log_softmax(logits)[r, labels[labelsOff + r]]}. {@code labels} is an
 * {@code int[]} or a {@code long[]}, whichever the kernel was emitted for. Every label is checked before
 * any loss is written; the first one outside {@code [0, classes)} throws
 * {@link descent.runtime.DescentException} with the interpreter's message. Stateless.
 */
@FunctionalInterface
public interface SoftmaxSparseXentKernel {
    void run(Object labels, int labelsOff, float[] logits, int logitsOff, float[] loss, int lossOff, int rows);
}
