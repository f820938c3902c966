package descent.compiler.ir;

/** Elementwise functions of one tensor, as TensorFlow defines them. */
public enum UnaryFn {
    NEG, ABS, SIGN, SQUARE, SQRT, RSQRT, EXP, LOG, LOG1P, RECIPROCAL,
    RELU, RELU6, ELU, SELU, SOFTPLUS, SOFTSIGN, SIGMOID, TANH,
    /** Used by learning-rate schedules. */
    FLOOR, CEIL, COS, SIN,
    /** 1 where the value is finite, 0 for ±inf and NaN (TF's is_finite, as a number). */
    IS_FINITE;

    /** SELU's constants, as in TF's kernel. */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;
}
