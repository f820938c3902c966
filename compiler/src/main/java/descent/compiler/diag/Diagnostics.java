package descent.compiler.diag;

import java.util.ArrayList;
import java.util.List;

/** Collects diagnostics during one stage, so a run reports every independent error it can find. */
public final class Diagnostics {
    private final Source source;
    private final List<Diagnostic> list = new ArrayList<>();

    public Diagnostics(Source source) { this.source = source; }

    public Source source() { return source; }

    public void error(Span span, String message, String hint) { list.add(new Diagnostic(span, message, hint)); }

    public boolean hasErrors() { return !list.isEmpty(); }

    public List<Diagnostic> all() { return List.copyOf(list); }

    /** Throws a {@link CompileException} holding everything collected so far, if anything was. */
    public void throwIfAny() {
        if (list.isEmpty()) return;
        // Train blocks are checked after the model; report in source order, as a reader goes.
        java.util.List<Diagnostic> sorted = new java.util.ArrayList<>(list);
        sorted.sort(java.util.Comparator.comparingInt((Diagnostic d) -> d.span().line()).thenComparingInt(d -> d.span().column()));
        throw new CompileException(source, sorted);
    }
}
