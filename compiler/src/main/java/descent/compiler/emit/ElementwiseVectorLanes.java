package descent.compiler.emit;

import org.objectweb.asm.MethodVisitor;

/**
 * Vector lanes: {@code jdk.incubator.vector} calls on FloatVector / DoubleVector values, the shape javac
 * produces for the same source (so C2 intrinsifies them the same way). The species are the generated
 * class's static final fields {@code F} and {@code D}; when a kernel uses double lanes, {@code F} has as
 * many lanes as {@code D} so that a widening is one {@code convertShape} (part 0) and back.
 */
final class ElementwiseVectorLanes extends ElementwiseLanes {
    static final String PKG = "jdk/incubator/vector/";
    static final String FV = PKG + "FloatVector", DV = PKG + "DoubleVector", IV = PKG + "IntVector";
    static final String LV = PKG + "LongVector";
    static final String VECTOR = PKG + "Vector", MASK = PKG + "VectorMask", SPECIES = PKG + "VectorSpecies";
    static final String OPS = PKG + "VectorOperators";
    static final String L_VECTOR = "L" + VECTOR + ";", L_MASK = "L" + MASK + ";", L_SPECIES = "L" + SPECIES + ";";

    private final String owner;

    /** @param owner the generated class, which holds the species fields F and D */
    ElementwiseVectorLanes(MethodVisitor mv, Slots slots, String owner) {
        super(mv, slots);
        this.owner = owner;
    }

    private void load(Val v) { mv.visitVarInsn(ALOAD, v.slot()); }

    private Val store(Type t) {
        Val v = fresh(t, false);
        mv.visitVarInsn(ASTORE, v.slot());
        return v;
    }

    private static String cls(Val v) { return v.wide() ? DV : FV; }

    private static String ret(Val v) { return "L" + cls(v) + ";"; }

    void species(boolean wide) { mv.visitFieldInsn(GETSTATIC, owner, wide ? "D" : "F", L_SPECIES); }

    private void op(String kind, String name) { mv.visitFieldInsn(GETSTATIC, OPS, name, "L" + OPS + "$" + kind + ";"); }

    @Override Val makeConstant(double v, boolean wide) {
        species(wide);
        mv.visitLdcInsn(wide ? (Object) v : (Object) (float) v);
        String c = wide ? DV : FV;
        mv.visitMethodInsn(INVOKESTATIC, c, "broadcast", "(" + L_SPECIES + (wide ? "D" : "F") + ")L" + c + ";", false);
        return store(wide ? Type.DOUBLE : Type.FLOAT);
    }

