package descent.compiler.emit;

import java.util.HashMap;
import java.util.Map;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The arithmetic of one kind of loop body — scalar or {@code jdk.incubator.vector} — as bytecode. Every
 * op formula is written once ({@link ElementwiseFormulas}) against this vocabulary and emitted for either
 * kind. Values live in local variables ({@link Val}), so a formula can use an operand several times and
 * C2 sees plain SSA values. A value is float or double: double values exist only inside one node's
 * formula, to reproduce the interpreter's double evaluation bit for bit.
 */
abstract class ElementwiseLanes implements Opcodes {
    enum Type { FLOAT, DOUBLE, COND_FLOAT, COND_DOUBLE }

    /**
     * A value in local {@code slot}: a number (float/double lanes) or a condition (a VectorMask; for scalar
     * lanes a comparison that {@link #select} emits as branches, the slot only naming it).
     */
    record Val(int slot, Type type) {
        boolean wide() { return type == Type.DOUBLE || type == Type.COND_DOUBLE; }
    }

    enum Arith { ADD, SUB, MUL, DIV, MAX, MIN, POW }
    enum Fn { NEG, ABS, SQRT, EXP, EXPM1, LOG, LOG1P, TANH, SIN, COS, FLOOR, CEIL }
    enum Cmp { EQ, NE, LT, LE, GT, GE }

    /** Hands out local-variable slots; one per method, shared by every lane kind that emits into it. */
    static final class Slots {
        private int next;

        Slots(int first) { this.next = first; }

        int take(int width) {
            int s = next;
            next += width;
            return s;
        }
    }

    final MethodVisitor mv;
    final Slots slots;
    /** Whether any value was widened to double lanes (a vector kernel then needs a double species). */
    boolean usedWide;
    private final Map<String, Val> constants = new HashMap<>();

    ElementwiseLanes(MethodVisitor mv, Slots slots) {
        this.mv = mv;
        this.slots = slots;
    }

    /** Starts a new straight-line body: constants cached in the previous one are not visible here. */
    void beginBody() { constants.clear(); }

    // ---------------------------------------------------------------- values

    /** {@code v} in lanes of {@code like}'s precision (rounded to float for float lanes). */
    final Val c(double v, Val like) { return constant(v, like.wide()); }

    final Val constant(double v, boolean wide) {
        if (wide) usedWide = true;
        String key = (wide ? "d" : "f") + Double.doubleToRawLongBits(wide ? v : (float) v);
        Val cached = constants.get(key);
        if (cached != null) return cached;
        Val made = makeConstant(v, wide);
        constants.put(key, made);
        return made;
    }

    abstract Val makeConstant(double v, boolean wide);

    abstract Val arith(Arith op, Val a, Val b);

    abstract Val fn(Fn f, Val a);

    /** A condition in {@code a}'s precision, with Java's semantics (false whenever an operand is NaN, except NE). */
    abstract Val compare(Cmp cmp, Val a, Val b);

    abstract Val and(Val p, Val q);

    /** {@code cond ? ifTrue : ifFalse} per lane. */
    abstract Val select(Val cond, Val ifTrue, Val ifFalse);

    /** Float to double lanes (exact); a double value is returned as is. */
    final Val widen(Val v) {
        usedWide = true;
        return v.wide() ? v : convert(v, true);
    }

    /** Double to float lanes (rounding to nearest, as Java's {@code (float)}); a float value is returned as is. */
    final Val narrow(Val v) { return v.wide() ? convert(v, false) : v; }

    abstract Val convert(Val v, boolean toWide);

    /** A float value broadcast from a scalar float local (a loop-invariant node computed before the loop). */
    abstract Val broadcast(Val scalarFloat);

    /**
     * Loads element {@code off + idx} of a float array (a vector: the lanes from there, under {@code mask} if
     * not null); {@code offSlot} -1 means offset 0.
     */
    abstract Val load(int arraySlot, int offSlot, int idxSlot, Val mask);

    /** Stores a float value at {@code off + idx} (under {@code mask} if not null). */
    abstract void store(Val v, int arraySlot, int offSlot, int idxSlot, Val mask);

    /** Pushes the loop step: the vector length, or 1. */
    abstract void pushStep();

    // ---------------------------------------------------------------- shorthands

    final Val add(Val a, Val b) { return arith(Arith.ADD, a, b); }
    final Val sub(Val a, Val b) { return arith(Arith.SUB, a, b); }
    final Val mul(Val a, Val b) { return arith(Arith.MUL, a, b); }
    final Val div(Val a, Val b) { return arith(Arith.DIV, a, b); }

    // ---------------------------------------------------------------- bytecode helpers

    final Val fresh(Type t, boolean scalarDouble) { return new Val(slots.take(scalarDouble ? 2 : 1), t); }

    final void push(int v) {
        if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
        else mv.visitLdcInsn(v);
    }

    /** {@code off + idx} on the stack, or just {@code idx} when {@code offSlot} is -1 (the offset is known to be 0). */
    final void pushIndex(int offSlot, int idxSlot) {
        if (offSlot >= 0) mv.visitVarInsn(ILOAD, offSlot);
        mv.visitVarInsn(ILOAD, idxSlot);
        if (offSlot >= 0) mv.visitInsn(IADD);
    }

    static void requireSame(Val a, Val b) {
        if (a.type() != b.type()) throw new IllegalStateException("lane types differ: " + a + " vs " + b);
    }
}
