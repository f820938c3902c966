package descent.compiler.backend;

/**
 * How a split divides rows among parts: contiguous blocks of whole 8-row tiles (a micro-kernel's height), as even
 * as the tiles allow. Every split of a matrix, its weight gradient and its update uses these same blocks, so a
 * core works on the same rows of W step after step.
 */
final class RowBlocks {
    private RowBlocks() {}

    /** The first row of part {@code p} of {@code parts} over {@code rows} rows. */
    static int firstRow(int p, int parts, int rows) {
        int blocks = (rows + 7) / 8;
        return (int) Math.min(rows, (long) blocks * p / parts * 8);
    }

    /** How many rows part {@code p} of {@code parts} has. */
    static int rowsOf(int p, int parts, int rows) { return firstRow(p + 1, parts, rows) - firstRow(p, parts, rows); }
}
