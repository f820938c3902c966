package descent.compiler.diag;

import descent.runtime.DescentException;
import java.util.List;

/** A model file with errors: every diagnostic found, rendered against its source. */
public final class CompileException extends DescentException {
    private final Source source;
    private final List<Diagnostic> diagnostics;

    public CompileException(Source source, List<Diagnostic> diagnostics) {
        super(render(source, diagnostics));
        this.source = source;
        this.diagnostics = List.copyOf(diagnostics);
    }

    public Source source() { return source; }
    public List<Diagnostic> diagnostics() { return diagnostics; }

    private static String render(Source source, List<Diagnostic> diagnostics) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : diagnostics) sb.append(d.render(source));
        int n = diagnostics.size();
        sb.append(n).append(n == 1 ? " error" : " errors");
        return sb.toString();
    }
}
