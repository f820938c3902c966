package descent.compiler.emit;

/**
 * A generated f64 softmax-family kernel ({@link SoftmaxF64Emitter}) over {@code rows} rows of its class count:
 * softmax or log_softmax of {@code logits} into {@code out} (labels unused); softmax_cross_entropy_with_logits
 * (labels a {@code double[]} of the logits' shape) or its sparse form (labels an {@code int[]} or {@code long[]}
 * of one class id per row) into one value per row.
 */
@FunctionalInterface
public interface SoftmaxF64Kernel {
    void run(Object labels, double[] logits, double[] out, int rows);
}
