package descent.compiler.ir;

/**
 * Elementwise functions of two tensors. Besides the arithmetic the language exposes, this holds
 * TensorFlow's gradient kernels (ReluGrad, TanhGrad, ...) so gradients compute exactly what TF's do,
 * and comparisons that yield 1 or 0 in the operands' dtype.
 */
public enum BinaryFn {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, SQUARED_DIFFERENCE,
    /** (gradients, features): g where features > 0. */
    RELU_GRAD,
    /** (gradients, features): g where 0 < features < 6. */
    RELU6_GRAD,
    /** (gradients, outputs): g where y > 0, else g * (y + 1). */
    ELU_GRAD,
    /** (gradients, outputs): g * scale where y > 0, else g * (y + scale * alpha). */
    SELU_GRAD,
    /** (gradients, features): g / (1 + exp(-x)). */
    SOFTPLUS_GRAD,
    /** (gradients, features): g / (1 + |x|)^2. */
    SOFTSIGN_GRAD,
    /** (outputs, gradients): g * y * (1 - y). */
    SIGMOID_GRAD,
    /** (outputs, gradients): g * (1 - y^2). */
    TANH_GRAD,
    /** (outputs, gradients): g * 0.5 / y. */
    SQRT_GRAD,
    /** (outputs, gradients): g * -0.5 * y^3. */
    RSQRT_GRAD,
    /** (outputs, gradients): -g * y^2. */
    RECIPROCAL_GRAD,
    GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL
}
