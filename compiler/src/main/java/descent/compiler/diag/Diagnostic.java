package descent.compiler.diag;

/**
 * One problem found in a model file. {@code hint} says what to do about it (may be null).
 * Rendered as javac and rustc do: {@code file:line:col: error: message}, the source line, a caret
 * under the span, then the hint.
 */
public record Diagnostic(Span span, String message, String hint) {
    public String render(Source source) {
        StringBuilder sb = new StringBuilder();
        sb.append(source.name());
        if (span.isKnown()) sb.append(':').append(span.line()).append(':').append(span.column());
        sb.append(": error: ").append(message).append('\n');
        if (span.isKnown()) {
            String text = source.line(span.line());
            String gutter = String.valueOf(span.line());
            sb.append(' ').append(gutter).append(" | ").append(text.replace('\t', ' ')).append('\n');
            sb.append(' ').append(" ".repeat(gutter.length())).append(" | ");
            int col = Math.min(span.column() - 1, text.length());
            int len = Math.max(1, Math.min(span.length(), Math.max(1, text.length() - col)));
            sb.append(" ".repeat(Math.max(0, col))).append("^".repeat(len)).append('\n');
        }
        if (hint != null && !hint.isEmpty()) sb.append("  = hint: ").append(hint).append('\n');
        return sb.toString();
    }
}
