package descent.compiler.emit;

import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.function.Consumer;

/**
 * A thin layer over an ASM {@link MethodVisitor} with the few idioms the kernel writers repeat:
 * shortest int constants, linear index arithmetic that folds away zero and one, and counted loops
 * shaped the way javac emits them (test at the bottom), which is the shape C2's loop optimisations
 * (range-check elimination, unrolling, superword) are tuned for.
 */
final class MatmulCode implements Opcodes {
    final MethodVisitor mv;

    MatmulCode(MethodVisitor mv) { this.mv = mv; }

    MatmulCode push(int v) {
        if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
        else mv.visitLdcInsn(v);
        return this;
    }

    MatmulCode iload(int slot) { mv.visitVarInsn(ILOAD, slot); return this; }
    MatmulCode istore(int slot) { mv.visitVarInsn(ISTORE, slot); return this; }
    MatmulCode aload(int slot) { mv.visitVarInsn(ALOAD, slot); return this; }
    MatmulCode astore(int slot) { mv.visitVarInsn(ASTORE, slot); return this; }
    MatmulCode fload(int slot) { mv.visitVarInsn(FLOAD, slot); return this; }
    MatmulCode fstore(int slot) { mv.visitVarInsn(FSTORE, slot); return this; }
    MatmulCode insn(int opcode) { mv.visitInsn(opcode); return this; }

    /** Adds a constant to the int on the stack; nothing for zero. */
    MatmulCode addConst(int c) {
        if (c != 0) { push(c); mv.visitInsn(IADD); }
        return this;
    }

    /** Multiplies the int on the stack by a constant; nothing for one. */
    MatmulCode mulConst(int c) {
        if (c != 1) { push(c); mv.visitInsn(IMUL); }
        return this;
    }

    /** Pushes {@code slot * scale} (scale a constant), or nothing when scale is zero; returns whether it pushed. */
    boolean scaled(int slot, int scale) {
        if (scale == 0) return false;
        iload(slot);
        mulConst(scale);
        return true;
    }

    /** Adds {@code slot * scale} to the int on the stack. */
    MatmulCode addScaled(int slot, int scale) {
        if (scaled(slot, scale)) mv.visitInsn(IADD);
        return this;
    }

    /** Adds {@code slotA * slotB} to the int on the stack. */
    MatmulCode addProduct(int slotA, int slotB) {
        iload(slotA).iload(slotB).insn(IMUL).insn(IADD);
        return this;
    }

    MatmulCode invokeStatic(String owner, String name, String desc) {
        mv.visitMethodInsn(INVOKESTATIC, owner, name, desc, false);
        return this;
    }

    MatmulCode invokeVirtual(String owner, String name, String desc) {
        mv.visitMethodInsn(INVOKEVIRTUAL, owner, name, desc, false);
        return this;
    }

    MatmulCode invokeInterface(String owner, String name, String desc) {
        mv.visitMethodInsn(INVOKEINTERFACE, owner, name, desc, true);
        return this;
    }

    /**
     * {@code for (slot = from; slot < limit; slot += step) body}, where {@code pushLimit} pushes the
     * (loop-invariant) limit. The caller guarantees nothing about the trip count; the test is emitted
     * first, so zero trips are fine.
     */
    MatmulCode forLoop(int slot, int from, Consumer<MatmulCode> pushLimit, int step, Runnable body) {
        Label test = new Label(), top = new Label();
        push(from).istore(slot);
        mv.visitJumpInsn(GOTO, test);
        mv.visitLabel(top);
        body.run();
        mv.visitIincInsn(slot, step);
        mv.visitLabel(test);
        iload(slot);
        pushLimit.accept(this);
        mv.visitJumpInsn(IF_ICMPLT, top);
        return this;
    }

    /** {@link #forLoop} with a constant limit. */
    MatmulCode forLoop(int slot, int from, int limit, int step, Runnable body) {
        return forLoop(slot, from, c -> c.push(limit), step, body);
    }
}
