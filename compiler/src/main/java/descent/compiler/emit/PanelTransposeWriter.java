package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits the transposing copy that packs a stored n×k B into the k×P panel the matmul tiles read.
 * A method {@code transpose<rows>w<P>(b, src, panel, dst)} takes {@code rows} ≤ VL consecutive rows of
 * B starting at {@code src} (row stride k) and writes them as columns: panel[dst + kk·P + r] =
 * b[src + r·k + kk] for every kk < k; lanes r ≥ rows become 0 (the panel's padding).
 *
 * <p>It works on VL×VL blocks held in registers: VL row loads, log2(VL) butterfly stages of
 * two-vector permutes ({@code FloatVector.selectFrom(v1, v2)}, one vpermt2ps each on AVX-512), then
 * VL contiguous stores. Stage h exchanges the off-diagonal h×h sub-blocks of every aligned 2h×2h
 * block, so after h = VL/2, …, 2, 1 the block is transposed. Measured at k = 784 on Zen 4: 0.13 ns per
 * element, against 0.41 for a {@code fromArray} gather per panel row and 0.66 for a scalar copy
 * (whose P-strided stores walk a panel larger than L1). The last k mod VL columns are copied one float
 * at a time. For a runtime k ({@code k = -1}) the methods take k as a fifth argument.
 */
final class PanelTransposeWriter implements Opcodes {
    static final String DESC = "([FI[FI)V", DESC_K = "([FI[FII)V";
    private static final String FV = "jdk/incubator/vector/FloatVector";
    private static final String SPECIES_D = "Ljdk/incubator/vector/VectorSpecies;";
    private static final String VEC_D = "Ljdk/incubator/vector/Vector;";
    private static final String FV_D = "L" + FV + ";";
    /** Field holding the permute index vectors: stage s's low half at 2s·VL, high half at (2s+1)·VL. */
    private static final String TABLE = "TRANSPOSE";
    /** Slots of the generated method: its four arguments (and a runtime k), then the block's column, then the index vectors. */
    private static final int B = 0, SRC = 1, PANEL = 2, DST = 3, K = 4;
    private final int kb, index;

    private final String className;
    /** k, or -1 when it is the methods' fifth argument. */
    private final int vl, k, stages;

    PanelTransposeWriter(String className, int vectorLength, int k) {
        if (Integer.bitCount(vectorLength) != 1) throw new IllegalArgumentException("vector length " + vectorLength + " is not a power of two");
        this.className = className;
        this.vl = vectorLength;
        this.k = k;
        this.stages = Integer.numberOfTrailingZeros(vectorLength);
        this.kb = k < 0 ? K + 1 : K;
        this.index = kb + 1;
    }

    /** The methods' descriptor: with k as an argument for a runtime k. */
    String desc() { return k < 0 ? DESC_K : DESC; }

    /** Pushes k: the constant or the argument. */
    private MatmulCode pushK(MatmulCode code) { return k < 0 ? code.iload(K) : code.push(k); }

    /** Adds {@code times · k} (times a constant) to the int on the stack. */
    private MatmulCode addTimesK(MatmulCode code, int times) {
        return k < 0 ? (times == 0 ? code : code.iload(K).mulConst(times).insn(IADD)) : code.addConst(times * k);
    }

    static String name(int rows, int p) { return "transpose" + rows + "w" + p; }

    void emitField(ClassWriter cw) {
        cw.visitField(ACC_PRIVATE | ACC_STATIC | ACC_FINAL, TABLE, "[F", null, null).visitEnd();
    }

    /** Builds the index table in {@code <clinit>}: pairs (r, r+h) become lo = [r's lanes with bit h clear, then r+h's], hi = the rest. */
    void emitStaticInit(MatmulCode code) {
        code.push(2 * stages * vl).mv.visitIntInsn(NEWARRAY, T_FLOAT);
        for (int s = 0; s < stages; s++) {
            int h = vl >> (s + 1);
            for (int l = 0; l < vl; l++) {
                // selectFrom(v1, v2) takes lane i of v1 for index i and lane i of v2 for index VL + i.
                int lo = (l & h) == 0 ? l : vl + l - h;
                int hi = (l & h) == 0 ? l + h : vl + l;
                code.insn(DUP).push(2 * s * vl + l).mv.visitLdcInsn((float) lo);
                code.insn(FASTORE);
                code.insn(DUP).push((2 * s + 1) * vl + l).mv.visitLdcInsn((float) hi);
                code.insn(FASTORE);
            }
        }
        code.mv.visitFieldInsn(PUTSTATIC, className, TABLE, "[F");
    }

    void emitMethod(ClassWriter cw, int rows, int p) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, name(rows, p), desc(), null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        int x = index + 2 * stages, y = x + vl, q = y + vl, r = q + 1, full = r + 1;
        for (int i = 0; i < 2 * stages; i++) {
            species(code);
            code.mv.visitFieldInsn(GETSTATIC, className, TABLE, "[F");
            code.push(i * vl).invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D).astore(index + i);
        }
        // The columns in whole VL-wide blocks: k - k % VL, a constant or computed once from the argument.
        java.util.function.Consumer<MatmulCode> pushFull = c -> { if (k < 0) c.iload(full); else c.push(k - k % vl); };
        if (k < 0) pushK(pushK(code)).push(vl).insn(IREM).insn(ISUB).istore(full);
        if (k < 0 || k >= vl) code.forLoop(kb, 0, pushFull, vl, () -> block(code, rows, p, x, y));
        if (k < 0 || k % vl != 0) {
            // The last k % VL columns of B, one float at a time. Not a masked vector block: that doubled the
            // method, and C1 bails out of a method this size ("out of virtual registers"), after which
            // tiered compilation never hands it to C2 — it stayed interpreted, every Vector API call boxed.
            Label test = new Label(), top = new Label();
            pushFull.accept(code);
            code.istore(q);
            code.mv.visitJumpInsn(GOTO, test);
            code.mv.visitLabel(top);
            code.forLoop(r, 0, rows, 1, () -> {
                panelIndex(code, p, q, r);
                code.aload(B).iload(SRC).iload(r);
                if (k < 0) code.iload(K).insn(IMUL);
                else code.mulConst(k);
                code.insn(IADD).iload(q).insn(IADD).insn(FALOAD);
                code.insn(FASTORE);
            });
            if (rows < vl) code.forLoop(r, rows, vl, 1, () -> panelIndex(code, p, q, r).insn(FCONST_0).insn(FASTORE));
            code.mv.visitIincInsn(q, 1);
            code.mv.visitLabel(test);
            code.iload(q);
            pushK(code);
            code.mv.visitJumpInsn(IF_ICMPLT, top);
        }
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** Pushes {@code panel, dst + q·P + r}. */
    private static MatmulCode panelIndex(MatmulCode code, int p, int q, int r) {
        return code.aload(PANEL).iload(DST).addScaled(q, p).iload(r).insn(IADD);
    }

    /** One VL×VL block at column kb: loads into slots x.., permutes between x.. and y.., stores VL panel rows. */
    private void block(MatmulCode code, int rows, int p, int x, int y) {
        for (int r = 0; r < vl; r++) {
            species(code);
            if (r < rows) {
                addTimesK(code.aload(B).iload(SRC), r).iload(kb).insn(IADD);
                code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
            } else {
                code.invokeStatic(FV, "zero", "(" + SPECIES_D + ")" + FV_D);
            }
            code.astore(x + r);
        }
        int cur = x, next = y;
        for (int s = 0; s < stages; s++) {
            int h = vl >> (s + 1);
            for (int r = 0; r < vl; r++) {
                if ((r & h) != 0) continue;
                for (int half = 0; half < 2; half++) {
                    code.aload(index + 2 * s + half).aload(cur + r).aload(cur + r + h);
                    code.invokeVirtual(FV, "selectFrom", "(" + VEC_D + VEC_D + ")" + FV_D).astore(next + r + half * h);
                }
            }
            int t = cur; cur = next; next = t;
        }
        for (int q = 0; q < vl; q++) {
            code.aload(cur + q).aload(PANEL).iload(DST).addScaled(kb, p).addConst(q * p);
            code.invokeVirtual(FV, "intoArray", "([FI)V");
        }
    }

    private MatmulCode species(MatmulCode code) {
        code.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
        return code;
    }
}
