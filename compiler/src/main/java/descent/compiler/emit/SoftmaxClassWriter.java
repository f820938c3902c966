package descent.compiler.emit;

import descent.compiler.ir.ReduceFn;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes one softmax-family class for a static class count C. Per row, exactly the interpreter's
 * arithmetic ({@code Kernels.softmax / softmaxXent / sparseSoftmaxXent}) in the same order:
 * <pre>
 * max   = rowMAX(x, p, C)                              // vector, order-free (exact selection)
 * sum   = Σ_j Math.exp((double) x[j] − max)            // double, j = 0..C−1 in order
 * softmax:      out[j] = (float) (Math.exp((double) x[j] − max) / sum)
 * log_softmax:  out[j] = (float) (((double) x[j] − max) − Math.log(sum))
 * xent:         loss   = (float) Σ_j −labels[j]·(((double) x[j] − max) − Math.log(sum))   (s −= …, in order)
 * sparse xent:  loss   = (float) −(((double) x[k] − max) − Math.log(sum)),  k = labels[r]
 * </pre>
 * so results equal the interpreter's bit for bit (Math.exp/log give the same bits in interpreted and
 * compiled code of one JVM). Only the row maximum is vectorised: a vector exp (SVML) would change bits
 * when C2 compiles the kernel. Sparse labels are all checked before any loss is written.
 */
final class SoftmaxClassWriter implements Opcodes {
    static final String SOFTMAX_DESC = "([FI[FII)V";
    static final String XENT_DESC = "([FI[FI[FII)V";
    static final String SPARSE_DESC = "(Ljava/lang/Object;I[FI[FII)V";
    static final String SPARSE_SOFTMAX_DESC = "(Ljava/lang/Object;I[FI[FI[FII)V";

    private final SoftmaxOp op;
    private final boolean withSoftmax;
    private final int classes;
    private final String className;
    private final ReduceRowWriter rows;

    SoftmaxClassWriter(SoftmaxOp op, int classes, String className, int vectorLength) { this(op, classes, className, vectorLength, false); }

    /** {@code withSoftmax}: a sparse cross entropy that also writes softmax(logits) ({@link SoftmaxSparseXentKernel#run(Object, int, float[], int, float[], int, float[], int, int)}). */
    SoftmaxClassWriter(SoftmaxOp op, int classes, String className, int vectorLength, boolean withSoftmax) {
        if (classes < 0) throw new IllegalArgumentException("classes " + classes);
        if (withSoftmax && op != SoftmaxOp.SPARSE_XENT_I32 && op != SoftmaxOp.SPARSE_XENT_I64) {
            throw new IllegalArgumentException("only a sparse cross entropy writes its softmax too");
        }
        this.withSoftmax = withSoftmax;
        this.op = op;
        this.classes = classes;
        this.className = className;
        this.rows = new ReduceRowWriter(className, vectorLength);
    }

    private Class<?> kernelInterface() {
        return switch (op) {
            case SOFTMAX, LOG_SOFTMAX -> SoftmaxKernel.class;
            case XENT -> SoftmaxXentKernel.class;
            case SPARSE_XENT_I32, SPARSE_XENT_I64 -> SoftmaxSparseXentKernel.class;
        };
    }

    private String desc() {
        return switch (op) {
            case SOFTMAX, LOG_SOFTMAX -> SOFTMAX_DESC;
            case XENT -> XENT_DESC;
            case SPARSE_XENT_I32, SPARSE_XENT_I64 -> withSoftmax ? SPARSE_SOFTMAX_DESC : SPARSE_DESC;
        };
    }

    byte[] write() {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, className, Type.getInternalName(kernelInterface()));
        rows.emitField(cw);
        KernelClassFile.constructor(cw);
        ReduceClassWriter.emitDelegate(cw, className, "run", desc(), "compute", desc());
        emitCompute(cw);
        rows.emitRowReduce(cw, ReduceFn.MAX);
        ReduceClassWriter.emitClinit(cw, rows);
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void checkRange(MatmulCode c, int offSlot, int sizeSlot, int arraySlot) {
        c.iload(offSlot).iload(sizeSlot).aload(arraySlot).insn(ARRAYLENGTH)
                .invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
    }

