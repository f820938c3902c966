package descent.compiler.ir;

/** An op applied to values whose types or shapes it does not accept; the checker turns it into a diagnostic. */
public final class IrException extends RuntimeException {
    private final String hint;

    public IrException(String message, String hint) {
        super(message);
        this.hint = hint;
    }

    public IrException(String message) { this(message, null); }

    public String hint() { return hint; }
}
