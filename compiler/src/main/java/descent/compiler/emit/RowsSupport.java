package descent.compiler.emit;

import descent.runtime.DescentException;

/** Cold paths the generated row kernels call; kept out of the generated code so it stays small. */
public final class RowsSupport {
    private RowsSupport() {}

    /**
     * The interpreter's message for an index outside [0, rows). The interpreter holds indices as doubles, so an i64
     * index beyond 2^53 reports as the nearest double (both name the index as given below that).
     */
    public static DescentException outOfRange(String op, long index, int position, int rows) {
        long shown = (long) (double) index;
        return new DescentException(op + ": index " + shown + " at position " + position + " is outside [0, " + rows + ")");
    }
}
