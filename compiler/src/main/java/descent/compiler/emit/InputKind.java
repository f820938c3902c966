package descent.compiler.emit;

/**
 * How one input array of a fused elementwise kernel maps onto the loop's domain of {@code length}
 * elements. These are the broadcasts a row-major elementwise loop can do without index arithmetic per
 * element; anything else (a column vector, a middle axis) is materialised before the kernel runs.
 */
public enum InputKind {
    /** One element per domain element: {@code length} floats starting at the input's offset. */
    FULL,
    /** One float, read once before the loop and broadcast to every element. */
    SCALAR,
    /**
     * A vector along the last axis (a bias, a per-column hyperparameter): domain element {@code i} reads
     * element {@code i % rowLength}. The kernel then loops rows × columns so the row is read contiguously.
     */
    ROW
}
