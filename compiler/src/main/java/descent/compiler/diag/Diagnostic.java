package descent.compiler.diag;

/**
 * One problem found in a model file. {@code hint} says what to do about it (may be null).
 * Rendered as javac and rustc do: {@code file:line:col: error: message}, the source line, a caret
 * under the span, then the hint.
 */
public record Diagnostic(Span span, String message, String hint) {
    /** Longer source lines are shown as a window of {@link #CONTEXT} characters either side of the span. */
    static final int MAX_SHOWN = 200, CONTEXT = 60;

    public String render(Source source) {
        StringBuilder sb = new StringBuilder();
        sb.append(source.name());
        if (span.isKnown()) sb.append(':').append(span.line()).append(':').append(span.column());
        sb.append(": error: ").append(message).append('\n');
        if (span.isKnown()) {
            String text = source.line(span.line()).replace('\t', ' ');
            String gutter = String.valueOf(span.line());
            int col = Math.min(span.column() - 1, text.length());
            int len = Math.max(1, Math.min(span.length(), Math.max(1, text.length() - col)));
            if (text.length() > MAX_SHOWN) {
                // A long line is shown around the span, elided on either side, with the caret kept under the span.
                int from = Math.max(0, col - CONTEXT), to = Math.min(text.length(), col + Math.min(len, MAX_SHOWN - 2 * CONTEXT) + CONTEXT);
                String shown = (from > 0 ? "…" : "") + text.substring(from, to) + (to < text.length() ? "…" : "");
                col = col - from + (from > 0 ? 1 : 0);
                len = Math.min(len, to - (span.column() - 1));
                text = shown;
            }
            sb.append(' ').append(gutter).append(" | ").append(text).append('\n');
            sb.append(' ').append(" ".repeat(gutter.length())).append(" | ");
            sb.append(" ".repeat(Math.max(0, col))).append("^".repeat(len)).append('\n');
        }
        if (hint != null && !hint.isEmpty()) sb.append("  = hint: ").append(hint).append('\n');
        return sb.toString();
    }
}
