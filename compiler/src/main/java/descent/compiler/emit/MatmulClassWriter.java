package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;


/**
 * The skeleton every generated matmul class shares, whatever its inner loops:
 * <pre>
 * public final class GeneratedMatmul_... implements MatmulKernel {
 *     public static void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff
 *                               [, int m]              // only for a runtime M
 *                               [, float[] scratch]);  // only when the kernel packs B
 *     public void run(...)  // MatmulKernel: checks m against a static M, then calls matmul
 * }
 * </pre>
 * {@code matmul} validates every operand range before touching C, so a bad call fails without a
 * partial write, and then delegates to the subclass's body.
 */
abstract class MatmulClassWriter implements Opcodes {
    /** The class-file version: Java 25, which ASM 9.9.1 reads and writes. */
    static final String KERNEL_INTERFACE = Type.getInternalName(MatmulKernel.class);
    static final String RUN_DESC = "([FI[FI[FII[F)V";
    static final String RUN_BIAS_DESC = "([FI[FI[FII[F[FI)V";

    // Argument slots of the static matmul method; the optional ones follow.
    static final int A = 0, A_OFF = 1, B = 2, B_OFF = 3, C = 4, C_OFF = 5;

    final MatmulShape shape;
    final MatmulEpilogue epilogue;
    final String className;
    /** Slot of the runtime dimension (the row count, or k for a runtime-K kernel), or -1 when both are static. */
    final int mSlot;
    /** Slot of the scratch array, or -1 when the kernel needs none. */
    final int scratchSlot;
    /** Slots of the epilogue's bias row and its offset, or -1 when the epilogue adds none. */
    final int biasSlot, biasOffSlot;
    /** First slot free for the body's own locals. */
    final int firstLocal;

    MatmulClassWriter(MatmulShape shape, MatmulEpilogue epilogue, String className, int scratchFloats) {
        this.shape = shape;
        this.epilogue = epilogue;
        this.className = className;
        int next = C_OFF + 1;
        mSlot = shape.hasRuntimeDim() ? next++ : -1;
        scratchSlot = scratchFloats > 0 ? next++ : -1;
        biasSlot = epilogue.bias() ? next++ : -1;
        biasOffSlot = epilogue.bias() ? next++ : -1;
        firstLocal = next;
    }

    /** Floats of scratch the body needs; 0 means no scratch parameter. */
    abstract int scratchFloats();

    /** Emits the body of {@code matmul} after the argument checks; must end with a return. */
    abstract void emitBody(MatmulCode code);

    /** Emits private static helper methods and static initialisation the body relies on. */
    void emitMembers(ClassWriter cw) {}

    /** Statements prepended to {@code <clinit>}; nothing by default. */
    void emitStaticInit(MatmulCode code) {}

    final String matmulDesc() {
        return "([FI[FI[FI" + (shape.hasRuntimeDim() ? "I" : "") + (scratchSlot >= 0 ? "[F" : "")
                + (biasSlot >= 0 ? "[FI" : "") + ")V";
    }

    /** Pushes the row count: the constant M or the runtime argument. */
    final void pushM(MatmulCode code) {
        if (shape.hasRuntimeM()) code.iload(mSlot);
        else code.push(shape.m());
    }

    /** Pushes what a tile takes as its int argument: the runtime dimension, or M when there is none. */
    final void pushRuntime(MatmulCode code) {
        if (mSlot >= 0) code.iload(mSlot);
        else code.push(shape.m());
    }

    /** The bound of a loop over k: the constant, or the runtime argument in {@code slot}. */
    final java.util.function.Consumer<MatmulCode> kBound(int slot) {
        return c -> { if (shape.hasRuntimeK()) c.iload(slot); else c.push(shape.k()); };
    }

