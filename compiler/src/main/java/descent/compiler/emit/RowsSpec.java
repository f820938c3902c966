package descent.compiler.emit;

/**
 * What a row kernel is specialised to: everything but the number of indices.
 *
 * @param op       the operation
 * @param outer    product of the dimensions before the indexed axis (GATHER, SCATTER_ADD; else 1)
 * @param rows     size of the indexed axis: table rows, the dense output's axis, the id range for
 *                 DEDUP_SUM / FIRST_OCCURRENCE (the table the ids index), the depth for ONE_HOT
 * @param inner    floats per row: product of the dimensions after the indexed axis (1 for FIRST_OCCURRENCE, ONE_HOT)
 * @param longIndices whether indices are {@code long[]} (i64) rather than {@code int[]} (i32)
 * @param on       ONE_HOT's on value (an f32 kernel rounds it to float)
 * @param off      ONE_HOT's off value
 * @param f64      whether the values (rows, sums, the mask, first-occurrence flags) are {@code double[]}, not {@code float[]}
 */
public record RowsSpec(RowsOp op, int outer, int rows, int inner, boolean longIndices, double on, double off, boolean f64) {
    public RowsSpec(RowsOp op, int outer, int rows, int inner, boolean longIndices, double on, double off) {
        this(op, outer, rows, inner, longIndices, on, off, false);
    }

    public RowsSpec {
        if (outer < 1 || rows < 0 || inner < 0) throw new IllegalArgumentException("bad row shape " + outer + "x" + rows + "x" + inner);
        if ((long) outer * rows * inner > Integer.MAX_VALUE) throw new IllegalArgumentException("table too large");
    }

    @Override public String toString() {
        return "RowsSpec[op=" + op + ", outer=" + outer + ", rows=" + rows + ", inner=" + inner + ", longIndices=" + longIndices
                + ", on=" + on + ", off=" + off + ", f64=" + f64 + "]";
    }

    public static RowsSpec gather(int outer, int rows, int inner, boolean longIndices) {
        return new RowsSpec(RowsOp.GATHER, outer, rows, inner, longIndices, 0, 0);
    }

    public static RowsSpec scatterAdd(int outer, int rows, int inner, boolean longIndices) {
        return new RowsSpec(RowsOp.SCATTER_ADD, outer, rows, inner, longIndices, 0, 0);
    }

    public static RowsSpec dedupSum(int idRange, int inner, boolean longIndices) {
        return new RowsSpec(RowsOp.DEDUP_SUM, 1, idRange, inner, longIndices, 0, 0);
    }

    public static RowsSpec firstOccurrence(int idRange, boolean longIndices) {
        return new RowsSpec(RowsOp.FIRST_OCCURRENCE, 1, idRange, 1, longIndices, 0, 0);
    }

    public static RowsSpec scatterUpdate(int rows, int inner, boolean longIndices) {
        return new RowsSpec(RowsOp.SCATTER_UPDATE, 1, rows, inner, longIndices, 0, 0);
    }

    public static RowsSpec scatterAccumulate(int rows, int inner, boolean longIndices) {
        return new RowsSpec(RowsOp.SCATTER_ACCUMULATE, 1, rows, inner, longIndices, 0, 0);
    }

    public static RowsSpec oneHot(int depth, double on, double off, boolean longIndices) {
        return new RowsSpec(RowsOp.ONE_HOT, 1, depth, 1, longIndices, on, off);
    }

    /** The same op over double values. */
    public RowsSpec inF64() { return new RowsSpec(op, outer, rows, inner, longIndices, on, off, true); }

    /** For class names and messages. */
    String tag() {
        return op.name().toLowerCase() + "_" + outer + "x" + rows + "x" + inner + (longIndices ? "_i64" : "_i32") + (f64 ? "_f64" : "");
    }
}
