package descent.compiler.emit;

/**
 * The row ops and what {@link RowsKernel#run}'s operands mean for each. W is {@link RowsSpec#inner()},
 * R is {@link RowsSpec#rows()}, O is {@link RowsSpec#outer()}, n the runtime index count.
 */
public enum RowsOp {
    /** dst[O, n, W] = src[O, R, W] gathered along the middle axis. {@code aux}, scratch unused. */
    GATHER("gather", false),
    /** dst[O, R, W] = zeros, then src[O, n, W] rows added at their indices (IndexedSlices → dense). */
    SCATTER_ADD("scatter_add", true),
    /** dst[n, W]: src[n, W] rows summed into the first occurrence of their index, zeros at repeats. Indices must lie in [0, R). */
    DEDUP_SUM("dedup_sum", true),
    /** dst[n] = 1 at the first occurrence of each index, else 0. {@code src} unused. Indices must lie in [0, R). */
    FIRST_OCCURRENCE("first_occurrence", true),
    /** dst[R, W] (the variable, in place): row idx[j] = src row j wherever aux[j] (the mask, from offset 0) is not 0. */
    SCATTER_UPDATE("scatter_update", false),
    /** dst[R, W] (the variable, in place): src rows added at their indices, one after another. */
    SCATTER_ACCUMULATE("scatter_add", true),
    /** dst[n, R] = off everywhere, on at [j, idx[j]] when idx[j] is in [0, R) (R is the depth). {@code src} unused. */
    ONE_HOT("one_hot", false);

    /** The op name in the interpreter's index messages (scatter_accumulate reports as scatter_add, as the interpreter does). */
    final String messageName;
    /** Whether the kernel links repeated indices through the int scratch. */
    final boolean usesScratch;

    RowsOp(String messageName, boolean usesScratch) {
        this.messageName = messageName;
        this.usesScratch = usesScratch;
    }
}
