package descent.compiler.diag;

/**
 * A region of a source file: 1-based line and column of its first character, and its length in
 * characters on that line (at least 1, so the caret line always shows something).
 */
public record Span(int line, int column, int length) {
    public static final Span NONE = new Span(0, 0, 0);

    public Span {
        if (length < 1 && line > 0) length = 1;
    }

    public boolean isKnown() { return line > 0; }

    /** The span from the start of {@code this} to the end of {@code other} when both are on one line. */
    public Span to(Span other) {
        if (!isKnown()) return other;
        if (!other.isKnown() || other.line != line) return this;
        int end = Math.max(column + length, other.column + other.length);
        return new Span(line, column, end - column);
    }

    @Override public String toString() { return line + ":" + column; }
}
