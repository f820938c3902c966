package descent.compiler.emit;

import descent.compiler.ir.ReduceFn;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits the two contiguous inner loops every reduction (and the softmax family's row maximum) is built
 * from, as private static methods of the generated class, in a vector variant (over the class's
 * {@code SPECIES} field, {@code FloatVector.SPECIES_PREFERRED}) and a scalar one:
 * <pre>
 * float rowReduce(float[] x, int p, int n)                     // fn of x[p .. p+n), starting from fn's identity
 * void  rowCombine(float[] x, int p, float[] out, int o, int n) // out[o+j] = out[o+j] fn x[p+j] for j < n
 * </pre>
 * Summation order (SUM/MEAN; MAX/MIN give the same result in any order, see below), with VL floats per vector:
 * <ul>
 * <li>vector rowReduce: four accumulators A0..A3, lane l of Ak sums x[p + 4·VL·i + k·VL + l] over the
 *     blocks i in order; then a tail of whole vectors into A0; then {@code (A0+A1) + (A2+A3)}; then its
 *     lanes left to right {@code ((l0+l1)+l2)+…}; then the remaining n mod VL elements in order.
 *     No {@code reduceLanes}: its order is unspecified.</li>
 * <li>scalar rowReduce: left to right from +0.</li>
 * <li>rowCombine (both): each output element receives its rows in order, one add per row.</li>
 * </ul>
 * The order depends only on n and VL, so results are bitwise repeatable run to run; the vector and
 * scalar variants may differ in the last bits of a sum. MAX/MIN use {@code Math.max/min} semantics lane
 * by lane (NaN wins, +0 > −0), so they are exact selections independent of order.
 */
final class ReduceRowWriter implements Opcodes {
    static final String FV = "jdk/incubator/vector/FloatVector";
    static final String SPECIES_T = "jdk/incubator/vector/VectorSpecies";
    static final String SPECIES_D = "L" + SPECIES_T + ";";
    static final String FV_D = "L" + FV + ";";
    static final String VEC_D = "Ljdk/incubator/vector/Vector;";
    static final String REDUCE_DESC = "([FII)F";
    static final String COMBINE_DESC = "([FI[FII)V";
    static final String COMBINE_ROWS_DESC = "([FI[FIII)V";
    static final String REDUCE64_DESC = "(D[DII)D";
    static final String COMBINE64_DESC = "([DI[DII)V";

    private final String owner;
    private final int vl;

    /** {@code vectorLength} 0 writes the scalar variant. */
    ReduceRowWriter(String owner, int vectorLength) {
        this.owner = owner;
        this.vl = vectorLength;
    }

    static float identity(ReduceFn fn) {
        return switch (fn) {
            case SUM, MEAN -> 0f;
            case MAX -> Float.NEGATIVE_INFINITY;
            case MIN -> Float.POSITIVE_INFINITY;
        };
    }

    /** Combines the two floats on the stack with fn. */
    static void scalarOp(MatmulCode code, ReduceFn fn) {
        switch (fn) {
            case SUM, MEAN -> code.insn(FADD);
            case MAX -> code.invokeStatic("java/lang/Math", "max", "(FF)F");
            case MIN -> code.invokeStatic("java/lang/Math", "min", "(FF)F");
        }
    }

    private static void vectorOp(MatmulCode code, ReduceFn fn) {
        String name = switch (fn) { case SUM, MEAN -> "add"; case MAX -> "max"; case MIN -> "min"; };
        code.invokeVirtual(FV, name, "(" + VEC_D + ")" + FV_D);
    }

    static String reduceName(ReduceFn fn) { return "row" + fn.name(); }
    static String combineName(ReduceFn fn) { return "combine" + fn.name(); }
    static String combineRowsName(ReduceFn fn) { return "combineRows" + fn.name(); }

    // ---- species field (vector variant only) --------------------------------------------------

    void emitField(ClassWriter cw) {
        if (vl > 0) cw.visitField(ACC_PRIVATE | ACC_STATIC | ACC_FINAL, "SPECIES", SPECIES_D, null, null).visitEnd();
    }

    /** {@code SPECIES = FloatVector.SPECIES_PREFERRED}, failing loudly when its length is not the emitted one. */
    void emitStaticInit(MatmulCode code) {
        if (vl == 0) return;
        code.mv.visitFieldInsn(GETSTATIC, FV, "SPECIES_PREFERRED", SPECIES_D);
        code.insn(DUP);
        code.mv.visitFieldInsn(PUTSTATIC, owner, "SPECIES", SPECIES_D);
        code.invokeInterface(SPECIES_T, "length", "()I").push(vl);
        Label ok = new Label();
        code.mv.visitJumpInsn(IF_ICMPEQ, ok);
        MatmulClassWriter.throwNew(code, "java/lang/IllegalStateException",
                "kernel emitted for " + vl + "-float vectors; FloatVector.SPECIES_PREFERRED differs");
        code.mv.visitLabel(ok);
    }

    private void species(MatmulCode code) { code.mv.visitFieldInsn(GETSTATIC, owner, "SPECIES", SPECIES_D); }

    /** {@code while (j < limit) { body; j += step; }} with j already initialised. */
    private static void whileLess(MatmulCode code, int j, Runnable pushLimit, int step, Runnable body) {
        Label test = new Label(), top = new Label();
        code.mv.visitJumpInsn(GOTO, test);
        code.mv.visitLabel(top);
        body.run();
        code.mv.visitIincInsn(j, step);
        code.mv.visitLabel(test);
        code.iload(j);
        pushLimit.run();
        code.mv.visitJumpInsn(IF_ICMPLT, top);
    }

    // ---- rowReduce -----------------------------------------------------------------------------

    void emitRowReduce(ClassWriter cw, ReduceFn fn) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, reduceName(fn), REDUCE_DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        final int x = 0, p = 1, n = 2;
        if (vl == 0) {
            final int s = 3, j = 4;
            c.mv.visitLdcInsn(identity(fn));
            c.fstore(s).push(0).istore(j);
            whileLess(c, j, () -> c.iload(n), 1, () -> {
                c.fload(s).aload(x).iload(p).iload(j).insn(IADD).insn(FALOAD);
                scalarOp(c, fn);
                c.fstore(s);
            });
            c.fload(s).insn(FRETURN);
        } else {
            final int a0 = 3, j = 7, s = 8;
            for (int k = 0; k < 4; k++) {
                species(c);
                c.mv.visitLdcInsn(identity(fn));
                c.invokeStatic(FV, "broadcast", "(" + SPECIES_D + "F)" + FV_D).astore(a0 + k);
            }
            c.push(0).istore(j);
            whileLess(c, j, () -> c.iload(n).push(-4 * vl).insn(IAND), 4 * vl, () -> {
                for (int k = 0; k < 4; k++) {
                    c.aload(a0 + k);
                    species(c);
                    c.aload(x).iload(p).iload(j).insn(IADD).addConst(k * vl);
                    c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
                    vectorOp(c, fn);
                    c.astore(a0 + k);
                }
            });
            whileLess(c, j, () -> c.iload(n).push(-vl).insn(IAND), vl, () -> {
                c.aload(a0);
                species(c);
                c.aload(x).iload(p).iload(j).insn(IADD);
                c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
                vectorOp(c, fn);
                c.astore(a0);
            });
            c.aload(a0).aload(a0 + 1); vectorOp(c, fn); c.astore(a0);
            c.aload(a0 + 2).aload(a0 + 3); vectorOp(c, fn); c.astore(a0 + 2);
            c.aload(a0).aload(a0 + 2); vectorOp(c, fn); c.astore(a0);
            c.aload(a0).push(0).invokeVirtual(FV, "lane", "(I)F").fstore(s);
            for (int l = 1; l < vl; l++) {
                c.fload(s).aload(a0).push(l).invokeVirtual(FV, "lane", "(I)F");
                scalarOp(c, fn);
                c.fstore(s);
            }
            whileLess(c, j, () -> c.iload(n), 1, () -> {
                c.fload(s).aload(x).iload(p).iload(j).insn(IADD).insn(FALOAD);
                scalarOp(c, fn);
                c.fstore(s);
            });
            c.fload(s).insn(FRETURN);
        }
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    // ---- f64: the interpreter's accumulation, element by element ---------------------------------

    /**
     * Combines the doubles {@code acc, x} on the stack as the interpreter does: {@code acc + x}; MAX/MIN take
     * x when it is NaN or strictly greater/smaller (so the first of +0 and -0 stays).
     */
    private static void scalarOp64(MatmulCode code, ReduceFn fn, int scratch) {
        if (fn == ReduceFn.SUM || fn == ReduceFn.MEAN) {
            code.insn(DADD);
            return;
        }
        // stack: acc, x  ->  isNaN(x) || x > acc (x < acc for MIN) ? x : acc
        Label takeX = new Label(), done = new Label();
        code.mv.visitVarInsn(DSTORE, scratch);            // x
        code.mv.visitVarInsn(DSTORE, scratch + 2);        // acc
        code.mv.visitVarInsn(DLOAD, scratch);
        code.mv.visitVarInsn(DLOAD, scratch);
        code.insn(DCMPL);
        code.mv.visitJumpInsn(IFNE, takeX);               // NaN != NaN
        code.mv.visitVarInsn(DLOAD, scratch);
        code.mv.visitVarInsn(DLOAD, scratch + 2);
        code.insn(fn == ReduceFn.MAX ? DCMPL : DCMPG);
        code.mv.visitJumpInsn(fn == ReduceFn.MAX ? IFGT : IFLT, takeX);
        code.mv.visitVarInsn(DLOAD, scratch + 2);
        code.mv.visitJumpInsn(GOTO, done);
        code.mv.visitLabel(takeX);
        code.mv.visitVarInsn(DLOAD, scratch);
        code.mv.visitLabel(done);
    }

    /** {@code double rowFN(double acc, double[] x, int p, int n)}: acc combined with x[p], x[p+1], … in order. */
    void emitRowReduce64(ClassWriter cw, ReduceFn fn) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, reduceName(fn), REDUCE64_DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        final int acc = 0, x = 2, p = 3, n = 4, j = 5, scratch = 6;
        c.push(0).istore(j);
        whileLess(c, j, () -> c.iload(n), 1, () -> {
            mv.visitVarInsn(DLOAD, acc);
            c.aload(x).iload(p).iload(j).insn(IADD).insn(DALOAD);
            scalarOp64(c, fn, scratch);
            mv.visitVarInsn(DSTORE, acc);
        });
        mv.visitVarInsn(DLOAD, acc);
        c.insn(DRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** {@code void combineFN(double[] x, int p, double[] out, int o, int n)}: out[o+j] = out[o+j] fn x[p+j]. */
    void emitRowCombine64(ClassWriter cw, ReduceFn fn) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, combineName(fn), COMBINE64_DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        final int x = 0, p = 1, out = 2, o = 3, n = 4, j = 5, scratch = 6;
        c.push(0).istore(j);
        whileLess(c, j, () -> c.iload(n), 1, () -> {
            c.aload(out).iload(o).iload(j).insn(IADD).insn(DUP2).insn(DALOAD);
            c.aload(x).iload(p).iload(j).insn(IADD).insn(DALOAD);
            scalarOp64(c, fn, scratch);
            c.insn(DASTORE);
        });
        c.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    // ---- rowCombine ----------------------------------------------------------------------------

    /**
     * {@code combineRowsFN(x, p, out, o, n, rows)}: {@code combineFN(x, p + r·n, out, o, n)} for r = 0 … rows−1, with
     * each vector of out held in a register across the rows instead of stored and loaded again per row. Every
     * element sees the same ops in the same order, so the bits are combineFN's.
     */
    void emitRowsCombine(ClassWriter cw, ReduceFn fn) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, combineRowsName(fn), COMBINE_ROWS_DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        final int x = 0, p = 1, out = 2, o = 3, n = 4, rowCount = 5, j = 6, r = 7, q = 8, acc = 9;
        c.push(0).istore(j);
        if (vl > 0) {
            whileLess(c, j, () -> c.iload(n).push(-vl).insn(IAND), vl, () -> {
                species(c);
                c.aload(out).iload(o).iload(j).insn(IADD);
                c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D).astore(acc);
                c.iload(p).iload(j).insn(IADD).istore(q);
                c.push(0).istore(r);
                whileLess(c, r, () -> c.iload(rowCount), 1, () -> {
                    c.aload(acc);
                    species(c);
                    c.aload(x).iload(q);
                    c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
                    vectorOp(c, fn);
                    c.astore(acc);
                    c.iload(q).iload(n).insn(IADD).istore(q);
                });
                c.aload(acc).aload(out).iload(o).iload(j).insn(IADD);
                c.invokeVirtual(FV, "intoArray", "([FI)V");
            });
        }
        whileLess(c, j, () -> c.iload(n), 1, () -> {
            c.aload(out).iload(o).iload(j).insn(IADD).insn(FALOAD).fstore(acc);
            c.iload(p).iload(j).insn(IADD).istore(q);
            c.push(0).istore(r);
            whileLess(c, r, () -> c.iload(rowCount), 1, () -> {
                c.fload(acc).aload(x).iload(q).insn(FALOAD);
                scalarOp(c, fn);
                c.fstore(acc);
                c.iload(q).iload(n).insn(IADD).istore(q);
            });
            c.aload(out).iload(o).iload(j).insn(IADD).fload(acc).insn(FASTORE);
        });
        c.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    void emitRowCombine(ClassWriter cw, ReduceFn fn) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, combineName(fn), COMBINE_DESC, null, null);
        mv.visitCode();
        MatmulCode c = new MatmulCode(mv);
        final int x = 0, p = 1, out = 2, o = 3, n = 4, j = 5;
        c.push(0).istore(j);
        if (vl > 0) {
            whileLess(c, j, () -> c.iload(n).push(-vl).insn(IAND), vl, () -> {
                species(c);
                c.aload(out).iload(o).iload(j).insn(IADD);
                c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
                species(c);
                c.aload(x).iload(p).iload(j).insn(IADD);
                c.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI)" + FV_D);
                vectorOp(c, fn);
                c.aload(out).iload(o).iload(j).insn(IADD);
                c.invokeVirtual(FV, "intoArray", "([FI)V");
            });
        }
        whileLess(c, j, () -> c.iload(n), 1, () -> {
            c.aload(out).iload(o).iload(j).insn(IADD).insn(DUP2).insn(FALOAD);
            c.aload(x).iload(p).iload(j).insn(IADD).insn(FALOAD);
            scalarOp(c, fn);
            c.insn(FASTORE);
        });
        c.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }
}