    /** Pushes the int label at index {@code labels[labelsOff + r]}, as the interpreter reads it ((int) of the double value). */
    private void pushLabel(MatmulCode c, int labelsSlot, int labelsOff, int r) {
        c.aload(labelsSlot).iload(labelsOff).iload(r).insn(IADD);
        if (op == SoftmaxOp.SPARSE_XENT_I32) c.insn(IALOAD);
        else c.insn(LALOAD).insn(L2D).insn(D2I);
    }

    /**
     * {@code for (r < rows) { k = label(r); if (k < 0 || k >= classes) throw labelOutOfRange(k, r, classes); }}:
     * every sparse label is checked before any row is written ({@code pushLabel} pushes row r's label as an int).
     */
    static void checkLabels(MatmulCode c, int r, int k, int rowsSlot, int classes, Runnable pushLabel) {
        c.forLoop(r, 0, cc -> cc.iload(rowsSlot), 1, () -> {
            Label bad = new Label(), ok = new Label();
            pushLabel.run();
            c.istore(k).iload(k);
            c.mv.visitJumpInsn(IFLT, bad);
            c.iload(k).push(classes);
            c.mv.visitJumpInsn(IF_ICMPLT, ok);
            c.mv.visitLabel(bad);
            c.iload(k).iload(r).push(classes).invokeStatic(Type.getInternalName(SoftmaxEmitter.class), "labelOutOfRange",
                    "(III)Ldescent/runtime/DescentException;").insn(ATHROW);
            c.mv.visitLabel(ok);
        });
    }

