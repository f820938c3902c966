package descent.compiler.emit;

import descent.compiler.ir.ReduceFn;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes one reduction class:
 * <pre>
 * public final class GeneratedReduce_... implements ReduceKernel {
 *     public static void reduce(float[] x, int xOff, float[] out, int outOff, int batch);
 *     public void run(...)                        // ReduceKernel: calls reduce
 *     private static float rowFN(...); private static void combineFN(...)   // ReduceRowWriter
 * }
 * </pre>
 * {@code reduce} checks both ranges, fills the output with fn's identity, then walks the input once in
 * row-major order over the {@link ReduceShape#groups() groups}: a loop per outer group, and for the
 * innermost (contiguous) group either {@code out[o] = out[o] fn rowFN(x, p, n)} (it is reduced) or
 * {@code combineFN(x, p, out, o, n)} (it is kept). The output offset {@code o} advances by the kept
 * block below each kept loop and stays put across reduced ones. MEAN then divides by the reduced count
 * in float (one rounding more than the interpreter's double division).
 */
final class ReduceClassWriter implements Opcodes {
    static final String KERNEL_INTERFACE = Type.getInternalName(ReduceKernel.class);
    static final String DESC = "([FI[FII)V", DESC64 = "([DI[DII)V";
    private static final int X = 0, X_OFF = 1, OUT = 2, OUT_OFF = 3, BATCH = 4;

    private final ReduceShape shape;
    private final String className;
    private final ReduceRowWriter rows;
    private final List<ReduceShape.Group> groups;
    private int nextLocal;

    /** An f64 kernel: {@code run64}, scalar, each row op continuing from the output's value. */
    private final boolean f64;

    ReduceClassWriter(ReduceShape shape, String className, int vectorLength) { this(shape, className, vectorLength, false); }

    ReduceClassWriter(ReduceShape shape, String className, int vectorLength, boolean f64) {
        if (f64 && vectorLength > 0) throw new IllegalArgumentException("f64 reductions are scalar");
        this.f64 = f64;
        this.shape = shape;
        this.className = className;
        this.rows = new ReduceRowWriter(className, vectorLength);
        this.groups = shape.groups();
    }

    byte[] write() {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, className, KERNEL_INTERFACE);
        rows.emitField(cw);
        KernelClassFile.constructor(cw);
        emitDelegate(cw, className, f64 ? "run64" : "run", f64 ? DESC64 : DESC, "reduce", f64 ? DESC64 : DESC);
        emitReduce(cw);
        ReduceFn fn = shape.fn();
        if (f64) {
            if (groups.getLast().reduced()) rows.emitRowReduce64(cw, fn);
            else rows.emitRowCombine64(cw, fn);
        } else if (groups.getLast().reduced()) {
            rows.emitRowReduce(cw, fn);
        } else {
            rows.emitRowCombine(cw, fn);
            if (rowsCombined()) rows.emitRowsCombine(cw, fn);
        }
        emitClinit(cw, rows);
        cw.visitEnd();
        return cw.toByteArray();
    }

    static void emitClinit(ClassWriter cw, ReduceRowWriter rows) {
        MethodVisitor clinit = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        rows.emitStaticInit(new MatmulCode(clinit));
        clinit.visitInsn(RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();
    }

    /** An instance method passing its arguments (slots 1..) unchanged to a static method of the same class. */
    static void emitDelegate(ClassWriter cw, String owner, String name, String desc, String target, String targetDesc) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, name, desc, null, null);
        mv.visitCode();
        int slot = 1;
        for (Type t : Type.getArgumentTypes(desc)) {
            mv.visitVarInsn(t.getOpcode(ILOAD), slot);
            slot += t.getSize();
        }
        mv.visitMethodInsn(INVOKESTATIC, owner, target, targetDesc, false);
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private int local() { return nextLocal++; }

    /** Whether the innermost kept group sits below a reduced one, combined a block of rows per call (f32 only). */
    private boolean rowsCombined() {
        int g = groups.size();
        return !f64 && g >= 2 && !groups.get(g - 1).reduced() && groups.get(g - 2).reduced();
    }

    private void emitReduce(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "reduce", f64 ? DESC64 : DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        nextLocal = BATCH + 1;
        if (shape.hasBatch()) {
            Label ok = new Label();
            c.iload(BATCH);
            mv.visitJumpInsn(IFGE, ok);
            MatmulClassWriter.throwNew(c, "java/lang/IllegalArgumentException", "negative batch size");
            mv.visitLabel(ok);
        }
        int g = groups.size();
        int[] size = new int[g];
        for (int i = 0; i < g; i++) {
            size[i] = local();
            c.push(groups.get(i).constant());
            for (int b = 0; b < groups.get(i).batches(); b++) c.iload(BATCH).invokeStatic("java/lang/Math", "multiplyExact", "(II)I");
            c.istore(size[i]);
        }
        // stride[i]: output elements below one step of kept group i; inSize and outSize.
        int[] stride = new int[g];
        int run = local();
        c.push(1).istore(run);
        for (int i = g - 1; i >= 0; i--) {
            if (groups.get(i).reduced()) continue;
            stride[i] = local();
            c.iload(run).istore(stride[i]);
            c.iload(run).iload(size[i]).invokeStatic("java/lang/Math", "multiplyExact", "(II)I").istore(run);
        }
        int outSize = run;
        int inSize = local();
        c.push(1).istore(inSize);
        for (int i = 0; i < g; i++) c.iload(inSize).iload(size[i]).invokeStatic("java/lang/Math", "multiplyExact", "(II)I").istore(inSize);
        c.iload(X_OFF).iload(inSize).aload(X).insn(ARRAYLENGTH).invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
        c.iload(OUT_OFF).iload(outSize).aload(OUT).insn(ARRAYLENGTH).invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
        ReduceFn fn = shape.fn();
        c.aload(OUT).iload(OUT_OFF).iload(OUT_OFF).iload(outSize).insn(IADD);
        if (f64) {
            mv.visitLdcInsn((double) ReduceRowWriter.identity(fn));
            c.invokeStatic("java/util/Arrays", "fill", "([DIID)V");
        } else {
            mv.visitLdcInsn(ReduceRowWriter.identity(fn));
            c.invokeStatic("java/util/Arrays", "fill", "([FIIF)V");
        }
        int p = local();
        c.iload(X_OFF).istore(p);
        emitLevel(c, 0, OUT_OFF, size, stride, p);
        if (fn == ReduceFn.MEAN) {
            // count = inSize / outSize (as the interpreter: 0 when the input is empty, giving 0/0 = NaN).
            Label done = new Label();
            c.iload(outSize);
            mv.visitJumpInsn(IFLE, done);
            int count = local();
            if (f64) local(); // count is a double: two slots
            int i = local();
            if (f64) {
                c.iload(inSize).iload(outSize).insn(IDIV).insn(I2D);
                mv.visitVarInsn(DSTORE, count);
                c.forLoop(i, 0, cc -> cc.iload(outSize), 1, () -> {
                    c.aload(OUT).iload(OUT_OFF).iload(i).insn(IADD).insn(DUP2).insn(DALOAD);
                    mv.visitVarInsn(DLOAD, count);
                    c.insn(DDIV).insn(DASTORE);
                });
            } else {
                c.iload(inSize).iload(outSize).insn(IDIV).insn(I2F).fstore(count);
                c.forLoop(i, 0, cc -> cc.iload(outSize), 1, () -> {
                    c.aload(OUT).iload(OUT_OFF).iload(i).insn(IADD).insn(DUP2).insn(FALOAD).fload(count).insn(FDIV).insn(FASTORE);
                });
            }
            mv.visitLabel(done);
        }
        c.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void emitLevel(MatmulCode c, int level, int parentO, int[] size, int[] stride, int p) {
        ReduceShape.Group group = groups.get(level);
        ReduceFn fn = shape.fn();
        if (level == groups.size() - 2 && rowsCombined()) {
            // A reduced block of rows over the kept innermost group: one call, the output vectors held in registers.
            int last = groups.size() - 1;
            c.aload(X).iload(p).aload(OUT).iload(parentO).iload(size[last]).iload(size[level])
                    .invokeStatic(className, ReduceRowWriter.combineRowsName(fn), ReduceRowWriter.COMBINE_ROWS_DESC);
            c.iload(p).iload(size[last]).iload(size[level]).insn(IMUL).insn(IADD).istore(p);
            return;
        }
        if (level == groups.size() - 1) {
            if (group.reduced() && f64) {
                // out[o] = rowFN(out[o], x, p, n): the row continues the output's accumulation, as the interpreter's.
                c.aload(OUT).iload(parentO).insn(DUP2).insn(DALOAD);
                c.aload(X).iload(p).iload(size[level]).invokeStatic(className, ReduceRowWriter.reduceName(fn), ReduceRowWriter.REDUCE64_DESC);
                c.insn(DASTORE);
            } else if (group.reduced()) {
                c.aload(OUT).iload(parentO).insn(DUP2).insn(FALOAD);
                c.aload(X).iload(p).iload(size[level]).invokeStatic(className, ReduceRowWriter.reduceName(fn), ReduceRowWriter.REDUCE_DESC);
                ReduceRowWriter.scalarOp(c, fn);
                c.insn(FASTORE);
            } else {
                c.aload(X).iload(p).aload(OUT).iload(parentO).iload(size[level])
                        .invokeStatic(className, ReduceRowWriter.combineName(fn), f64 ? ReduceRowWriter.COMBINE64_DESC : ReduceRowWriter.COMBINE_DESC);
            }
            c.iload(p).iload(size[level]).insn(IADD).istore(p);
            return;
        }
        int o = local(), i = local();
        c.iload(parentO).istore(o);
        c.forLoop(i, 0, cc -> cc.iload(size[level]), 1, () -> {
            emitLevel(c, level + 1, o, size, stride, p);
            if (!group.reduced()) c.iload(o).iload(stride[level]).insn(IADD).istore(o);
        });
    }
}
