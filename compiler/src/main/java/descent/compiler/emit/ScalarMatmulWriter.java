package descent.compiler.emit;

/**
 * Writes the same product as {@link VectorMatmulWriter} with plain loops and {@code Math.fma}: the
 * fallback when {@code jdk.incubator.vector} is not resolved, and the quick path for code that runs
 * only a few times (cold Vector API code is orders of magnitude slower than this until C2 compiles it).
 *
 * <p>Each element of C is the same chain {@code acc = fma(op(A)[i,kk], op(B)[kk,j], acc)} over
 * kk = 0 … k−1 from +0 as in the vector kernel, so both give bitwise identical results. The loop order
 * keeps the innermost loop contiguous:
 * <ul>
 * <li>B not transposed: i, kk, j — an axpy of row kk of B into row i of C (zeroed first), which C2
 *     auto-vectorises; the per-element order is still kk ascending.</li>
 * <li>B transposed: i, j, kk — a dot product of two contiguous rows with one scalar accumulator.</li>
 * </ul>
 * {@code Math.fma} is exact-rounded by definition; it is a single instruction on x86-64 with FMA3 and
 * on AArch64, and a slow software routine elsewhere, where this fallback would be slow too.
 */
final class ScalarMatmulWriter extends MatmulClassWriter {

    ScalarMatmulWriter(MatmulShape shape, MatmulEpilogue epilogue, String className) {
        super(shape, epilogue, className, 0);
    }

    @Override int scratchFloats() { return 0; }

    @Override void emitBody(MatmulCode code) {
        MatmulShape s = shape;
        int i = firstLocal, j = i + 1, kk = i + 2, cRow = i + 3, bRow = i + 4, aik = i + 5, acc = i + 6;
        code.forLoop(i, 0, this::pushM, 1, () -> {
            addStride(code.iload(C_OFF), i, s.ldc(), mSlot).istore(cRow);
            if (!s.transposeB()) {
                code.forLoop(j, 0, nBound(mSlot), 1, () -> code.aload(C).iload(cRow).iload(j).insn(IADD).insn(FCONST_0).insn(FASTORE));
                code.forLoop(kk, 0, kBound(mSlot), 1, () -> {
                    loadA(code, i, kk);
                    code.fstore(aik);
                    addStride(code.iload(B_OFF), kk, s.ldb(), mSlot).istore(bRow);
                    code.forLoop(j, 0, nBound(mSlot), 1, () -> {
                        // c[cRow + j] = Math.fma(aik, b[bRow + j], c[cRow + j])
                        code.aload(C).iload(cRow).iload(j).insn(IADD);
                        code.fload(aik);
                        code.aload(B).iload(bRow).iload(j).insn(IADD).insn(FALOAD);
                        code.aload(C).iload(cRow).iload(j).insn(IADD).insn(FALOAD);
                        code.invokeStatic("java/lang/Math", "fma", "(FFF)F");
                        code.insn(FASTORE);
                    });
                });
                if (!epilogue.isNone()) {
                    // The row is complete: c[cRow + j] = epilogue(c[cRow + j]) while it is still in L1.
                    code.forLoop(j, 0, nBound(mSlot), 1, () -> {
                        code.aload(C).iload(cRow).iload(j).insn(IADD);
                        code.aload(C).iload(cRow).iload(j).insn(IADD).insn(FALOAD);
                        scalarEpilogue(code, biasSlot, biasOffSlot, j, acc + 1);
                        code.insn(FASTORE);
                    });
                }
            } else {
                code.forLoop(j, 0, nBound(mSlot), 1, () -> {
                    code.insn(FCONST_0).fstore(acc);
                    addStride(code.iload(B_OFF), j, s.ldb(), mSlot).istore(bRow);
                    code.forLoop(kk, 0, kBound(mSlot), 1, () -> {
                        loadA(code, i, kk);
                        code.aload(B).iload(bRow).iload(kk).insn(IADD).insn(FALOAD);
                        code.fload(acc).invokeStatic("java/lang/Math", "fma", "(FFF)F").fstore(acc);
                    });
                    code.aload(C).iload(cRow).iload(j).insn(IADD).fload(acc);
                    scalarEpilogue(code, biasSlot, biasOffSlot, j, acc + 1);
                    code.insn(FASTORE);
                });
            }
        });
        code.insn(RETURN);
    }

    /** Pushes op(A)[i, kk]: a[aOff + i·lda + kk], or a[aOff + kk·lda + i] when A is stored transposed. */
    private void loadA(MatmulCode code, int i, int kk) {
        code.aload(A).iload(A_OFF);
        if (shape.transposeA()) {
            code.iload(i).insn(IADD);
            addStride(code, kk, shape.lda(), mSlot);
        } else {
            addStride(code, i, shape.lda(), mSlot).iload(kk).insn(IADD);
        }
        code.insn(FALOAD);
    }
}
