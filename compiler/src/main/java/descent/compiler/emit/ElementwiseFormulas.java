package descent.compiler.emit;

import descent.compiler.emit.ElementwiseLanes.Cmp;
import descent.compiler.emit.ElementwiseLanes.Fn;
import descent.compiler.emit.ElementwiseLanes.Val;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * The interpreter's formulas (interp/Kernels and Interpreter.eval), one per op, over {@link ElementwiseLanes}.
 * For an f64 expression operands and results are doubles and every formula is the interpreter's double
 * formula as it stands. For f32, operands and results are float values; the interpreter computes each
 * formula in double and rounds once, and each op here is evaluated so as to give that same float:
 * <ul>
 *   <li><b>Single IEEE operations</b> (add, sub, mul, div, sqrt, max, min, neg, abs, comparisons, selects,
 *       relu, relu6, sign, square, reciprocal, floor, ceil, is_finite, relu/relu6 gradients) run in float lanes:
 *       for +, -, *, /, sqrt the double result rounded to float equals the float operation's result
 *       (double has more than 2·24+2 bits, so the double rounding is innocuous), and the rest are exact.</li>
 *   <li><b>Compound rational formulas</b> (squared_difference, rsqrt, softsign, the tanh/sigmoid/sqrt/
 *       rsqrt/reciprocal/softsign/elu/selu gradients, leaky ReLU with an alpha that is not a float) run in
 *       double lanes, in the interpreter's order, and are rounded once: bitwise the interpreter. In float
 *       they would round after every step (tanh_grad's 1 - y*y loses up to thousands of ulps to
 *       cancellation).</li>
 *   <li><b>Transcendental formulas</b> (exp, log, log1p, tanh, sin, cos, pow, sigmoid, softplus, elu,
 *       selu) run in double lanes when {@code wideMath} is set (rounding once, like the interpreter),
 *       else in float lanes with float constants — sigmoid in an overflow-free form there. softplus_grad
 *       always runs in double lanes: its formula overflows float (see there).</li>
 * </ul>
 * No FMA is ever used. The interpreter rounds a MUL node's product to float before an ADD node reads it;
 * fma(a, b, c) skips that rounding and differs from a*b+c on 21.8% of uniform random float triples, by
 * up to ~10^6 ulps where the sum cancels. No tolerance short of "anything" covers that, and the kernels
 * are memory-bound (an Adam update moves 28 bytes per 8 flops), so it would buy nothing either. (Inside a
 * double-lane formula an FMA of float operands would be exact, as the double product of two floats is,
 * but no formula here has an a*b+c shape worth it.)
 */
final class ElementwiseFormulas {
    private final ElementwiseLanes l;
    private final boolean wideMath;
    /** Operands and results are double values (an f64 expression): every formula runs in double, unrounded. */
    private final boolean f64;

    ElementwiseFormulas(ElementwiseLanes lanes, boolean wideMath) { this(lanes, wideMath, false); }

    ElementwiseFormulas(ElementwiseLanes lanes, boolean wideMath, boolean f64) {
        if (f64 && !wideMath) throw new IllegalArgumentException("f64 formulas are double math");
        this.l = lanes;
        this.wideMath = wideMath;
        this.f64 = f64;
    }

    Val constant(double v) { return l.constant(v, f64); }

