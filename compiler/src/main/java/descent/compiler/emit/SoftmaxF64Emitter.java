package descent.compiler.emit;

import java.util.concurrent.atomic.AtomicLong;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * f64 softmax, log_softmax and the two cross entropies as hidden classes implementing {@link SoftmaxF64Kernel},
 * specialised to the class count. Each row is the interpreter's loop ({@code interp/Kernels.softmax}): the
 * maximum with {@code Math.max}, {@code sum += Math.exp(x - max)}, then {@code exp(x - max) / sum} or
 * {@code (x - max) - log(sum)}; the cross entropy {@code s -= label · logp} in class order, the sparse one
 * {@code -logp[label]}. So results are bitwise the interpreter's. Sparse labels are all checked before any
 * row is written, with the interpreter's message.
 */
public final class SoftmaxF64Emitter implements Opcodes {
    /** What a kernel computes. */
    public enum Op { SOFTMAX, LOG_SOFTMAX, XENT, SPARSE_XENT_I32, SPARSE_XENT_I64 }

    private static final AtomicLong SERIAL = new AtomicLong();
    private static final String DESC = "(Ljava/lang/Object;[D[DI)V";
    // Slots: this, labels, logits, out, rows; then locals (doubles take two).
    private static final int LABELS = 1, X = 2, OUT = 3, ROWS = 4, R = 5, J = 6, BASE = 7, K = 8, DL = 9,
            MAX = 10, SUM = 12, LOGSUM = 14, S = 16;

    private SoftmaxF64Emitter() {}

    public static SoftmaxF64Kernel emit(Op op, int classes) {
        if (classes < 0) throw new IllegalArgumentException("classes " + classes);
        byte[] bytes = KernelClassFiles.generated(() -> classFile(op, classes));
        return KernelClassFile.instantiate(bytes, SoftmaxF64Kernel.class, "f64 softmax");
    }

    private static byte[] classFile(Op op, int classes) {
        String name = SoftmaxF64Emitter.class.getPackageName().replace('.', '/') + "/GeneratedSoftmaxF64_" + op.name().toLowerCase()
                + "_" + classes + "_" + SERIAL.incrementAndGet();
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, name, Type.getInternalName(SoftmaxF64Kernel.class));
        KernelClassFile.constructor(cw);
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        boolean sparse = op == Op.SPARSE_XENT_I32 || op == Op.SPARSE_XENT_I64;
        if (sparse) {
            mv.visitVarInsn(ALOAD, LABELS);
            mv.visitTypeInsn(CHECKCAST, op == Op.SPARSE_XENT_I32 ? "[I" : "[J");
            mv.visitVarInsn(ASTORE, DL);
            SoftmaxClassWriter.checkLabels(c, R, K, ROWS, classes, () -> pushLabel(c, op));
        } else if (op == Op.XENT) {
            mv.visitVarInsn(ALOAD, LABELS);
            mv.visitTypeInsn(CHECKCAST, "[D");
            mv.visitVarInsn(ASTORE, DL);
        }
        if (classes > 0) c.forLoop(R, 0, x -> x.iload(ROWS), 1, () -> row(c, op, classes));
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Pushes row R's label as an int, as the interpreter reads it: {@code (int) (double) label}. */
    private static void pushLabel(MatmulCode c, Op op) {
        c.aload(DL).iload(R);
        if (op == Op.SPARSE_XENT_I32) c.insn(IALOAD);
        else c.insn(LALOAD).insn(L2D).insn(D2I);
    }

    private static void row(MatmulCode c, Op op, int classes) {
        MethodVisitor mv = c.mv;
        c.iload(R).mulConst(classes).istore(BASE);
        // max = -inf; max = Math.max(max, x[base + j])
        mv.visitLdcInsn(Double.NEGATIVE_INFINITY);
        mv.visitVarInsn(DSTORE, MAX);
        c.forLoop(J, 0, classes, 1, () -> {
            mv.visitVarInsn(DLOAD, MAX);
            x(c);
            c.invokeStatic("java/lang/Math", "max", "(DD)D");
            mv.visitVarInsn(DSTORE, MAX);
        });
        // sum += Math.exp(x[base + j] - max)
        c.insn(DCONST_0);
        mv.visitVarInsn(DSTORE, SUM);
        c.forLoop(J, 0, classes, 1, () -> {
            mv.visitVarInsn(DLOAD, SUM);
            shifted(c);
            c.invokeStatic("java/lang/Math", "exp", "(D)D").insn(DADD);
            mv.visitVarInsn(DSTORE, SUM);
        });
        if (op != Op.SOFTMAX) {
            mv.visitVarInsn(DLOAD, SUM);
            c.invokeStatic("java/lang/Math", "log", "(D)D");
            mv.visitVarInsn(DSTORE, LOGSUM);
        }
        switch (op) {
            case SOFTMAX, LOG_SOFTMAX -> c.forLoop(J, 0, classes, 1, () -> {
                c.aload(OUT).iload(BASE).iload(J).insn(IADD);
                shifted(c);
                if (op == Op.SOFTMAX) {
                    c.invokeStatic("java/lang/Math", "exp", "(D)D");
                    mv.visitVarInsn(DLOAD, SUM);
                    c.insn(DDIV);
                } else {
                    mv.visitVarInsn(DLOAD, LOGSUM);
                    c.insn(DSUB);
                }
                c.insn(DASTORE);
            });
            case XENT -> {
                // s -= labels[base + j] * ((x[base + j] - max) - log(sum))
                c.insn(DCONST_0);
                mv.visitVarInsn(DSTORE, S);
                c.forLoop(J, 0, classes, 1, () -> {
                    mv.visitVarInsn(DLOAD, S);
                    c.aload(DL).iload(BASE).iload(J).insn(IADD).insn(DALOAD);
                    shifted(c);
                    mv.visitVarInsn(DLOAD, LOGSUM);
                    c.insn(DSUB).insn(DMUL).insn(DSUB);
                    mv.visitVarInsn(DSTORE, S);
                });
                c.aload(OUT).iload(R);
                mv.visitVarInsn(DLOAD, S);
                c.insn(DASTORE);
            }
            case SPARSE_XENT_I32, SPARSE_XENT_I64 -> {
                // out[r] = -((x[base + label] - max) - log(sum))
                pushLabel(c, op);
                c.istore(J);
                c.aload(OUT).iload(R);
                shifted(c);
                mv.visitVarInsn(DLOAD, LOGSUM);
                c.insn(DSUB).insn(DNEG).insn(DASTORE);
            }
        }
    }

    /** Pushes x[base + j]. */
    private static void x(MatmulCode c) { c.aload(X).iload(BASE).iload(J).insn(IADD).insn(DALOAD); }

    /** Pushes x[base + j] - max. */
    private static void shifted(MatmulCode c) {
        x(c);
        c.mv.visitVarInsn(DLOAD, MAX);
        c.insn(DSUB);
    }
}
