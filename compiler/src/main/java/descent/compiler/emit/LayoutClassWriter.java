package descent.compiler.emit;

import descent.runtime.DType;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import java.util.function.BiConsumer;

/**
 * Writes a {@link LayoutProgram} as a class implementing {@link LayoutKernel}:
 * <pre>
 * public final class GeneratedLayout_... implements LayoutKernel {
 *     public void run(Object[] in, int[] inOff, Object out, int outOff, int batch) {
 *         // cast each operand once; then every step: Arrays.fill for zero ranges, loop nests otherwise
 *     }
 * }
 * </pre>
 * Loop nests are {@linkplain LayoutNest#simplified() simplified} first. An innermost axis that both
 * sides walk with stride 1 becomes one {@code System.arraycopy} (a plain copy) or one counted loop;
 * a copy whose innermost output axis reads with a large stride while the axis above it reads with
 * stride 1 (a transpose of the two innermost axes) is tiled {@code tile × tile}, so both the reads and
 * the writes of one tile stay in L1. Extents and strides that depend on the batch are computed once
 * per nest into locals; everything else is a constant in the bytecode.
 */
final class LayoutClassWriter implements Opcodes {
    static final String KERNEL_INTERFACE = Type.getInternalName(LayoutKernel.class);
    static final String RUN_DESC = "([Ljava/lang/Object;[ILjava/lang/Object;II)V";
    private static final int IN = 1, IN_OFF = 2, OUT = 3, OUT_OFF = 4, BATCH = 5;

    private final LayoutProgram program;
    private final int tile;
    private MethodVisitor mv;
    private int next = BATCH + 1;
    private int outArr;
    private int[] opArr, opOff;

    private LayoutClassWriter(LayoutProgram program, int tile) {
        this.program = program;
        this.tile = tile;
    }

    /** {@code tile} ≤ 0 disables tiling (for measuring the naive loop). */
    static byte[] write(LayoutProgram program, String className, int tile) {
        return new LayoutClassWriter(program, tile).write(className);
    }

    private byte[] write(String className) {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, className, KERNEL_INTERFACE);
        KernelClassFile.constructor(cw);

        mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", RUN_DESC, null, null);
        mv.visitCode();
        prologue();
        for (LayoutProgram.Step step : program.steps()) {
            switch (step) {
                case LayoutProgram.Fill f -> fill(f);
                case LayoutNest n -> nest(n.simplified());
            }
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    // ---- prologue and fills

    private void prologue() {
        if (program.usesBatch()) {
            Label ok = new Label();
            mv.visitVarInsn(ILOAD, BATCH);
            mv.visitJumpInsn(IFGE, ok);
            mv.visitTypeInsn(NEW, "java/lang/IllegalArgumentException");
            mv.visitInsn(DUP);
            mv.visitLdcInsn("batch < 0");
            mv.visitMethodInsn(INVOKESPECIAL, "java/lang/IllegalArgumentException", "<init>", "(Ljava/lang/String;)V", false);
            mv.visitInsn(ATHROW);
            mv.visitLabel(ok);
        }
        outArr = next++;
        mv.visitVarInsn(ALOAD, OUT);
        mv.visitTypeInsn(CHECKCAST, arrayDesc(program.outType()));
        mv.visitVarInsn(ASTORE, outArr);
        int k = program.operandTypes().length;
        opArr = new int[k];
        opOff = new int[k];
        for (int i = 0; i < k; i++) {
            opArr[i] = next++;
            mv.visitVarInsn(ALOAD, IN);
            push(i);
            mv.visitInsn(AALOAD);
            mv.visitTypeInsn(CHECKCAST, arrayDesc(program.operandTypes()[i]));
            mv.visitVarInsn(ASTORE, opArr[i]);
            opOff[i] = next++;
            mv.visitVarInsn(ALOAD, IN_OFF);
            push(i);
            mv.visitInsn(IALOAD);
            mv.visitVarInsn(ISTORE, opOff[i]);
        }
    }

    private void fill(LayoutProgram.Fill f) {
        DType t = program.outType();
        int from = next++;
        mv.visitVarInsn(ILOAD, OUT_OFF);
        pushPoly(f.base());
        mv.visitInsn(IADD);
        mv.visitVarInsn(ISTORE, from);
        mv.visitVarInsn(ALOAD, outArr);
        mv.visitVarInsn(ILOAD, from);
        mv.visitVarInsn(ILOAD, from);
        pushPoly(f.length());
        mv.visitInsn(IADD);
        switch (t) {
            case F32 -> mv.visitInsn(FCONST_0);
            case F64 -> mv.visitInsn(DCONST_0);
            case I32 -> mv.visitInsn(ICONST_0);
            case I64 -> mv.visitInsn(LCONST_0);
        }
        mv.visitMethodInsn(INVOKESTATIC, "java/util/Arrays", "fill", "(" + arrayDesc(t) + "II" + elemDesc(t) + ")V", false);
    }

    // ---- nests

    /** A loop-invariant int: a constant, or a local computed at the nest's start. */
    private record Val(boolean constant, int value) {}

    private Val val(LayoutPoly p) {
        if (p.isConstant()) return new Val(true, toInt(p.constant()));
        int slot = next++;
        pushPoly(p);
        mv.visitVarInsn(ISTORE, slot);
        return new Val(false, slot);
    }

    private void load(Val v) {
        if (v.constant()) push(v.value());
        else mv.visitVarInsn(ILOAD, v.value());
    }

    private LayoutNest nest;
    private Val[] ext, outStride;
    private Val[][] srcStride;

    private void nest(LayoutNest n) {
        nest = n;
        int r = n.rank(), m = n.sources();
        ext = new Val[r];
        outStride = new Val[r];
        srcStride = new Val[m][r];
        for (int d = 0; d < r; d++) {
            ext[d] = val(n.ext()[d]);
            outStride[d] = val(n.outStride()[d]);
            for (int j = 0; j < m; j++) srcStride[j][d] = val(n.srcStride()[j][d]);
        }
        int o = next++;
        mv.visitVarInsn(ILOAD, OUT_OFF);
        pushPoly(n.outBase());
        mv.visitInsn(IADD);
        mv.visitVarInsn(ISTORE, o);
        int[] s = new int[m];
        for (int j = 0; j < m; j++) {
            s[j] = next++;
            mv.visitVarInsn(ILOAD, opOff[n.operand()[j]]);
            pushPoly(n.srcBase()[j]);
            mv.visitInsn(IADD);
            mv.visitVarInsn(ISTORE, s[j]);
        }
        level(0, o, s);
    }

    private boolean isCopy() { return nest.body() instanceof LayoutProgram.Copy; }

    private static boolean isOne(LayoutPoly p) { return p.isConstant(1); }

    /** The two innermost axes are a transpose worth tiling. */
    private boolean tiled() {
        int r = nest.rank();
        return tile > 0 && isCopy() && r >= 2 && isOne(nest.outStride()[r - 1])
                && !isOne(nest.srcStride()[0][r - 1]) && !nest.srcStride()[0][r - 1].equals(LayoutPoly.ZERO)
                && isOne(nest.srcStride()[0][r - 2]);
    }

    private void level(int d, int o, int[] s) {
        int r = nest.rank();
        if (d == r - 2 && tiled()) { tiledPair(o, s); return; }
        if (d == r - 1) { innermost(o, s); return; }
        stridedLoop(d, o, s, (od, sd) -> level(d + 1, od, sd));
    }

    private void innermost(int o, int[] s) {
        int d = nest.rank() - 1;
        if (isCopy() && isOne(nest.outStride()[d]) && isOne(nest.srcStride()[0][d])) {
            mv.visitVarInsn(ALOAD, opArr[nest.operand()[0]]);
            mv.visitVarInsn(ILOAD, s[0]);
            mv.visitVarInsn(ALOAD, outArr);
            mv.visitVarInsn(ILOAD, o);
            load(ext[d]);
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V", false);
            return;
        }
        stridedLoop(d, o, s, this::element);
    }

    /**
     * {@code for (i = 0; i < ext[d]; i++)} over copies of the output and source offsets, each advanced by
     * its stride along {@code d} after the body; the callers' offsets stay as they were.
     */
    private void stridedLoop(int d, int o, int[] s, BiConsumer<Integer, int[]> body) {
        int i = next++, od = next++;
        int[] sd = new int[s.length];
        copyLocal(o, od);
        for (int j = 0; j < s.length; j++) { sd[j] = next++; copyLocal(s[j], sd[j]); }
        push(0);
        mv.visitVarInsn(ISTORE, i);
        Label top = new Label(), end = new Label();
        mv.visitLabel(top);
        mv.visitVarInsn(ILOAD, i);
        load(ext[d]);
        mv.visitJumpInsn(IF_ICMPGE, end);
        body.accept(od, sd);
        addTo(od, outStride[d]);
        for (int j = 0; j < s.length; j++) addTo(sd[j], srcStride[j][d]);
        mv.visitIincInsn(i, 1);
        mv.visitJumpInsn(GOTO, top);
        mv.visitLabel(end);
    }

    /** Axes J = r-2 (read with stride 1) and I = r-1 (written with stride 1), in tile × tile blocks. */
    private void tiledPair(int o, int[] s) {
        int J = nest.rank() - 2, I = J + 1;
        int jj = next++, jEnd = next++, ii = next++, iEnd = next++, j = next++, i = next++, oi = next++;
        int[] si = new int[s.length];
        for (int k = 0; k < s.length; k++) si[k] = next++;
        Label lJJ = new Label(), eJJ = new Label(), lII = new Label(), eII = new Label(), lJ = new Label(), eJ = new Label(),
                lI = new Label(), eI = new Label();
        push(0);
        mv.visitVarInsn(ISTORE, jj);
        mv.visitLabel(lJJ);
        mv.visitVarInsn(ILOAD, jj);
        load(ext[J]);
        mv.visitJumpInsn(IF_ICMPGE, eJJ);
        blockEnd(jj, ext[J], jEnd);
        push(0);
        mv.visitVarInsn(ISTORE, ii);
        mv.visitLabel(lII);
        mv.visitVarInsn(ILOAD, ii);
        load(ext[I]);
        mv.visitJumpInsn(IF_ICMPGE, eII);
        blockEnd(ii, ext[I], iEnd);
        copyLocal(jj, j);
        mv.visitLabel(lJ);
        mv.visitVarInsn(ILOAD, j);
        mv.visitVarInsn(ILOAD, jEnd);
        mv.visitJumpInsn(IF_ICMPGE, eJ);
        rowStart(o, j, outStride[J], ii, outStride[I], oi);
        for (int k = 0; k < s.length; k++) rowStart(s[k], j, srcStride[k][J], ii, srcStride[k][I], si[k]);
        copyLocal(ii, i);
        mv.visitLabel(lI);
        mv.visitVarInsn(ILOAD, i);
        mv.visitVarInsn(ILOAD, iEnd);
        mv.visitJumpInsn(IF_ICMPGE, eI);
        element(oi, si);
        addTo(oi, outStride[I]);
        for (int k = 0; k < s.length; k++) addTo(si[k], srcStride[k][I]);
        mv.visitIincInsn(i, 1);
        mv.visitJumpInsn(GOTO, lI);
        mv.visitLabel(eI);
        mv.visitIincInsn(j, 1);
        mv.visitJumpInsn(GOTO, lJ);
        mv.visitLabel(eJ);
        addTo(ii, new Val(true, tile));
        mv.visitJumpInsn(GOTO, lII);
        mv.visitLabel(eII);
        addTo(jj, new Val(true, tile));
        mv.visitJumpInsn(GOTO, lJJ);
        mv.visitLabel(eJJ);
    }

    private void blockEnd(int start, Val extent, int endSlot) {
        mv.visitVarInsn(ILOAD, start);
        push(tile);
        mv.visitInsn(IADD);
        load(extent);
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", "(II)I", false);
        mv.visitVarInsn(ISTORE, endSlot);
    }

    /** {@code dst = base + j·sj + i·si}. */
    private void rowStart(int base, int j, Val sj, int i, Val si, int dst) {
        mv.visitVarInsn(ILOAD, base);
        mv.visitVarInsn(ILOAD, j);
        load(sj);
        mv.visitInsn(IMUL);
        mv.visitInsn(IADD);
        mv.visitVarInsn(ILOAD, i);
        load(si);
        mv.visitInsn(IMUL);
        mv.visitInsn(IADD);
        mv.visitVarInsn(ISTORE, dst);
    }

    /** {@code out[o] = body(src_j[s_j]...)}. */
    private void element(int o, int[] s) {
        DType outType = program.outType();
        mv.visitVarInsn(ALOAD, outArr);
        mv.visitVarInsn(ILOAD, o);
        for (int j = 0; j < s.length; j++) {
            int k = nest.operand()[j];
            mv.visitVarInsn(ALOAD, opArr[k]);
            mv.visitVarInsn(ILOAD, s[j]);
            mv.visitInsn(aload(program.operandTypes()[k]));
        }
        switch (nest.body()) {
            case LayoutProgram.Copy c -> {}
            case LayoutProgram.Convert c -> CastEmitter.emitConversion(mv, c.from(), c.to());
            case LayoutProgram.IntUnary u -> IntOpsEmitter.emitUnary(mv, u.fn(), u.dtype());
            case LayoutProgram.IntBinary b -> IntOpsEmitter.emitBinary(mv, b.fn(), b.dtype());
        }
        mv.visitInsn(astore(outType));
    }

    // ---- small helpers

    private void copyLocal(int from, int to) {
        mv.visitVarInsn(ILOAD, from);
        mv.visitVarInsn(ISTORE, to);
    }

    private void addTo(int slot, Val v) {
        if (v.constant()) {
            if (v.value() == 0) return;
            if (v.value() >= Short.MIN_VALUE && v.value() <= Short.MAX_VALUE) {
                mv.visitIincInsn(slot, v.value());
                return;
            }
        }
        mv.visitVarInsn(ILOAD, slot);
        load(v);
        mv.visitInsn(IADD);
        mv.visitVarInsn(ISTORE, slot);
    }

    /** Horner's rule in int arithmetic on the batch argument. */
    private void pushPoly(LayoutPoly p) {
        long[] c = p.c();
        if (c.length <= 1) { push(toInt(p.constant())); return; }
        push(toInt(c[c.length - 1]));
        for (int i = c.length - 2; i >= 0; i--) {
            mv.visitVarInsn(ILOAD, BATCH);
            mv.visitInsn(IMUL);
            if (c[i] != 0) {
                push(toInt(c[i]));
                mv.visitInsn(IADD);
            }
        }
    }

    private static int toInt(long v) {
        if (v != (int) v) throw new IllegalArgumentException("extent or stride " + v + " does not fit an int");
        return (int) v;
    }

    private void push(int v) {
        if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
        else mv.visitLdcInsn(v);
    }

    static String elemDesc(DType t) {
        return switch (t) { case F32 -> "F"; case F64 -> "D"; case I32 -> "I"; case I64 -> "J"; };
    }

    static String arrayDesc(DType t) { return "[" + elemDesc(t); }

    static int aload(DType t) {
        return switch (t) { case F32 -> FALOAD; case F64 -> DALOAD; case I32 -> IALOAD; case I64 -> LALOAD; };
    }

    static int astore(DType t) {
        return switch (t) { case F32 -> FASTORE; case F64 -> DASTORE; case I32 -> IASTORE; case I64 -> LASTORE; };
    }
}