    Val unary(UnaryFn fn, Val x) {
        return switch (fn) {
            case NEG -> l.fn(Fn.NEG, x);
            case ABS -> l.fn(Fn.ABS, x);
            // NaN fails both comparisons and stays; signum(±0) = ±0 is x itself.
            case SIGN -> l.select(l.compare(Cmp.LT, x, l.c(0, x)), l.c(-1, x),
                    l.select(l.compare(Cmp.GT, x, l.c(0, x)), l.c(1, x), x));
            case SQUARE -> l.mul(x, x);
            // In double lanes, rounded once: in float, x·0.5 would round a subnormal x.
            case HALF_SQUARE -> exact(x, w -> l.mul(l.mul(w, l.c(0.5, w)), w));
            case SQRT -> l.fn(Fn.SQRT, x);
            case RSQRT -> exact(x, w -> l.div(l.c(1, w), l.fn(Fn.SQRT, w)));
            case EXP -> math(x, w -> l.fn(Fn.EXP, w));
            case LOG -> math(x, w -> l.fn(Fn.LOG, w));
            case LOG1P -> math(x, w -> l.fn(Fn.LOG1P, w));
            case RECIPROCAL -> l.div(l.c(1, x), x);
            // x < 0 ? 0 : x, not max(x, 0): relu(-0.0) is -0.0 and NaN stays NaN, as in TF.
            case RELU -> l.select(l.compare(Cmp.LT, x, l.c(0, x)), l.c(0, x), x);
            case RELU6 -> l.select(l.compare(Cmp.LT, x, l.c(0, x)), l.c(0, x),
                    l.select(l.compare(Cmp.LT, l.c(6, x), x), l.c(6, x), x));
            case ELU -> math(x, w -> l.select(l.compare(Cmp.LT, w, l.c(0, w)), l.fn(Fn.EXPM1, w), w));
            case SELU -> math(x, w -> l.select(l.compare(Cmp.LT, w, l.c(0, w)),
                    l.mul(l.c(UnaryFn.seluScaleAlpha(!f64), w), l.fn(Fn.EXPM1, w)),
                    l.mul(l.c(UnaryFn.seluScale(!f64), w), w)));
            // The interpreter's x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)), with the shared log1p(exp(-|x|))
            // computed once (vector lanes evaluate both sides of a select).
            case SOFTPLUS -> math(x, w -> {
                Val e = l.fn(Fn.LOG1P, l.fn(Fn.EXP, l.fn(Fn.NEG, l.fn(Fn.ABS, w))));
                return l.select(l.compare(Cmp.GT, w, l.c(0, w)), l.add(w, e), e);
            });
            case SOFTSIGN -> exact(x, w -> l.div(w, l.add(l.c(1, w), l.fn(Fn.ABS, w))));
            case SIGMOID -> wideMath ? exact(x, w -> l.div(l.c(1, w), l.add(l.c(1, w), l.fn(Fn.EXP, l.fn(Fn.NEG, w)))))
                    : floatSigmoid(x);
            case TANH -> math(x, w -> l.fn(Fn.TANH, w));
            case FLOOR -> l.fn(Fn.FLOOR, x);
            case CEIL -> l.fn(Fn.CEIL, x);
            // |x| < inf is false for ±inf and NaN.
            case IS_FINITE -> indicator(l.compare(Cmp.LT, l.fn(Fn.ABS, x), l.c(Double.POSITIVE_INFINITY, x)), x);
            case COS -> math(x, w -> l.fn(Fn.COS, w));
            case SIN -> math(x, w -> l.fn(Fn.SIN, w));
        };
    }

    Val binary(BinaryFn fn, Val a, Val b) {
        return switch (fn) {
            case ADD -> l.add(a, b);
            case SUB -> l.sub(a, b);
            case MUL -> l.mul(a, b);
            case DIV -> l.div(a, b);
            case MAX -> l.arith(ElementwiseLanes.Arith.MAX, a, b);
            case MIN -> l.arith(ElementwiseLanes.Arith.MIN, a, b);
            // C's pow, which TF's kernel calls, not Java's: pow(1, y) = 1 for every y, NaN included, and pow(-1, ±∞) = 1
            // (Math.pow gives NaN for both).
            case POW -> math2(a, b, (x, y) -> l.select(
                    l.compare(Cmp.EQ, x, l.c(1, x)),
                    l.c(1, x),
                    l.select(l.and(l.compare(Cmp.EQ, x, l.c(-1, x)), l.compare(Cmp.EQ, l.fn(Fn.ABS, y), l.c(Double.POSITIVE_INFINITY, y))),
                            l.c(1, x), l.arith(ElementwiseLanes.Arith.POW, x, y))));
            case SQUARED_DIFFERENCE -> exact2(a, b, (x, y) -> {
                Val d = l.sub(x, y);
                return l.mul(d, d);
            });
            // g * (x > 0 ? 1 : 0): a product, so an infinite or NaN gradient gives NaN and -g gives -0.0.
            case RELU_GRAD -> l.mul(a, l.select(l.compare(Cmp.GT, b, l.c(0, b)), l.c(1, b), l.c(0, b)));
            case RELU6_GRAD -> l.mul(a, l.select(l.and(l.compare(Cmp.GT, b, l.c(0, b)), l.compare(Cmp.LT, b, l.c(6, b))),
                    l.c(1, b), l.c(0, b)));
            case ELU_GRAD -> exact2(a, b, (g, y) -> l.select(l.compare(Cmp.LT, y, l.c(0, y)), l.mul(g, l.add(y, l.c(1, y))), g));
            case SELU_GRAD -> exact2(a, b, (g, y) -> l.select(l.compare(Cmp.LT, y, l.c(0, y)),
                    l.mul(g, l.add(y, l.c(UnaryFn.seluScaleAlpha(!f64), y))),
                    l.mul(g, l.c(UnaryFn.seluScale(!f64), g))));
            // Always double: in float, exp(-x) overflows for x < -88.7 where the interpreter's does not,
            // and g / inf is 0 (or NaN for infinite g) instead of g·e^x.
            case SOFTPLUS_GRAD -> exact2(a, b, (g, x) -> l.div(g, l.add(l.c(1, x), l.fn(Fn.EXP, l.fn(Fn.NEG, x)))));
            case SOFTSIGN_GRAD -> exact2(a, b, (g, x) -> {
                Val t = l.add(l.c(1, x), l.fn(Fn.ABS, x));
                return l.div(g, l.mul(t, t));
            });
            case SIGMOID_GRAD -> exact2(a, b, (y, g) -> l.mul(l.mul(g, y), l.sub(l.c(1, y), y)));
            case TANH_GRAD -> exact2(a, b, (y, g) -> l.mul(g, l.sub(l.c(1, y), l.mul(y, y))));
            // A zero upstream gradient gives 0, as TF's sqrt_grad, rsqrt_grad and inverse_grad do (not 0·∞ = NaN).
            case SQRT_GRAD -> exact2(a, b, (y, g) -> zeroIfZero(g, l.div(l.mul(g, l.c(0.5, g)), y)));
            case RSQRT_GRAD -> exact2(a, b, (y, g) -> zeroIfZero(g, l.mul(l.mul(l.mul(l.mul(l.c(-0.5, g), g), y), y), y)));
            case RECIPROCAL_GRAD -> exact2(a, b, (y, g) -> zeroIfZero(g, l.mul(l.mul(l.fn(Fn.NEG, g), y), y)));
            case GREATER -> indicator(l.compare(Cmp.GT, a, b), a);
            case GREATER_EQUAL -> indicator(l.compare(Cmp.GE, a, b), a);
            case LESS -> indicator(l.compare(Cmp.LT, a, b), a);
            case LESS_EQUAL -> indicator(l.compare(Cmp.LE, a, b), a);
            case EQUAL -> indicator(l.compare(Cmp.EQ, a, b), a);
        };
    }

