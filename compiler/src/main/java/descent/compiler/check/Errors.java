package descent.compiler.check;

import descent.compiler.diag.Diagnostics;
import descent.compiler.diag.Span;

/** Reports a diagnostic; thrown (as {@link Abort}) when an expression cannot be checked further. */
final class Errors {
    private final Diagnostics diags;

    Errors(Diagnostics diags) { this.diags = diags; }

    void error(Span span, String message, String hint) { diags.error(span, message, hint); }

    /** Reports and abandons the current statement: its other problems would only be follow-on noise. */
    Abort fail(Span span, String message, String hint) {
        diags.error(span, message, hint);
        return new Abort();
    }

    static final class Abort extends RuntimeException {
        Abort() { super(null, null, false, false); }
    }
}