    final byte[] write() {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, className, KERNEL_INTERFACE);
        KernelClassFile.constructor(cw);
        emitRun(cw, false);
        if (epilogue.bias()) emitRun(cw, true);
        emitMatmul(cw);
        emitMembers(cw);
        MethodVisitor clinit = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        emitStaticInit(new MatmulCode(clinit));
        clinit.visitInsn(RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * {@code run(a, aOff, b, bOff, c, cOff, m, scratch[, bias, biasOff])}: slots 1..8 (0 is this), then 9, 10.
     * A kernel whose epilogue adds a bias rejects the call without one.
     */
    private void emitRun(ClassWriter cw, boolean withBias) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", withBias ? RUN_BIAS_DESC : RUN_DESC, null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        if (epilogue.bias() && !withBias) {
            throwNew(code, "java/lang/IllegalArgumentException", "this kernel's epilogue needs a bias row");
            mv.visitMaxs(0, 0);
            mv.visitEnd();
            return;
        }
        if (!shape.hasRuntimeDim()) {
            Label ok = new Label();
            code.iload(7).push(shape.m());
            mv.visitJumpInsn(IF_ICMPEQ, ok);
            throwNew(code, "java/lang/IllegalArgumentException", "this kernel is specialised to m = " + shape.m());
            mv.visitLabel(ok);
        }
        for (int slot = 1; slot <= 6; slot++) mv.visitVarInsn(slot % 2 == 1 ? ALOAD : ILOAD, slot);
        if (shape.hasRuntimeDim()) code.iload(7);
        if (scratchSlot >= 0) code.aload(8);
        if (withBias) code.aload(9).iload(10);
        code.invokeStatic(className, "matmul", matmulDesc());
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void emitMatmul(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "matmul", matmulDesc(), null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        MatmulShape s = shape;
        // Objects.checkFromIndexSize(off, size, array.length) for A, B and C, in long arithmetic so a huge runtime
        // dimension cannot wrap into a size that passes; each operand is `rows` rows `stride` apart, `cols` used.
        if (mSlot >= 0) {
            Label ok = new Label();
            code.iload(mSlot);
            code.mv.visitJumpInsn(IFGE, ok);
            throwNew(code, "java/lang/IndexOutOfBoundsException", "negative dimension");
            code.mv.visitLabel(ok);
        }
        checkRange(code, A_OFF, A, s.transposeA() ? s.k() : s.m(), s.lda(), s.transposeA() ? s.m() : s.k());
        checkRange(code, B_OFF, B, s.transposeB() ? s.n() : s.k(), s.ldb(), s.transposeB() ? s.k() : s.n());
        checkRange(code, C_OFF, C, s.m(), s.ldc(), s.n());
        // A runtime-K kernel's panel is k × its scratch floats, and needed only when a call packs: the body checks it.
        // A runtime m or n of 0 (an empty batch) reads no panel, so it needs none.
        if (scratchSlot >= 0 && !shape.hasRuntimeK()) {
            Label checked = new Label();
            if (mSlot >= 0) {
                code.iload(mSlot);
                code.mv.visitJumpInsn(IFEQ, checked);
            }
            code.push(0).push(scratchFloats()).aload(scratchSlot).insn(ARRAYLENGTH);
            code.invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
            code.mv.visitLabel(checked);
        }
        if (biasSlot >= 0) {
            code.iload(biasOffSlot);
            nBound(mSlot).accept(code);
            code.aload(biasSlot).insn(ARRAYLENGTH);
            code.invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
        }
        emitBody(code);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * Pushes, as a long, the floats spanned by {@code rows} rows {@code stride} apart of which {@code cols} are used:
     * {@code (rows - 1)·stride + cols}, or 0 when there are no rows. Each of the three is a constant or, when -1,
     * the runtime dimension (at least 0 by then); a stride is never below its width, so max(0, …) covers rows = 0.
     */
    private void pushBlock(MatmulCode code, int rows, int stride, int cols) {
        pushLong(code, rows);
        pushLong(code, stride);
        code.insn(LMUL);
        pushLong(code, stride);
        code.insn(LSUB);
        pushLong(code, cols);
        code.insn(LADD).insn(LCONST_0);
        code.invokeStatic("java/lang/Math", "max", "(JJ)J");
    }

    /** Pushes a dimension as a long: the constant, or the runtime argument for -1. */
    private void pushLong(MatmulCode code, int dim) {
        if (dim >= 0) code.mv.visitLdcInsn((long) dim);
        else code.iload(mSlot).insn(I2L);
    }

    /**
     * Adds {@code slot · stride} to the int on the stack: a constant stride, or, for -1, the runtime dimension held
     * in {@code runtimeSlot} (the argument of whichever method is being written).
     */
    static MatmulCode addStride(MatmulCode code, int slot, int stride, int runtimeSlot) {
        return stride >= 0 ? code.addScaled(slot, stride) : code.addProduct(slot, runtimeSlot);
    }

    /** Adds {@code times · stride} (times a constant) to the int on the stack, as {@link #addStride}. */
    static MatmulCode addStrideTimes(MatmulCode code, int times, int stride, int runtimeSlot) {
        if (stride >= 0) return code.addConst(times * stride);
        if (times != 0) code.iload(runtimeSlot).mulConst(times).insn(IADD);
        return code;
    }

    /** The bound of a loop over n: the constant, or the runtime argument in {@code slot}. */
    final java.util.function.Consumer<MatmulCode> nBound(int slot) {
        return c -> { if (shape.hasRuntimeN()) c.iload(slot); else c.push(shape.n()); };
    }

    /**
     * {@code Objects.checkFromIndexSize(off, size, array.length)} for an operand of {@code rows} rows {@code stride}
     * apart, {@code cols} used ({@link #pushBlock}), unless it is empty (a runtime dimension of 0, an empty batch): an
     * empty operand is read nowhere, so its offset may lie anywhere, as a row block's does in an empty array.
     */
    private void checkRange(MatmulCode code, int offSlot, int arraySlot, int rows, int stride, int cols) {
        if (rows >= 0 && stride >= 0 && cols >= 0) {
            // Static: a constant size, never 0.
            code.iload(offSlot).insn(I2L).mv.visitLdcInsn((long) (rows - 1) * stride + cols);
            code.aload(arraySlot).insn(ARRAYLENGTH).insn(I2L);
            code.invokeStatic("java/util/Objects", "checkFromIndexSize", "(JJJ)J").insn(POP2);
            return;
        }
        int size = firstLocal;   // a long, in slots the body's locals take over afterwards
        pushBlock(code, rows, stride, cols);
        code.mv.visitVarInsn(LSTORE, size);
        Label empty = new Label();
        code.mv.visitVarInsn(LLOAD, size);
        code.insn(LCONST_0).insn(LCMP);
        code.mv.visitJumpInsn(IFEQ, empty);
        code.iload(offSlot).insn(I2L);
        code.mv.visitVarInsn(LLOAD, size);
        code.aload(arraySlot).insn(ARRAYLENGTH).insn(I2L);
        code.invokeStatic("java/util/Objects", "checkFromIndexSize", "(JJJ)J").insn(POP2);
        code.mv.visitLabel(empty);
    }

    /**
     * Applies the epilogue to the float on the stack, C's element in the column local {@code jSlot} holds:
     * {@code + bias[biasBase + j]} (a rounded float add, as the elementwise kernel), then relu as
     * {@code x < 0 ? 0 : x} (keeps -0.0 and NaN), or tanh or sigmoid as the scalar elementwise kernel. {@code biasArg}/{@code biasBase} are the slots holding the row;
     * locals from {@code freeLocal} on are free.
     */
    final void scalarEpilogue(MatmulCode code, int biasArg, int biasBase, int jSlot, int freeLocal) {
        if (epilogue.bias()) {
            code.aload(biasArg).iload(biasBase).iload(jSlot).insn(IADD).insn(FALOAD).insn(FADD);
        }
        if (epilogue.relu()) {
            Label keep = new Label();
            code.insn(DUP).insn(FCONST_0).insn(FCMPG);
            code.mv.visitJumpInsn(IFGE, keep);
            code.insn(POP).insn(FCONST_0);
            code.mv.visitLabel(keep);
        }
        if (epilogue.formula()) {
            // The scalar-style elementwise kernel's formula (double inside, rounded once), over locals past the body's.
            ElementwiseLanes.Slots slots = new ElementwiseLanes.Slots(freeLocal);
            ElementwiseLanes.Val x = new ElementwiseLanes.Val(slots.take(1), ElementwiseLanes.Type.FLOAT);
            code.fstore(x.slot());
            code.fload(new ElementwiseFormulas(new ElementwiseScalarLanes(code.mv, slots), true).unary(epilogue.activation(), x).slot());
        }
    }


    static void throwNew(MatmulCode code, String exception, String message) {
        code.mv.visitTypeInsn(NEW, exception);
        code.insn(DUP);
        code.mv.visitLdcInsn(message);
        code.mv.visitMethodInsn(INVOKESPECIAL, exception, "<init>", "(Ljava/lang/String;)V", false);
        code.insn(ATHROW);
    }
}
