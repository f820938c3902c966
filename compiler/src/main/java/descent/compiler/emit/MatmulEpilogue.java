package descent.compiler.emit;

import descent.compiler.ir.UnaryFn;

/**
 * What a matmul kernel applies to each element of C before storing it, instead of a second elementwise
 * pass: {@code c = act(c + bias[j])} with {@code bias} a row vector along C's columns. Computed in float as
 * the unfused elementwise kernel of the same style computes it (a rounded add, never fused into the last
 * FMA; relu as {@code x < 0 ? 0 : x}; tanh and sigmoid by {@link ElementwiseFormulas}), so bias and relu are
 * bitwise the unfused pair in every style, and tanh and sigmoid are bitwise the unfused pass of the backend's
 * style: the scalar kernel's the SCALAR pass, the vector kernel's the VECTOR_DOUBLE_MATH pass ({@link WideMath}
 * in double lanes, over the stored tile).
 *
 * @param bias       whether a row vector is added (the kernel then takes {@code bias, biasOff} arguments)
 * @param activation null, or the activation that follows: {@link #ACTIVATIONS}
 */
public record MatmulEpilogue(boolean bias, UnaryFn activation) {
    public static final MatmulEpilogue NONE = new MatmulEpilogue(false, null);

    /** The activations a matmul kernel can apply to its tiles. */
    public static final java.util.Set<UnaryFn> ACTIVATIONS = java.util.EnumSet.of(UnaryFn.RELU, UnaryFn.TANH, UnaryFn.SIGMOID);

    public MatmulEpilogue {
        if (activation != null && !ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException("no matmul epilogue for " + activation + "; only " + ACTIVATIONS);
        }
    }

    public boolean isNone() { return !bias && activation == null; }

    boolean relu() { return activation == UnaryFn.RELU; }

    /** An activation evaluated by {@link ElementwiseFormulas} (a formula with constants, not a select). */
    boolean formula() { return activation != null && activation != UnaryFn.RELU; }

    /** A short name used in generated class names and cache keys: {@code ""}, {@code _b}, {@code _br}, {@code _bt}, {@code _s}, ... */
    public String tag() {
        if (isNone()) return "";
        String act = activation == null ? "" : switch (activation) {
            case RELU -> "r";
            case TANH -> "t";
            case SIGMOID -> "s";
            default -> throw new IllegalStateException();
        };
        return "_" + (bias ? "b" : "") + act;
    }
}