    @Override Val arith(Arith o, Val a, Val b) {
        requireSame(a, b);
        if (o == Arith.POW) return pow(a, b);
        load(a);
        {
            load(b);
            mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), o.name().toLowerCase(), "(" + L_VECTOR + ")" + ret(a), false);
        }
        return store(a.type());
    }

    /**
     * {@code Math.pow}. Once C2 intrinsifies POW (the vector math library) it follows C99, where
     * pow(±1, ±inf) and pow(1, NaN) are 1; Java defines both as NaN (and the interpreted fallback agrees
     * with Java). Those lanes are set to NaN, so the result does not depend on the JIT tier.
     */
    private Val pow(Val a, Val b) {
        load(a);
        op("Binary", "POW");
        load(b);
        mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), "lanewise", "(L" + OPS + "$Binary;" + L_VECTOR + ")" + ret(a), false);
        Val r = store(a.type());
        Val nan = c(Double.NaN, a);
        Val oneToInfinity = and(compare(Cmp.EQ, fn(Fn.ABS, a), c(1, a)), compare(Cmp.EQ, fn(Fn.ABS, b), c(Double.POSITIVE_INFINITY, b)));
        return select(compare(Cmp.NE, b, b), nan, select(oneToInfinity, nan, r));
    }

    /**
     * log1p(x) as log(u) · x / (u - 1) with u = 1 + x (Goldberg's form: the rounding error of u cancels
     * between log(u) and u - 1), because the JDK's vector math library has no LOG1P for these shapes
     * and the Vector API then runs Math.log1p lane by lane, 10-20× slower than LOG. u == 1 means |x| is
     * below half an ulp of 1, where log1p(x) = x (this keeps -0.0); +inf would be inf/inf.
     */
    private Val log1p(Val x) {
        Val u = add(c(1, x), x);
        Val r = mul(fn(Fn.LOG, u), div(x, sub(u, c(1, x))));
        return select(compare(Cmp.EQ, u, c(1, x)), x, select(compare(Cmp.EQ, x, c(Double.POSITIVE_INFINITY, x)), x, r));
    }

    @Override Val fn(Fn f, Val a) {
        // In double lanes exp, log, tanh and expm1 are Descent's own (WideMath): the JDK's vector math library
        // gives other bits than its interpreted fallback, so results would change when C2 compiles a kernel.
        if (a.wide() && WideMath.OWN.contains(f)) return new WideMath(this).fn(f, a);
        switch (f) {
            case FLOOR, CEIL -> { return roundToIntegral(a, f == Fn.FLOOR); }
            case LOG1P -> { return log1p(a); }
            case NEG, ABS, SQRT -> {
                load(a);
                mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), f.name().toLowerCase(), "()" + ret(a), false);
            }
            default -> {
                load(a);
                op("Unary", f.name());
                mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), "lanewise", "(L" + OPS + "$Unary;)" + ret(a), false);
            }
        }
        return store(a.type());
    }

    /**
     * {@code a·b + c} rounded once, for {@link WideMath}'s polynomials only (formulas of IR nodes never contract:
     * see {@link ElementwiseFormulas}). Exact by definition, so the same bits in every JIT tier.
     */
    Val fma(Val a, Val b, Val c) {
        requireSame(a, b);
        requireSame(a, c);
        load(a);
        load(b);
        load(c);
        mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), "fma", "(" + L_VECTOR + L_VECTOR + ")" + ret(a), false);
        return store(a.type());
    }

    /**
     * {@code p · 2^k} for double lanes, where {@code t} holds {@code magic + k} exactly ({@code magic} = 1.5·2^52,
     * k an integer with k + 1023 in [1, 2046]): the bits of t minus those of magic are k, moved into the
     * exponent field of a double.
     */
    Val timesPowerOfTwo(Val p, Val t, double magic) {
        load(t);
        mv.visitMethodInsn(INVOKEVIRTUAL, DV, "reinterpretAsLongs", "()L" + LV + ";", false);
        mv.visitLdcInsn(Double.doubleToRawLongBits(magic) - 1023);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "sub", "(J)L" + LV + ";", false);
        op("Binary", "LSHL");
        mv.visitLdcInsn(52L);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "lanewise", "(L" + OPS + "$Binary;J)L" + LV + ";", false);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "reinterpretAsDoubles", "()L" + DV + ";", false);
        return mul(p, store(Type.DOUBLE));
    }

    /**
     * For double lanes holding positive normal numbers x: {e, m} with x = m · 2^e, m in [1, 2), e an integer as
     * a double (read from the bits; other lanes give meaningless values, which the caller replaces).
     */
    Val[] exponentAndMantissa(Val x) {
        load(x);
        mv.visitMethodInsn(INVOKEVIRTUAL, DV, "reinterpretAsLongs", "()L" + LV + ";", false);
        mv.visitInsn(DUP);
        mv.visitLdcInsn(0x000F_FFFF_FFFF_FFFFL);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "and", "(J)L" + LV + ";", false);
        mv.visitLdcInsn(0x3FF0_0000_0000_0000L);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "or", "(J)L" + LV + ";", false);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "reinterpretAsDoubles", "()L" + DV + ";", false);
        Val m = store(Type.DOUBLE);
        op("Binary", "LSHR");
        mv.visitLdcInsn(52L);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "lanewise", "(L" + OPS + "$Binary;J)L" + LV + ";", false);
        // The biased exponent b (< 2^12) as a double without L2D, which AVX2 lacks (the Vector API's fallback
        // allocates arrays on every call): the bits of 2^52 with b in the low bits are the double 2^52 + b, exact.
        mv.visitLdcInsn(0x4330_0000_0000_0000L);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "or", "(J)L" + LV + ";", false);
        mv.visitMethodInsn(INVOKEVIRTUAL, LV, "reinterpretAsDoubles", "()L" + DV + ";", false);
        mv.visitLdcInsn(0x1p52 + 1023);
        mv.visitMethodInsn(INVOKEVIRTUAL, DV, "sub", "(D)L" + DV + ";", false);
        Val e = store(Type.DOUBLE);
        return new Val[] {e, m};
    }

    /**
     * floor/ceil: the Vector API has no rounding op, so: truncate through int lanes, step by one where
     * truncation went the wrong way, restore the argument's sign bit (floor and ceil keep it, e.g.
     * ceil(-0.5) = -0.0), and keep the argument itself where it is already integral (|x| >= 2^23), infinite
     * or NaN. Every step is exact, so this is bitwise Math.floor/Math.ceil.
     */
    private Val roundToIntegral(Val x, boolean floor) {
        if (x.wide()) throw new IllegalStateException("floor/ceil are emitted in float lanes only");
        load(x);
        op("Conversion", "F2I");
        push(0);
        mv.visitMethodInsn(INVOKEVIRTUAL, FV, "convert", "(L" + OPS + "$Conversion;I)" + L_VECTOR, false);
        mv.visitTypeInsn(CHECKCAST, IV);
        op("Conversion", "I2F");
        push(0);
        mv.visitMethodInsn(INVOKEVIRTUAL, IV, "convert", "(L" + OPS + "$Conversion;I)" + L_VECTOR, false);
        mv.visitTypeInsn(CHECKCAST, FV);
        Val t = store(Type.FLOAT);
        Val one = c(1, x);
        Val stepped = floor ? select(compare(Cmp.GT, t, x), sub(t, one), t) : select(compare(Cmp.LT, t, x), add(t, one), t);
        load(x);
        mv.visitMethodInsn(INVOKEVIRTUAL, FV, "reinterpretAsInts", "()L" + IV + ";", false);
        mv.visitLdcInsn(0x80000000);
        mv.visitMethodInsn(INVOKEVIRTUAL, IV, "and", "(I)L" + IV + ";", false);
        load(stepped);
        mv.visitMethodInsn(INVOKEVIRTUAL, FV, "reinterpretAsInts", "()L" + IV + ";", false);
        mv.visitMethodInsn(INVOKEVIRTUAL, IV, "or", "(" + L_VECTOR + ")L" + IV + ";", false);
        mv.visitMethodInsn(INVOKEVIRTUAL, IV, "reinterpretAsFloats", "()L" + FV + ";", false);
        Val signed = store(Type.FLOAT);
        Val small = compare(Cmp.LT, fn(Fn.ABS, x), c(0x1p23, x));
        return select(small, signed, x);
    }

    @Override Val compare(Cmp cmp, Val a, Val b) {
        requireSame(a, b);
        load(a);
        op("Comparison", cmp.name());
        load(b);
        mv.visitMethodInsn(INVOKEVIRTUAL, cls(a), "compare", "(L" + OPS + "$Comparison;" + L_VECTOR + ")" + L_MASK, false);
        return store(a.wide() ? Type.COND_DOUBLE : Type.COND_FLOAT);
    }

    @Override Val and(Val p, Val q) {
        requireSame(p, q);
        load(p);
        load(q);
        mv.visitMethodInsn(INVOKEVIRTUAL, MASK, "and", "(" + L_MASK + ")" + L_MASK, false);
        return store(p.type());
    }

    @Override Val select(Val cond, Val ifTrue, Val ifFalse) {
        requireSame(ifTrue, ifFalse);
        if (cond.wide() != ifTrue.wide()) throw new IllegalStateException("mask and values differ in lane type");
        load(ifFalse);
        load(ifTrue);
        load(cond);
        mv.visitMethodInsn(INVOKEVIRTUAL, cls(ifTrue), "blend", "(" + L_VECTOR + L_MASK + ")" + ret(ifTrue), false);
        return store(ifTrue.type());
    }

    @Override Val convert(Val v, boolean toWide) {
        load(v);
        op("Conversion", toWide ? "F2D" : "D2F");
        species(toWide);
        push(0);
        mv.visitMethodInsn(INVOKEVIRTUAL, cls(v), "convertShape", "(L" + OPS + "$Conversion;" + L_SPECIES + "I)" + L_VECTOR, false);
        mv.visitTypeInsn(CHECKCAST, toWide ? DV : FV);
        return store(toWide ? Type.DOUBLE : Type.FLOAT);
    }

    @Override Val broadcast(Val scalarFloat) {
        species(false);
        mv.visitVarInsn(FLOAD, scalarFloat.slot());
        mv.visitMethodInsn(INVOKESTATIC, FV, "broadcast", "(" + L_SPECIES + "F)L" + FV + ";", false);
        return store(Type.FLOAT);
    }

    @Override Val load(int arraySlot, int offSlot, int idxSlot, Val mask) {
        species(false);
        mv.visitVarInsn(ALOAD, arraySlot);
        pushIndex(offSlot, idxSlot);
        if (mask != null) load(mask);
        mv.visitMethodInsn(INVOKESTATIC, FV, "fromArray", "(" + L_SPECIES + "[FI" + (mask != null ? L_MASK : "") + ")L" + FV + ";", false);
        return store(Type.FLOAT);
    }

    @Override void store(Val v, int arraySlot, int offSlot, int idxSlot, Val mask) {
        load(v);
        mv.visitVarInsn(ALOAD, arraySlot);
        pushIndex(offSlot, idxSlot);
        if (mask != null) load(mask);
        mv.visitMethodInsn(INVOKEVIRTUAL, FV, "intoArray", "([FI" + (mask != null ? L_MASK : "") + ")V", false);
    }

    @Override void pushStep() {
        species(false);
        mv.visitMethodInsn(INVOKEINTERFACE, SPECIES, "length", "()I", true);
    }

    /** The tail mask {@code F.indexInRange(idx, bound)}. */
    Val tailMask(int idxSlot, int boundSlot) {
        species(false);
        mv.visitVarInsn(ILOAD, idxSlot);
        mv.visitVarInsn(ILOAD, boundSlot);
        mv.visitMethodInsn(INVOKEINTERFACE, SPECIES, "indexInRange", "(II)" + L_MASK, true);
        return store(Type.COND_FLOAT);
    }

    /** {@code F.loopBound(n)}: the largest multiple of the vector length not above n. */
    void pushLoopBound(int nSlot) {
        species(false);
        mv.visitVarInsn(ILOAD, nSlot);
        mv.visitMethodInsn(INVOKEINTERFACE, SPECIES, "loopBound", "(I)I", true);
    }
}
