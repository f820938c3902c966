package descent.compiler.ir;

/** Elementwise functions of one tensor, as TensorFlow defines them. */
public enum UnaryFn {
    NEG, ABS, SIGN, SQUARE, SQRT, RSQRT, EXP, LOG, LOG1P, RECIPROCAL,
    RELU, RELU6, ELU, SELU, SOFTPLUS, SOFTSIGN, SIGMOID, TANH,
    /** Used by learning-rate schedules. */
    FLOOR, CEIL, COS, SIN,
    /** 1 where the value is finite, 0 for ±inf and NaN (TF's is_finite, as a number). */
    IS_FINITE,
    /**
     * x²/2 as TF's L2Loss kernel computes each element before its sum (the square halved, here {@code (x·0.5)·x}, the
     * same float), with L2Loss's gradient {@code g·x}: one op, so the gradient is one contribution, rounded once.
     */
    HALF_SQUARE;

    /** SELU's constants, as TF's kernel spells them (its scale·alpha is a literal of its own, not the product). */
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;
    public static final double SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

    /**
     * SELU's scale as an op of {@code f32} values uses it: TF's kernel casts its constants to the features' type
     * ({@code static_cast<T>}), so an f32 selu multiplies by the float nearest the scale, and its gradient for a
     * saturated input, {@code g·(y + scale·alpha)}, cancels to exactly 0 as TF's does.
     */
    public static double seluScale(boolean f32) { return f32 ? (float) SELU_SCALE : SELU_SCALE; }

    /** SELU's scale·alpha in the features' type ({@link #seluScale}). */
    public static double seluScaleAlpha(boolean f32) { return f32 ? (float) SELU_SCALE_ALPHA : SELU_SCALE_ALPHA; }
}
