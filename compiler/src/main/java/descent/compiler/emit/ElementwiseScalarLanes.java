package descent.compiler.emit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Scalar lanes: one element per iteration, float/double locals and {@code java.lang.Math}. Written the
 * way javac compiles the interpreter's expressions (same comparison opcodes, same {@code Math} calls), so
 * a scalar kernel is bitwise the interpreter, and C2 can auto-vectorize the loops that hold only
 * arithmetic.
 */
final class ElementwiseScalarLanes extends ElementwiseLanes {
    private static final String MATH = "java/lang/Math";

    /** Whether the arrays hold doubles (an f64 expression: every value is a double). */
    private final boolean f64;

    ElementwiseScalarLanes(MethodVisitor mv, Slots slots) { this(mv, slots, false); }

    ElementwiseScalarLanes(MethodVisitor mv, Slots slots, boolean f64) {
        super(mv, slots);
        this.f64 = f64;
    }

    private void load(Val v) {
        mv.visitVarInsn(switch (v.type()) {
            case FLOAT -> FLOAD;
            case DOUBLE -> DLOAD;
            case COND_FLOAT, COND_DOUBLE -> throw new IllegalStateException("conditions are branches, not values");
        }, v.slot());
    }

    private Val store(Type t) {
        Val v = fresh(t, t == Type.DOUBLE);
        mv.visitVarInsn(switch (t) {
            case FLOAT -> FSTORE;
            case DOUBLE -> DSTORE;
            case COND_FLOAT, COND_DOUBLE -> throw new IllegalStateException("conditions are branches, not values");
        }, v.slot());
        return v;
    }

    @Override Val makeConstant(double v, boolean wide) {
        mv.visitLdcInsn(wide ? (Object) v : (Object) (float) v);
        return store(wide ? Type.DOUBLE : Type.FLOAT);
    }

    @Override Val arith(Arith op, Val a, Val b) {
        requireSame(a, b);
        boolean d = a.wide();
        if (op == Arith.POW && !d) return narrow(arith(op, widen(a), widen(b)));
        load(a);
        load(b);
        switch (op) {
            case ADD -> mv.visitInsn(d ? DADD : FADD);
            case SUB -> mv.visitInsn(d ? DSUB : FSUB);
            case MUL -> mv.visitInsn(d ? DMUL : FMUL);
            case DIV -> mv.visitInsn(d ? DDIV : FDIV);
            case MAX -> mv.visitMethodInsn(INVOKESTATIC, MATH, "max", d ? "(DD)D" : "(FF)F", false);
            case MIN -> mv.visitMethodInsn(INVOKESTATIC, MATH, "min", d ? "(DD)D" : "(FF)F", false);
            case POW -> mv.visitMethodInsn(INVOKESTATIC, MATH, "pow", "(DD)D", false);
        }
        return store(a.type());
    }

    @Override Val fn(Fn f, Val a) {
        boolean d = a.wide();
        if (!d && f != Fn.NEG && f != Fn.ABS) {
            // Float sqrt/floor/ceil/transcendentals go through double exactly as the interpreter does;
            // C2 turns (float) Math.sqrt((double) x) into a float sqrt (the same value).
            return narrow(fn(f, widen(a)));
        }
        load(a);
        switch (f) {
            case NEG -> mv.visitInsn(d ? DNEG : FNEG);
            case ABS -> mv.visitMethodInsn(INVOKESTATIC, MATH, "abs", d ? "(D)D" : "(F)F", false);
            default -> mv.visitMethodInsn(INVOKESTATIC, MATH, f.name().toLowerCase(), "(D)D", false);
        }
        return store(a.type());
    }

    /** One comparison of a condition; a condition is a conjunction of them. */
    private record Comparison(Cmp cmp, Val a, Val b) {}

    /**
     * Conditions are not materialised: a select emits its comparisons as the branches themselves, which
     * is how javac compiles {@code a < b && c < d ? x : y}, and the shape C2 turns into a conditional
     * move when the branch is unpredictable (a 0/1 int tested again costs a mispredicted branch instead).
     */
    private final Map<Integer, List<Comparison>> conditions = new HashMap<>();

    @Override Val compare(Cmp cmp, Val a, Val b) {
        requireSame(a, b);
        Val c = fresh(a.wide() ? Type.COND_DOUBLE : Type.COND_FLOAT, false);
        conditions.put(c.slot(), List.of(new Comparison(cmp, a, b)));
        return c;
    }

    @Override Val and(Val p, Val q) {
        Val c = fresh(p.type(), false);
        List<Comparison> all = new ArrayList<>(conditions.get(p.slot()));
        all.addAll(conditions.get(q.slot()));
        conditions.put(c.slot(), all);
        return c;
    }

    @Override Val select(Val cond, Val ifTrue, Val ifFalse) {
        requireSame(ifTrue, ifFalse);
        Label no = new Label(), done = new Label();
        for (Comparison c : conditions.get(cond.slot())) {
            load(c.a());
            load(c.b());
            // javac's choice: fcmpg for < and <= (NaN compares as greater, so the test fails), fcmpl otherwise.
            boolean g = c.cmp() == Cmp.LT || c.cmp() == Cmp.LE;
            mv.visitInsn(c.a().wide() ? (g ? DCMPG : DCMPL) : (g ? FCMPG : FCMPL));
            mv.visitJumpInsn(switch (c.cmp()) {
                case EQ -> IFNE;
                case NE -> IFEQ;
                case LT -> IFGE;
                case LE -> IFGT;
                case GT -> IFLE;
                case GE -> IFLT;
            }, no);
        }
        load(ifTrue);
        mv.visitJumpInsn(GOTO, done);
        mv.visitLabel(no);
        load(ifFalse);
        mv.visitLabel(done);
        return store(ifTrue.type());
    }

    @Override Val convert(Val v, boolean toWide) {
        load(v);
        mv.visitInsn(toWide ? F2D : D2F);
        return store(toWide ? Type.DOUBLE : Type.FLOAT);
    }

    @Override Val broadcast(Val scalarFloat) { return scalarFloat; }

    @Override Val load(int arraySlot, int offSlot, int idxSlot, Val mask) {
        mv.visitVarInsn(ALOAD, arraySlot);
        pushIndex(offSlot, idxSlot);
        mv.visitInsn(f64 ? DALOAD : FALOAD);
        return store(f64 ? Type.DOUBLE : Type.FLOAT);
    }

    @Override void store(Val v, int arraySlot, int offSlot, int idxSlot, Val mask) {
        mv.visitVarInsn(ALOAD, arraySlot);
        pushIndex(offSlot, idxSlot);
        if (v.wide() != f64) throw new IllegalStateException("storing " + v + " into a " + (f64 ? "double" : "float") + " array");
        load(v);
        mv.visitInsn(f64 ? DASTORE : FASTORE);
    }

    @Override void pushStep() { mv.visitInsn(ICONST_1); }
}
