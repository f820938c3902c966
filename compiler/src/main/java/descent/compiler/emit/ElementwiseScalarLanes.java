package descent.compiler.emit;

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

    ElementwiseScalarLanes(MethodVisitor mv, Slots slots) { super(mv, slots); }

    private void load(Val v) {
        mv.visitVarInsn(switch (v.type()) {
            case FLOAT -> FLOAD;
            case DOUBLE -> DLOAD;
            case COND_FLOAT, COND_DOUBLE -> ILOAD;
        }, v.slot());
    }

    private Val store(Type t) {
        Val v = fresh(t, t == Type.DOUBLE);
        mv.visitVarInsn(switch (t) {
            case FLOAT -> FSTORE;
            case DOUBLE -> DSTORE;
            case COND_FLOAT, COND_DOUBLE -> ISTORE;
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

    @Override Val compare(Cmp cmp, Val a, Val b) {
        requireSame(a, b);
        boolean d = a.wide();
        load(a);
        load(b);
        // javac's choice: fcmpg for < and <= (NaN compares as greater, so the test fails), fcmpl otherwise.
        boolean g = cmp == Cmp.LT || cmp == Cmp.LE;
        mv.visitInsn(d ? (g ? DCMPG : DCMPL) : (g ? FCMPG : FCMPL));
        int jumpIfFalse = switch (cmp) {
            case EQ -> IFNE;
            case NE -> IFEQ;
            case LT -> IFGE;
            case LE -> IFGT;
            case GT -> IFLE;
            case GE -> IFLT;
        };
        Label no = new Label(), done = new Label();
        mv.visitJumpInsn(jumpIfFalse, no);
        mv.visitInsn(ICONST_1);
        mv.visitJumpInsn(GOTO, done);
        mv.visitLabel(no);
        mv.visitInsn(ICONST_0);
        mv.visitLabel(done);
        return store(d ? Type.COND_DOUBLE : Type.COND_FLOAT);
    }

    @Override Val and(Val p, Val q) {
        load(p);
        load(q);
        mv.visitInsn(IAND);
        return store(p.type());
    }

    @Override Val select(Val cond, Val ifTrue, Val ifFalse) {
        requireSame(ifTrue, ifFalse);
        Label no = new Label(), done = new Label();
        load(cond);
        mv.visitJumpInsn(IFEQ, no);
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
        mv.visitInsn(FALOAD);
        return store(Type.FLOAT);
    }

    @Override void store(Val v, int arraySlot, int offSlot, int idxSlot, Val mask) {
        mv.visitVarInsn(ALOAD, arraySlot);
        pushIndex(offSlot, idxSlot);
        load(v);
        mv.visitInsn(FASTORE);
    }

    @Override void pushStep() { mv.visitInsn(ICONST_1); }
}
