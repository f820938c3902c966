package descent.compiler.emit;

/**
 * A generated sparse softmax cross entropy ({@link SoftmaxEmitter#sparseXent}): for each of {@code rows}
 * rows, {@code loss[lossOff + r] = -log_softmax(logits)[r, labels[labelsOff + r]]}. {@code labels} is an
 * {@code int[]} or a {@code long[]}, whichever the kernel was emitted for. Every label is checked before
 * any loss is written; the first one outside {@code [0, classes)} throws
 * {@link descent.runtime.DescentException} with the interpreter's message. Stateless.
 */
public interface SoftmaxSparseXentKernel {
    void run(Object labels, int labelsOff, float[] logits, int logitsOff, float[] loss, int lossOff, int rows);

    /**
     * The same, also writing softmax(logits) into {@code probs} from {@code probsOff} (rows × classes), bitwise what
     * the softmax kernel gives, from the same exps: kernels of {@link SoftmaxEmitter#sparseXentWithSoftmax}.
     */
    default void run(Object labels, int labelsOff, float[] logits, int logitsOff, float[] loss, int lossOff, float[] probs, int probsOff,
                     int rows) {
        throw new UnsupportedOperationException("this kernel was not emitted to write the softmax");
    }
}
