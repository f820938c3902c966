package descent.compiler.emit;

/**
 * A generated row kernel: gather, scatter_add, dedup_sum, first_occurrence, scatter_update,
 * scatter_accumulate or one_hot specialised to static row widths and table sizes (see {@link RowsSpec}),
 * with the number of indices {@code n} (the batch) given per call.
 *
 * <p>One signature serves every op; what each operand means is in {@link RowsOp}. {@code src}, {@code aux}
 * and {@code dst} are {@code float[]}, or {@code double[]} for an f64 spec ({@link RowsSpec#f64}); {@code indices} is
 * an {@code int[]} or {@code long[]} as the spec says (anything else fails with a ClassCastException),
 * read from {@code indicesOff} for {@code n} elements. Offsets are in elements. {@code scratch} must hold
 * {@link RowsEmitter.Emitted#scratchInts(int)} ints, all zero between calls (a new array is; kernels
 * leave it zero on return, also when they throw for a bad index), and may be null for ops needing none.
 *
 * <p>Every index is validated before anything is written, so an index outside the table throws
 * {@link descent.runtime.DescentException} with the interpreter's message and leaves the outputs untouched.
 * Kernels hold no state: one instance may run on several threads as long as each has its own scratch.
 */
@FunctionalInterface
public interface RowsKernel {
    void run(Object src, int srcOff, Object indices, int indicesOff, int n, Object aux, Object dst, int dstOff,
             int[] scratch);
}