    private void emitCompute(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "compute", desc(), null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        boolean softmax = op == SoftmaxOp.SOFTMAX || op == SoftmaxOp.LOG_SOFTMAX;
        boolean sparse = op == SoftmaxOp.SPARSE_XENT_I32 || op == SoftmaxOp.SPARSE_XENT_I64;
        // Argument slots.
        final int labels = softmax ? -1 : 0, labelsOff = softmax ? -1 : 1;
        final int x = softmax ? 0 : 2, xOff = softmax ? 1 : 3;
        final int out = softmax ? 2 : 4, outOff = softmax ? 3 : 5;
        final int probs = withSoftmax ? 6 : -1, probsOff = withSoftmax ? 7 : -1;   // the softmax a sparse xent also writes
        final int rowsSlot = softmax ? 4 : withSoftmax ? 8 : 6;
        int next = rowsSlot + 1;
        final int size = next++, r = next++, p = next++, q = next++, j = next++, k = next++, arr = next++;
        final int mx = next, sum = next + 2, ls = next + 4, s = next + 6, exps = next + 8;
        c.iload(rowsSlot).push(classes).invokeStatic("java/lang/Math", "multiplyExact", "(II)I").istore(size);
        checkRange(c, xOff, size, x);
        if (softmax) checkRange(c, outOff, size, out);
        else checkRange(c, outOff, rowsSlot, out);
        if (op == SoftmaxOp.XENT) checkRange(c, labelsOff, size, labels);
        if (withSoftmax) checkRange(c, probsOff, size, probs);
        if (sparse) {
            c.aload(labels);
            mv.visitTypeInsn(CHECKCAST, op == SoftmaxOp.SPARSE_XENT_I32 ? "[I" : "[J");
            c.astore(arr);
            checkRange(c, labelsOff, rowsSlot, arr);
            checkLabels(c, r, k, rowsSlot, classes, () -> pushLabel(c, arr, labelsOff, r));
        }
        c.iload(xOff).istore(p);
        // The running pointer of out (softmax), of probs (a sparse xent writing its softmax) or of dense labels (xent).
        c.iload(softmax ? outOff : withSoftmax ? probsOff : labelsOff).istore(q);
        c.forLoop(r, 0, cc -> cc.iload(rowsSlot), 1, () -> {
            c.aload(x).iload(p).push(classes).invokeStatic(className, ReduceRowWriter.reduceName(ReduceFn.MAX), ReduceRowWriter.REDUCE_DESC);
            c.insn(F2D);
            mv.visitVarInsn(DSTORE, mx);
            c.insn(DCONST_0);
            mv.visitVarInsn(DSTORE, sum);
            // Few classes: each exp is kept in a local for the output pass rather than computed again.
            boolean keep = (op == SoftmaxOp.SOFTMAX || withSoftmax) && classes <= KEPT_EXPS;
            if (keep) {
                for (int jj = 0; jj < classes; jj++) {
                    c.push(jj).istore(j);
                    pushShifted(c, x, p, j, mx);
                    c.invokeStatic("java/lang/Math", "exp", "(D)D").insn(DUP2);
                    mv.visitVarInsn(DSTORE, exps + 2 * jj);
                    mv.visitVarInsn(DLOAD, sum);
                    c.insn(DADD);
                    mv.visitVarInsn(DSTORE, sum);
                }
            } else {
                c.forLoop(j, 0, classes, 1, () -> {
                    mv.visitVarInsn(DLOAD, sum);
                    pushShifted(c, x, p, j, mx);
                    c.invokeStatic("java/lang/Math", "exp", "(D)D").insn(DADD);
                    mv.visitVarInsn(DSTORE, sum);
                });
            }
            if (op == SoftmaxOp.SOFTMAX) {
                softmaxRow(c, out, q, x, p, j, mx, sum, keep ? exps : -1);
            } else {
                mv.visitVarInsn(DLOAD, sum);
                c.invokeStatic("java/lang/Math", "log", "(D)D");
                mv.visitVarInsn(DSTORE, ls);
                if (op == SoftmaxOp.LOG_SOFTMAX) {
                    c.forLoop(j, 0, classes, 1, () -> {
                        c.aload(out).iload(q).iload(j).insn(IADD);
                        pushShifted(c, x, p, j, mx);
                        mv.visitVarInsn(DLOAD, ls);
                        c.insn(DSUB).insn(D2F).insn(FASTORE);
                    });
                } else if (op == SoftmaxOp.XENT) {
                    c.insn(DCONST_0);
                    mv.visitVarInsn(DSTORE, s);
                    c.forLoop(j, 0, classes, 1, () -> {
                        mv.visitVarInsn(DLOAD, s);
                        c.aload(labels).iload(q).iload(j).insn(IADD).insn(FALOAD).insn(F2D);
                        pushShifted(c, x, p, j, mx);
                        mv.visitVarInsn(DLOAD, ls);
                        c.insn(DSUB).insn(DMUL).insn(DSUB);
                        mv.visitVarInsn(DSTORE, s);
                    });
                    c.aload(out).iload(outOff).iload(r).insn(IADD);
                    mv.visitVarInsn(DLOAD, s);
                    c.insn(D2F).insn(FASTORE);
                } else {
                    pushLabel(c, arr, labelsOff, r);
                    c.istore(k);
                    c.aload(out).iload(outOff).iload(r).insn(IADD);
                    pushShifted(c, x, p, k, mx);
                    mv.visitVarInsn(DLOAD, ls);
                    c.insn(DSUB).insn(DNEG).insn(D2F).insn(FASTORE);
                    if (withSoftmax) softmaxRow(c, probs, q, x, p, j, mx, sum, keep ? exps : -1);
                }
            }
            c.iload(p).addConst(classes).istore(p);
            c.iload(q).addConst(classes).istore(q);
        });
        c.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * {@code dst[q + j] = (float) (exp_j / sum)} for the row: exp_j from the locals at {@code kept} (two slots each)
     * when it is not -1, else {@code Math.exp((double) x[p + j] - max)} again — the softmax kernel's own formula.
     */
    private void softmaxRow(MatmulCode c, int dst, int q, int x, int p, int j, int mx, int sum, int kept) {
        if (kept >= 0) {
            for (int jj = 0; jj < classes; jj++) {
                c.aload(dst).iload(q).addConst(jj);
                c.mv.visitVarInsn(DLOAD, kept + 2 * jj);
                c.mv.visitVarInsn(DLOAD, sum);
                c.insn(DDIV).insn(D2F).insn(FASTORE);
            }
            return;
        }
        c.forLoop(j, 0, classes, 1, () -> {
            c.aload(dst).iload(q).iload(j).insn(IADD);
            pushShifted(c, x, p, j, mx);
            c.invokeStatic("java/lang/Math", "exp", "(D)D");
            c.mv.visitVarInsn(DLOAD, sum);
            c.insn(DDIV).insn(D2F).insn(FASTORE);
        });
    }

    /** Softmax rows of at most this many classes keep their exps in locals (one Math.exp per element, not two). */
    static final int KEPT_EXPS = 16;

    /** Pushes {@code (double) x[p + j] - max} as a double. */
    private static void pushShifted(MatmulCode c, int x, int p, int j, int mx) {
        c.aload(x).iload(p).iload(j).insn(IADD).insn(FALOAD).insn(F2D);
        c.mv.visitVarInsn(DLOAD, mx);
        c.insn(DSUB);
    }
}
