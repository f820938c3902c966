package descent.compiler.emit;

import descent.compiler.emit.ElementwiseLanes.Arith;
import descent.compiler.emit.ElementwiseLanes.Cmp;
import descent.compiler.emit.ElementwiseLanes.Fn;
import descent.compiler.emit.ElementwiseLanes.Val;
import java.util.EnumSet;
import java.util.Set;

/**
 * exp, log, tanh and expm1 on double lanes, from additions, multiplications, fused multiply-adds (Horner's
 * steps), divisions, selects and bit operations only. Those are IEEE operations with one result, whether the Vector API runs them as Java code
 * (before C2 compiles a kernel) or as instructions, so a kernel's bits no longer depend on the JIT tier; the
 * JDK's vector math library (its {@code EXP}, {@code LOG}, ...) gives other bits than its interpreted fallback
 * (e.g. 84 of 16,384 float exps), so a training step's results changed after a few hundred steps of warm-up.
 *
 * <p>Accuracy: a few double ulps, so results rounded to float are the interpreter's (which rounds
 * {@code Math.exp} and friends once) except in the rare lanes whose exact value lies within that of a float
 * rounding boundary (at most 1 float ulp; {@code ElementwiseAccuracy} measures it). Double lanes here hold
 * widened floats: f64 expressions are compiled scalar. For other doubles exp is e^709 for x in (709, 709.78]
 * and flushes results below e^-708 to zero (every float argument gives the float it should).
 */
final class WideMath {
    static final Set<Fn> OWN = EnumSet.of(Fn.EXP, Fn.LOG, Fn.TANH, Fn.EXPM1);

    /** 1.5·2^52: adding it rounds a double below 2^51 in magnitude to an integer, which its low bits hold. */
    private static final double MAGIC = 0x1.8p52;
    private static final double LOG2E = 1.4426950408889634;
    /** ln 2 split as fdlibm does: the high part has 32 significant bits, so k·LN2_HI is exact for |k| < 2^21. */
    private static final double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    private static final double SQRT2 = 1.4142135623730951;

    private final ElementwiseVectorLanes l;

    WideMath(ElementwiseVectorLanes lanes) { this.l = lanes; }

    Val fn(Fn f, Val x) {
        return switch (f) {
            case EXP -> exp(x);
            case LOG -> log(x);
            case TANH -> tanh(x);
            case EXPM1 -> expm1(x);
            default -> throw new IllegalArgumentException(f + " is the Vector API's");
        };
    }

    /**
     * x = k·ln2 + r with |r| ≤ ln2/2 (Cody and Waite's two-part ln 2), e^r by its Taylor polynomial of degree 13
     * (truncation below 4·10^-18), times 2^k built in the exponent bits.
     */
    Val exp(Val x) {
        Val xc = l.arith(Arith.MIN, l.arith(Arith.MAX, x, l.c(-708, x)), l.c(709, x));   // NaN stays NaN
        Val t = l.add(l.mul(xc, l.c(LOG2E, x)), l.c(MAGIC, x));
        Val k = l.sub(t, l.c(MAGIC, x));
        Val r = l.sub(l.sub(xc, l.mul(k, l.c(LN2_HI, x))), l.mul(k, l.c(LN2_LO, x)));
        Val p = l.c(inverseFactorial(13), x);
        for (int d = 12; d >= 0; d--) p = l.fma(p, r, l.c(inverseFactorial(d), x));
        Val e = l.timesPowerOfTwo(p, t, MAGIC);
        e = l.select(l.compare(Cmp.GT, x, l.c(709.782712893384, x)), l.c(Double.POSITIVE_INFINITY, x), e);
        return l.select(l.compare(Cmp.LT, x, l.c(-708, x)), l.c(0, x), e);
    }

    /**
     * x = m·2^e with m in [√½, √2), log m = 2·atanh(s), s = (m - 1)/(m + 1), |s| ≤ 0.172, by its series to s^23
     * (truncation below 10^-18); log x = e·ln2 + log m. Subnormal doubles are scaled by 2^54 first.
     */
    Val log(Val x) {
        Val tiny = l.compare(Cmp.LT, x, l.c(0x1p-1022, x));
        Val scaled = l.select(tiny, l.mul(x, l.c(0x1p54, x)), x);
        Val[] em = l.exponentAndMantissa(scaled);
        Val e = l.select(tiny, l.sub(em[0], l.c(54, x)), em[0]), m = em[1];
        Val high = l.compare(Cmp.GT, m, l.c(SQRT2, x));
        m = l.select(high, l.mul(m, l.c(0.5, x)), m);
        e = l.select(high, l.add(e, l.c(1, x)), e);
        Val s = l.div(l.sub(m, l.c(1, x)), l.add(m, l.c(1, x)));
        Val z = l.mul(s, s);
        Val p = l.c(1.0 / 23, x);
        for (int j = 10; j >= 0; j--) p = l.fma(p, z, l.c(1.0 / (2 * j + 1), x));
        Val logm = l.mul(l.add(s, s), p);
        Val r = l.fma(e, l.c(LN2_HI, x), l.fma(e, l.c(LN2_LO, x), logm));
        r = l.select(l.compare(Cmp.EQ, x, l.c(0, x)), l.c(Double.NEGATIVE_INFINITY, x), r);
        r = l.select(l.compare(Cmp.LT, x, l.c(0, x)), l.c(Double.NaN, x), r);
        r = l.select(l.compare(Cmp.EQ, x, l.c(Double.POSITIVE_INFINITY, x)), x, r);
        return l.select(l.compare(Cmp.NE, x, x), x, r);
    }

    /**
     * Below |x| = 1/16 the odd Taylor polynomial to x^13 (truncation below 10^-17 relative), else
     * ±(1 - e)/(1 + e) with e = exp(-2|x|), whose cancellation costs at most ~8 ulps there.
     */
    Val tanh(Val x) {
        Val a = l.fn(Fn.ABS, x);
        Val z = l.mul(x, x);
        double[] c = {-1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835, -1382.0 / 155925, 21844.0 / 6081075};
        Val p = l.c(c[5], x);
        for (int i = 4; i >= 0; i--) p = l.fma(p, z, l.c(c[i], x));
        Val small = l.add(x, l.mul(l.mul(x, z), p));
        Val e = exp(l.mul(a, l.c(-2, x)));
        Val big = l.div(l.sub(l.c(1, x), e), l.add(l.c(1, x), e));
        Val signed = l.select(l.compare(Cmp.LT, x, l.c(0, x)), l.fn(Fn.NEG, big), big);
        Val r = l.select(l.compare(Cmp.LT, a, l.c(0.0625, x)), small, signed);
        return l.select(l.compare(Cmp.EQ, x, l.c(0, x)), x, r);   // ±0 (x + x·z·p would turn -0.0 into +0.0)
    }

    /** Below |x| = 1/16 the Taylor polynomial to x^10 (keeps -0.0), else exp(x) - 1. */
    Val expm1(Val x) {
        Val p = l.c(inverseFactorial(10), x);
        for (int d = 9; d >= 1; d--) p = l.fma(p, x, l.c(inverseFactorial(d), x));
        Val small = l.mul(x, p);
        Val big = l.sub(exp(x), l.c(1, x));
        return l.select(l.compare(Cmp.LT, l.fn(Fn.ABS, x), l.c(0.0625, x)), small, big);
    }

    private static double inverseFactorial(int n) {
        double f = 1;
        for (int i = 2; i <= n; i++) f *= i;
        return 1 / f;
    }
}
