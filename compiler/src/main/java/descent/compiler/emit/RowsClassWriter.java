package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.function.Consumer;

/**
 * Writes one row kernel class:
 * <pre>
 * public final class GeneratedRows_... implements RowsKernel {
 *     [private static final VectorSpecies SPECIES;]   // vector variant: FloatVector.SPECIES_PREFERRED
 *     public final void run(src, srcOff, indices, indicesOff, n, aux, dst, dstOff, scratch);
 * }
 * </pre>
 * The body is straight loops with the row width, table size and outer count as constants:
 * <ol>
 * <li>validate every index (in position order, so the first bad one is the one the interpreter reports);</li>
 * <li>for the ops that combine repeated indices, link the positions of each index into a chain through
 *     the int scratch: {@code scratch[id]} (one slot per table row) holds the last position seen + 1,
 *     {@code scratch[R + j]} the next position with the same index (-1 at the end), {@code scratch[R + n + j]}
 *     whether j is the first occurrence. No hashing, no allocation;</li>
 * <li>the op's pass over rows; rows are copied or added with {@code FloatVector} (or scalar loops,
 *     straight-line for short rows and tails);</li>
 * <li>clear {@code scratch[id]} for every index, leaving the scratch all zero again.</li>
 * </ol>
 * An f64 spec is the scalar variant over {@code double[]} (sums straight in double, as the interpreter's).
 * Sums follow the interpreter bit for bit: it accumulates in double and rounds once. One or two float
 * terms rounded in float give the same bits (double rounding is innocuous for a single addition), so
 * the common cases stay in float vectors; a chain of three or more terms is summed in double, scalar.
 */
final class RowsClassWriter implements Opcodes {
    static final String KERNEL_INTERFACE = Type.getInternalName(RowsKernel.class);
    static final String RUN_DESC = "(Ljava/lang/Object;ILjava/lang/Object;IILjava/lang/Object;Ljava/lang/Object;I[I)V";
    private static final String SUPPORT = Type.getInternalName(RowsSupport.class);
    private static final String FV = "jdk/incubator/vector/FloatVector";
    private static final String FV_D = "L" + FV + ";";
    private static final String SPECIES_T = "jdk/incubator/vector/VectorSpecies";
    private static final String SPECIES_D = "L" + SPECIES_T + ";";
    private static final String VEC_D = "Ljdk/incubator/vector/Vector;";

    // run's argument slots (0 is this) and the body's locals.
    private static final int SRC = 1, SRC_OFF = 2, IDX_OBJ = 3, IDX_OFF = 4, N = 5, AUX = 6, DST = 7, DST_OFF = 8, SCR = 9;
    private static final int IDX = 10, J = 11, ID = 12, K = 13, O = 14, P = 15, S = 16 /* double: 16-17 */, SB = 18,
            DB = 19, Q = 20, V = 21 /* long: 21-22 */, RB = 23;

    /** Rows shorter than this (and vector tails) are written straight-line rather than looped. */
    private static final int UNROLL_LIMIT = 16;

    /** How GATHER and SCATTER_UPDATE copy a row. */
    enum Copy { ARRAYCOPY, LOOP }

    private enum RowKind { COPY, ADD, SET0 }

    private final RowsSpec spec;
    private final String className;
    /** Floats per vector; 0 for the scalar variant. */
    private final int vl;
    private final Copy copy;
    private final int r, w, outer;
    /** Element instructions: float or double ({@link RowsSpec#f64}; the scalar variant only). */
    private final boolean f64;
    private final int xaload, xastore, xadd, xconst0, xcmpl;
    private final String array;