    /** {@code g == 0 ? +0 : value}. */
    private Val zeroIfZero(Val g, Val value) {
        return l.select(l.compare(Cmp.EQ, g, l.c(0, g)), l.c(0, g), value);
    }

    /** {@code cond != 0 ? a : b}; NaN != 0, so a NaN condition picks {@code a}. */
    Val select(Val cond, Val a, Val b) {
        return l.select(l.compare(Cmp.NE, cond, l.c(0, cond)), a, b);
    }

    /** {@code x > 0 ? x : x * alpha}: in float when alpha is a float (the double product is then exact). */
    Val leakyRelu(double alpha, Val x) {
        UnaryOperator<Val> f = w -> l.select(l.compare(Cmp.GT, w, l.c(0, w)), w, l.mul(w, l.c(alpha, w)));
        return isFloat(alpha) ? f.apply(x) : exact(x, f);
    }

    /** {@code x > 0 ? g : g * alpha}. */
    Val leakyReluGrad(double alpha, Val g, Val x) {
        BinaryOperator<Val> f = (gw, xw) -> l.select(l.compare(Cmp.GT, xw, l.c(0, xw)), gw, l.mul(gw, l.c(alpha, gw)));
        return isFloat(alpha) ? f.apply(g, x) : exact2(g, x, f);
    }

    /**
     * The interpreter's 1 / (1 + exp(-x)) overflows float's exp for x < -88.7 and would give 0 where the
     * double formula gives a subnormal, so float lanes use the same function in a form that cannot
     * overflow: with e = exp(-|x|) in (0, 1], sigmoid is 1 / (1 + e) for x >= 0 and e / (1 + e) below.
     * One exp instead of the formula's one, and a few ulps from the interpreter everywhere.
     */
    private Val floatSigmoid(Val x) {
        Val e = l.fn(Fn.EXP, l.fn(Fn.NEG, l.fn(Fn.ABS, x)));
        Val numerator = l.select(l.compare(Cmp.LT, x, l.c(0, x)), e, l.c(1, x));
        return l.div(numerator, l.add(l.c(1, x), e));
    }

    private Val indicator(Val cond, Val like) { return l.select(cond, l.c(1, like), l.c(0, like)); }

    private static boolean isFloat(double v) { return (double) (float) v == v || Double.isNaN(v); }

    /** A compound formula evaluated in double and rounded once, as the interpreter does. */
    private Val exact(Val x, UnaryOperator<Val> f) { return f64 ? f.apply(x) : l.narrow(f.apply(l.widen(x))); }

    private Val exact2(Val a, Val b, BinaryOperator<Val> f) { return f64 ? f.apply(a, b) : l.narrow(f.apply(l.widen(a), l.widen(b))); }

    /** A transcendental formula: like {@link #exact} under wideMath, else in float lanes throughout. */
    private Val math(Val x, UnaryOperator<Val> f) { return wideMath ? exact(x, f) : f.apply(x); }

    private Val math2(Val a, Val b, BinaryOperator<Val> f) { return wideMath ? exact2(a, b, f) : f.apply(a, b); }
}
