package descent.compiler.emit;

/**
 * What a matmul kernel applies to each element of C before storing it, instead of a second elementwise
 * pass: {@code c = act(c + bias[j])} with {@code bias} a row vector along C's columns. Computed in float
 * exactly as the unfused elementwise kernel does (a rounded add, never fused into the last FMA; relu as
 * {@code x < 0 ? 0 : x}), so the fused result is bitwise equal to matmul followed by the fused pass.
 *
 * @param bias whether a row vector is added (the kernel then takes {@code bias, biasOff} arguments)
 * @param relu whether relu follows
 */
public record MatmulEpilogue(boolean bias, boolean relu) {
    public static final MatmulEpilogue NONE = new MatmulEpilogue(false, false);

    public boolean isNone() { return !bias && !relu; }

    /** A short name used in generated class names and cache keys: {@code ""}, {@code _b}, {@code _br}, {@code _r}. */
    public String tag() { return isNone() ? "" : "_" + (bias ? "b" : "") + (relu ? "r" : ""); }
}