    RowsClassWriter(RowsSpec spec, String className, int vectorLength, Copy copy) {
        if (spec.f64() && vectorLength > 0) throw new IllegalArgumentException("f64 row kernels are scalar");
        this.f64 = spec.f64();
        this.xaload = f64 ? DALOAD : FALOAD;
        this.xastore = f64 ? DASTORE : FASTORE;
        this.xadd = f64 ? DADD : FADD;
        this.xconst0 = f64 ? DCONST_0 : FCONST_0;
        this.xcmpl = f64 ? DCMPL : FCMPL;
        this.array = f64 ? "[D" : "[F";
        this.spec = spec;
        this.className = className;
        this.vl = vectorLength;
        this.copy = copy;
        this.r = spec.rows();
        this.w = spec.inner();
        this.outer = spec.outer();
    }

    byte[] write() {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, className, KERNEL_INTERFACE);
        KernelClassFile.constructor(cw);
        if (vl > 0) {
            cw.visitField(ACC_PRIVATE | ACC_STATIC | ACC_FINAL, "SPECIES", SPECIES_D, null, null).visitEnd();
            MethodVisitor clinit = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
            clinit.visitCode();
            MatmulCode c = new MatmulCode(clinit);
            clinit.visitFieldInsn(GETSTATIC, FV, "SPECIES_PREFERRED", SPECIES_D);
            clinit.visitFieldInsn(PUTSTATIC, className, "SPECIES", SPECIES_D);
            clinit.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
            c.invokeInterface(SPECIES_T, "length", "()I").push(vl);
            Label ok = new Label();
            clinit.visitJumpInsn(IF_ICMPEQ, ok);
            MatmulClassWriter.throwNew(c, "java/lang/IllegalStateException",
                    "row kernel emitted for " + vl + "-float vectors; FloatVector.SPECIES_PREFERRED differs");
            clinit.visitLabel(ok);
            clinit.visitInsn(RETURN);
            clinit.visitMaxs(0, 0);
            clinit.visitEnd();
        }
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", RUN_DESC, null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        for (int arg : new int[] {SRC, AUX, DST}) {
            code.aload(arg);
            mv.visitTypeInsn(CHECKCAST, array);
            code.astore(arg);
        }
        code.aload(IDX_OBJ);
        mv.visitTypeInsn(CHECKCAST, spec.longIndices() ? "[J" : "[I");
        code.astore(IDX);
        // indices: checkFromIndexSize(indicesOff, n, indices.length)
        code.iload(IDX_OFF).iload(N).aload(IDX).insn(ARRAYLENGTH).invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
        switch (spec.op()) {
            case GATHER -> gather(code);
            case SCATTER_ADD -> scatterAdd(code);
            case DEDUP_SUM -> dedupSum(code);
            case FIRST_OCCURRENCE -> firstOccurrence(code);
            case SCATTER_UPDATE -> scatterUpdate(code);
            case SCATTER_ACCUMULATE -> scatterAccumulate(code);
            case ONE_HOT -> oneHot(code);
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    // ---- ops ----

    private void gather(MatmulCode c) {
        validate(c, false);
        c.forLoop(O, 0, outer, 1, () -> {
            // SB = srcOff + O*R*W; DB = dstOff + O*n*W
            c.iload(SRC_OFF).addScaled(O, r * w).istore(SB);
            c.iload(DST_OFF);
            if (outer > 1) c.iload(O).mulConst(w).iload(N).insn(IMUL).insn(IADD);
            c.istore(DB);
            c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
                c.iload(SB);
                loadIndex(c);
                c.mulConst(w).insn(IADD).istore(RB);
                c.iload(DB).addScaled(J, w).istore(Q);
                row(c, RowKind.COPY, RB, Q);
            });
        });
    }

    private void scatterAdd(MatmulCode c) {
        validate(c, false);
        checkScratch(c);
        checkRange(c, DST, DST_OFF, x -> x.push(outer * r * w));
        checkRange(c, SRC, SRC_OFF, x -> x.iload(N).mulConst(outer * w));
        buildChains(c);
        fill(c, DST_OFF, x -> x.iload(DST_OFF).addConst(outer * r * w), 0f);
        c.forLoop(O, 0, outer, 1, () -> {
            c.iload(SRC_OFF);
            if (outer > 1) c.iload(O).mulConst(w).iload(N).insn(IMUL).insn(IADD);
            c.istore(SB);
            c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
                Label skip = new Label();
                isHead(c);
                c.mv.visitJumpInsn(IFEQ, skip);
                c.iload(DST_OFF).addScaled(O, r * w);
                loadIndex(c);
                c.mulConst(w).insn(IADD).istore(DB);
                reduceChain(c, true);
                c.mv.visitLabel(skip);
            });
        });
        clearMarks(c);
    }

    private void dedupSum(MatmulCode c) {
        validate(c, false);
        checkScratch(c);
        checkRange(c, DST, DST_OFF, x -> x.iload(N).mulConst(w));
        checkRange(c, SRC, SRC_OFF, x -> x.iload(N).mulConst(w));
        buildChains(c);
        c.iload(SRC_OFF).istore(SB);
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label repeat = new Label(), next = new Label();
            c.iload(DST_OFF).addScaled(J, w).istore(DB);
            isHead(c);
            c.mv.visitJumpInsn(IFEQ, repeat);
            reduceChain(c, true);
            c.mv.visitJumpInsn(GOTO, next);
            c.mv.visitLabel(repeat);
            fill(c, DB, x -> x.iload(DB).addConst(w), 0f);
            c.mv.visitLabel(next);
        });
        clearMarks(c);
    }

    private void firstOccurrence(MatmulCode c) {
        validate(c, false);
        checkScratch(c);
        checkRange(c, DST, DST_OFF, x -> x.iload(N));
        buildChains(c);
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            c.aload(DST).iload(DST_OFF).iload(J).insn(IADD);
            isHead(c);
            c.insn(f64 ? I2D : I2F).insn(xastore);
        });
        clearMarks(c);
    }

    private void scatterUpdate(MatmulCode c) {
        validate(c, true);
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label skip = new Label();
            maskIsZero(c, skip);
            c.iload(SRC_OFF).addScaled(J, w).istore(RB);
            c.iload(DST_OFF);
            loadIndex(c);
            c.mulConst(w).insn(IADD).istore(DB);
            row(c, RowKind.COPY, RB, DB);
            c.mv.visitLabel(skip);
        });
    }

    private void scatterAccumulate(MatmulCode c) {
        validate(c, false);
        checkScratch(c);
        checkRange(c, DST, DST_OFF, x -> x.push(r * w));
        checkRange(c, SRC, SRC_OFF, x -> x.iload(N).mulConst(w));
        buildChains(c);
        c.iload(SRC_OFF).istore(SB);
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label skip = new Label();
            isHead(c);
            c.mv.visitJumpInsn(IFEQ, skip);
            c.iload(DST_OFF);
            loadIndex(c);
            c.mulConst(w).insn(IADD).istore(DB);
            reduceChain(c, false);
            c.mv.visitLabel(skip);
        });
        clearMarks(c);
    }

    private void oneHot(MatmulCode c) {
        checkRange(c, DST, DST_OFF, x -> x.iload(N).mulConst(r));
        fill(c, DST_OFF, x -> x.iload(DST_OFF).iload(N).mulConst(r).insn(IADD), spec.off());
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label skip = new Label();
            // TF: an index outside [0, depth) gives an all-off row.
            if (spec.longIndices()) {
                c.aload(IDX).iload(IDX_OFF).iload(J).insn(IADD).insn(LALOAD);
                c.mv.visitVarInsn(LSTORE, V);
                c.mv.visitVarInsn(LLOAD, V);
                c.insn(LCONST_0).insn(LCMP);
                c.mv.visitJumpInsn(IFLT, skip);
                c.mv.visitVarInsn(LLOAD, V);
                c.mv.visitLdcInsn((long) r);
                c.insn(LCMP);
                c.mv.visitJumpInsn(IFGE, skip);
                c.mv.visitVarInsn(LLOAD, V);
                c.insn(L2I).istore(ID);
            } else {
                c.aload(IDX).iload(IDX_OFF).iload(J).insn(IADD).insn(IALOAD).istore(ID);
                c.iload(ID);
                c.mv.visitJumpInsn(IFLT, skip);
                c.iload(ID).push(r);
                c.mv.visitJumpInsn(IF_ICMPGE, skip);
            }
            c.aload(DST).iload(DST_OFF).addScaled(J, r).iload(ID).insn(IADD);
            pushValue(c, spec.on());
            c.insn(xastore);
            c.mv.visitLabel(skip);
        });
    }

    // ---- pieces ----

    /** Pushes idx[indicesOff + J] as an int (validated before, so an i64 index fits). */
    private void loadIndex(MatmulCode c) {
        c.aload(IDX).iload(IDX_OFF).iload(J).insn(IADD);
        if (spec.longIndices()) c.insn(LALOAD).insn(L2I);
        else c.insn(IALOAD);
    }

    /** Jumps to {@code skip} when the mask aux[J] is 0 (or -0); NaN counts as set, as in the interpreter. */
    private void maskIsZero(MatmulCode c, Label skip) {
        c.aload(AUX).iload(J).insn(xaload).insn(xconst0).insn(xcmpl);
        c.mv.visitJumpInsn(IFEQ, skip);
    }

    /** Every index (every unmasked one for SCATTER_UPDATE) must lie in [0, R); throws the interpreter's exception for the first that does not. */
    private void validate(MatmulCode c, boolean masked) {
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label ok = new Label(), bad = new Label();
            if (masked) maskIsZero(c, ok);
            c.aload(IDX).iload(IDX_OFF).iload(J).insn(IADD);
            if (spec.longIndices()) {
                c.insn(LALOAD);
                c.mv.visitVarInsn(LSTORE, V);
                c.mv.visitVarInsn(LLOAD, V);
                c.insn(LCONST_0).insn(LCMP);
                c.mv.visitJumpInsn(IFLT, bad);
                c.mv.visitVarInsn(LLOAD, V);
                c.mv.visitLdcInsn((long) r);
                c.insn(LCMP);
                c.mv.visitJumpInsn(IFLT, ok);
                c.mv.visitLabel(bad);
                c.mv.visitLdcInsn(spec.op().messageName);
                c.mv.visitVarInsn(LLOAD, V);
            } else {
                c.insn(IALOAD).istore(ID);
                c.iload(ID);
                c.mv.visitJumpInsn(IFLT, bad);
                c.iload(ID).push(r);
                c.mv.visitJumpInsn(IF_ICMPLT, ok);
                c.mv.visitLabel(bad);
                c.mv.visitLdcInsn(spec.op().messageName);
                c.iload(ID).insn(I2L);
            }
            c.iload(J).push(r);
            c.invokeStatic(SUPPORT, "outOfRange", "(Ljava/lang/String;JII)Ldescent/runtime/DescentException;");
            c.insn(ATHROW);
            c.mv.visitLabel(ok);
        });
    }

    /** scratch.length >= R + 2n. */
    private void checkScratch(MatmulCode c) {
        c.push(0).push(r).iload(N).insn(ICONST_2).insn(IMUL).insn(IADD).aload(SCR).insn(ARRAYLENGTH);
        c.invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
    }

    private static void checkRange(MatmulCode c, int array, int offSlot, Consumer<MatmulCode> size) {
        c.iload(offSlot);
        size.accept(c);
        c.aload(array).insn(ARRAYLENGTH);
        c.invokeStatic("java/util/Objects", "checkFromIndexSize", "(III)I").insn(POP);
    }

    /** Links equal indices: marks in scratch[0, R), next positions in scratch[R, R+n), first-occurrence flags in scratch[R+n, R+2n). */
    private void buildChains(MatmulCode c) {
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            Label repeat = new Label(), mark = new Label();
            loadIndex(c);
            c.istore(ID);
            c.aload(SCR).push(r).iload(J).insn(IADD).insn(ICONST_M1).insn(IASTORE);
            c.aload(SCR).iload(ID).insn(IALOAD).istore(Q);
            c.iload(Q);
            c.mv.visitJumpInsn(IFNE, repeat);
            c.aload(SCR).push(r).iload(N).insn(IADD).iload(J).insn(IADD).insn(ICONST_1).insn(IASTORE);
            c.mv.visitJumpInsn(GOTO, mark);
            c.mv.visitLabel(repeat);
            c.aload(SCR).push(r).iload(N).insn(IADD).iload(J).insn(IADD).insn(ICONST_0).insn(IASTORE);
            c.aload(SCR).push(r).iload(Q).insn(ICONST_1).insn(ISUB).insn(IADD).iload(J).insn(IASTORE);
            c.mv.visitLabel(mark);
            c.aload(SCR).iload(ID).iload(J).insn(ICONST_1).insn(IADD).insn(IASTORE);
        });
    }

    /** Pushes the first-occurrence flag of position J (1 or 0). */
    private void isHead(MatmulCode c) {
        c.aload(SCR).push(r).iload(N).insn(IADD).iload(J).insn(IADD).insn(IALOAD);
    }

    private void clearMarks(MatmulCode c) {
        c.forLoop(J, 0, x -> x.iload(N), 1, () -> {
            c.aload(SCR);
            loadIndex(c);
            c.insn(ICONST_0).insn(IASTORE);
        });
    }

    /**
     * Sums the chain starting at J (src rows at SB + p*W) into the dst row at DB: onto zero when
     * {@code ontoZero}, else onto the row's current values. Matches the interpreter's double sum.
     */
    private void reduceChain(MatmulCode c, boolean ontoZero) {
        Label multi = new Label(), general = new Label(), done = new Label();
        c.aload(SCR).push(r).iload(J).insn(IADD).insn(IALOAD).istore(Q);
        c.iload(Q);
        c.mv.visitJumpInsn(IFGE, multi);
        c.iload(SB).addScaled(J, w).istore(RB);
        row(c, ontoZero ? RowKind.SET0 : RowKind.ADD, RB, DB);
        c.mv.visitJumpInsn(GOTO, done);
        c.mv.visitLabel(multi);
        if (ontoZero) {
            // Exactly two terms: (0 + a) + b in float is the correctly rounded sum, as the interpreter's.
            c.aload(SCR).push(r).iload(Q).insn(IADD).insn(IALOAD);
            c.mv.visitJumpInsn(IFGE, general);
            c.iload(SB).addScaled(J, w).istore(RB);
            row(c, RowKind.SET0, RB, DB);
            c.iload(SB).addScaled(Q, w).istore(RB);
            row(c, RowKind.ADD, RB, DB);
            c.mv.visitJumpInsn(GOTO, done);
        }
        c.mv.visitLabel(general);
        c.forLoop(K, 0, w, 1, () -> {
            Label chain = new Label();
            if (ontoZero) c.insn(DCONST_0);
            else c.aload(DST).iload(DB).iload(K).insn(IADD).insn(xaload);
            if (!ontoZero && !f64) c.insn(F2D);
            c.mv.visitVarInsn(DSTORE, S);
            c.iload(J).istore(P);
            c.mv.visitLabel(chain);
            c.mv.visitVarInsn(DLOAD, S);
            c.aload(SRC).iload(SB).addScaled(P, w).iload(K).insn(IADD).insn(xaload);
            if (!f64) c.insn(F2D);
            c.insn(DADD);
            c.mv.visitVarInsn(DSTORE, S);
            c.aload(SCR).push(r).iload(P).insn(IADD).insn(IALOAD).istore(P);
            c.iload(P);
            c.mv.visitJumpInsn(IFGE, chain);
            c.aload(DST).iload(DB).iload(K).insn(IADD);
            c.mv.visitVarInsn(DLOAD, S);
            if (!f64) c.insn(D2F);
            c.insn(xastore);
        });
        c.mv.visitLabel(done);
    }

    /** java.util.Arrays.fill(dst, from, to, value). */
    private void fill(MatmulCode c, int fromSlot, Consumer<MatmulCode> pushTo, double value) {
        c.aload(DST).iload(fromSlot);
        pushTo.accept(c);
        pushValue(c, value);
        c.invokeStatic("java/util/Arrays", "fill", f64 ? "([DIID)V" : "([FIIF)V");
    }

    /** Pushes {@code v} as a double (f64) or rounded to float. */
    private void pushValue(MatmulCode c, double v) {
        if (!f64) pushFloat(c, (float) v);
        else if (Double.doubleToRawLongBits(v) == 0) c.insn(DCONST_0);
        else c.mv.visitLdcInsn(v);
    }

    private static void pushFloat(MatmulCode c, float v) {
        if (Float.floatToRawIntBits(v) == 0) c.insn(FCONST_0);
        else if (v == 1f) c.insn(FCONST_1);
        else c.mv.visitLdcInsn(v);
    }

    /** One row of W floats: dst[db..] = src[sb..] (COPY), dst += src (ADD), or 0 + src (SET0). */
    private void row(MatmulCode c, RowKind kind, int sbSlot, int dbSlot) {
        if (w == 0) return;
        if (kind == RowKind.COPY && copy == Copy.ARRAYCOPY) {
            c.aload(SRC).iload(sbSlot).aload(DST).iload(dbSlot).push(w);
            c.invokeStatic("java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V");
            return;
        }
        int vec = vl > 0 ? w / vl * vl : 0;
        if (vec > 0) {
            if (vec / vl <= 4) {
                for (int k = 0; k < vec; k += vl) {
                    int kk = k;
                    vectorStep(c, kind, sbSlot, dbSlot, x -> x.push(kk));
                }
            } else {
                c.forLoop(K, 0, vec, vl, () -> vectorStep(c, kind, sbSlot, dbSlot, x -> x.iload(K)));
            }
        }
        int tail = w - vec;
        if (tail <= UNROLL_LIMIT) {
            for (int k = vec; k < w; k++) {
                int kk = k;
                scalarStep(c, kind, sbSlot, dbSlot, x -> x.push(kk));
            }
        } else {
            c.forLoop(K, vec, w, 1, () -> scalarStep(c, kind, sbSlot, dbSlot, x -> x.iload(K)));
        }
    }

    private void vectorStep(MatmulCode c, RowKind kind, int sbSlot, int dbSlot, Consumer<MatmulCode> pushK) {
        c.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
        c.aload(SRC).iload(sbSlot);
        pushK.accept(c);
        c.insn(IADD);
        c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
        if (kind == RowKind.ADD) {
            // dst + src; float addition is commutative bit for bit, so the order only mirrors the interpreter's.
            c.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
            c.aload(DST).iload(dbSlot);
            pushK.accept(c);
            c.insn(IADD);
            c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
            c.insn(SWAP);
            c.invokeVirtual(FV, "add", "(" + VEC_D + ")" + FV_D);
        } else if (kind == RowKind.SET0) {
            c.insn(FCONST_0).invokeVirtual(FV, "add", "(F)" + FV_D);
        }
        c.aload(DST).iload(dbSlot);
        pushK.accept(c);
        c.insn(IADD);
        c.invokeVirtual(FV, "intoArray", "([FI)V");
    }

    private void scalarStep(MatmulCode c, RowKind kind, int sbSlot, int dbSlot, Consumer<MatmulCode> pushK) {
        c.aload(DST).iload(dbSlot);
        pushK.accept(c);
        c.insn(IADD);
        if (kind == RowKind.ADD) {
            c.insn(DUP2).insn(xaload);
        } else if (kind == RowKind.SET0) {
            c.insn(xconst0);
        }
        c.aload(SRC).iload(sbSlot);
        pushK.accept(c);
        c.insn(IADD).insn(xaload);
        if (kind != RowKind.COPY) c.insn(xadd);
        c.insn(xastore);
    }
}
