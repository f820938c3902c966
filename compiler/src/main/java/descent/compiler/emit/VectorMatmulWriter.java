package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Writes a register-blocked FMA matmul over {@code jdk.incubator.vector.FloatVector}, specialised to
 * a static shape. The structure, for vector length VL and a micro-tile of R rows × V vectors (W = V·VL
 * columns):
 * <pre>
 * for each column block j0 (W wide; the last may be narrower, rounded up to whole vectors):
 *     pack op(B)[0..k, j0..j0+W) into scratch as a k × W panel (rows contiguous, zero-padded)
 *     for each row block i0 of R rows:  tile(i0, j0)
 *     remaining m mod R rows:           one narrower tile (a tableswitch picks it for a runtime M)
 * tile: R×V accumulators = 0; for kk in 0..k: load V panel vectors, and for each row broadcast
 *       op(A)[i0+r, kk] and FMA it into that row's V accumulators; store (masked on the last vector
 *       when the block is narrower than its whole vectors).
 * </pre>
 * Why this shape:
 * <ul>
 * <li>Column blocks are the outer loop so one packed panel serves every row block; A streams through.</li>
 * <li>The panel makes the inner loop read B contiguously whatever B's layout, so a transposed B costs
 *     one k×n transposing copy per call instead of gathers or horizontal reductions, and its rows are
 *     exactly W apart, so it neither aliases in the cache (row-major B rows 2 KB apart map onto a
 *     few L1 sets) nor needs masked loads: the padding lanes compute zeros that are never stored.</li>
 * <li>op(A) is read one element at a time (broadcast), so a transposed A only changes index strides.</li>
 * <li>Each tile is its own small method: well under HotSpot's 8000-byte huge-method limit, compiled
 *     and register-allocated on its own, and only arrays and ints cross the call, so no vector is ever
 *     boxed.</li>
 * <li>Every element of C is a chain of {@code fma} over kk = 0, 1, …, k−1 starting from +0, the same
 *     order for every tile, tail and variant, so results are bitwise reproducible and equal to
 *     {@link ScalarMatmulWriter}'s {@code Math.fma} loops.</li>
 * </ul>
 * The vector length is baked into loop bounds; {@code <clinit>} checks the running JVM's preferred
 * species has that length, so class bytes written on one machine fail loudly on a mismatched one.
 */
final class VectorMatmulWriter extends KernelClassWriter {
    private static final String FV = "jdk/incubator/vector/FloatVector";
    private static final String SPECIES_T = "jdk/incubator/vector/VectorSpecies";
    private static final String SPECIES_D = "L" + SPECIES_T + ";";
    private static final String MASK_D = "Ljdk/incubator/vector/VectorMask;";
    private static final String VEC_D = "Ljdk/incubator/vector/Vector;";
    private static final String FV_D = "L" + FV + ";";
    /** tile(a, aBase, b, bBase, c, cBase, m) and pack(b, bBase, panel). */
    private static final String TILE_DESC = "([FI[FI[FII)V";
    private static final String PACK_DESC = "([FI[F)V";

    private final int vl, rows, vectors, width, scratch;
    private final boolean pack;
    /** Tiles used, as (rows, columns) pairs, emitted after the body has asked for them. */
    private final Set<Long> tiles = new LinkedHashSet<>();
    private final Set<Integer> packs = new LinkedHashSet<>();

    VectorMatmulWriter(MatmulShape shape, String className, MatmulTuning tuning, int vectorLength) {
        super(shape, className, scratchFloats(shape, tuning, vectorLength));
        this.vl = vectorLength;
        this.rows = tuning.rows();
        this.vectors = tuning.vectors();
        this.width = vectors * vl;
        this.pack = packs(shape, tuning);
        this.scratch = scratchFloats(shape, tuning, vectorLength);
    }

    static boolean packs(MatmulShape shape, MatmulTuning tuning) {
        return shape.transposeB() || tuning.packNN();
    }

    /** One k × W panel; the narrower last block reuses the front of it. */
    static int scratchFloats(MatmulShape shape, MatmulTuning tuning, int vectorLength) {
        return packs(shape, tuning) ? shape.k() * tuning.vectors() * vectorLength : 0;
    }

    @Override int scratchFloats() { return scratch; }

    // ---- class members -------------------------------------------------------------------------

    @Override void emitStaticInit(Code code) {
        // SPECIES = FloatVector.SPECIES_PREFERRED, held static final so C2 treats it as a constant.
        code.mv.visitFieldInsn(GETSTATIC, FV, "SPECIES_PREFERRED", SPECIES_D);
        code.insn(DUP);
        code.mv.visitFieldInsn(PUTSTATIC, className, "SPECIES", SPECIES_D);
        code.invokeInterface(SPECIES_T, "length", "()I").push(vl);
        Label ok = new Label();
        code.mv.visitJumpInsn(IF_ICMPEQ, ok);
        throwNew(code, "java/lang/IllegalStateException",
                "matmul kernel emitted for " + vl + "-float vectors; FloatVector.SPECIES_PREFERRED differs");
        code.mv.visitLabel(ok);
    }

    @Override void emitMembers(ClassWriter cw) {
        cw.visitField(ACC_PRIVATE | ACC_STATIC | ACC_FINAL, "SPECIES", SPECIES_D, null, null).visitEnd();
        for (long t : tiles) emitTile(cw, (int) (t >>> 32), (int) t);
        for (int p : packs) emitPack(cw, p);
    }

    // ---- matmul body ---------------------------------------------------------------------------

    @Override void emitBody(Code code) {
        int n = shape.n();
        int fullBlocks = n / width, tail = n % width;
        int j0 = firstLocal, i0 = firstLocal + 1, mFull = firstLocal + 2;
        // Rows covered by whole row blocks: a constant, or m - m % R computed once.
        if (shape.hasRuntimeM()) code.iload(mSlot).iload(mSlot).push(rows).insn(IREM).insn(ISUB).istore(mFull);
        if (fullBlocks > 0) code.forLoop(j0, 0, fullBlocks * width, width, () -> columnBlock(code, width, j0, i0, mFull));
        if (tail > 0) {
            code.push(fullBlocks * width).istore(j0);
            columnBlock(code, tail, j0, i0, mFull);
        }
        code.insn(RETURN);
    }

    /** All row blocks of one column block starting at column {@code j0Slot}, {@code cols} wide. */
    private void columnBlock(Code code, int cols, int j0Slot, int i0Slot, int mFullSlot) {
        MatmulShape s = shape;
        if (pack) {
            packs.add(cols);
            // B's column j0 starts at bOff + j0 (row-major k×n) or at bOff + j0*k (stored n×k).
            code.aload(B).iload(B_OFF).addScaled(j0Slot, s.transposeB() ? s.k() : 1).aload(scratchSlot);
            code.invokeStatic(className, packName(cols), PACK_DESC);
        }
        if (shape.hasRuntimeM()) {
            code.forLoop(i0Slot, 0, c -> c.iload(mFullSlot), rows, () -> callTile(code, rows, cols, i0Slot, j0Slot));
            // m mod R leftover rows: tableswitch to the tile of exactly that many rows.
            if (rows > 1) {
                Label done = new Label();
                Label[] cases = new Label[rows - 1];
                for (int r = 0; r < cases.length; r++) cases[r] = new Label();
                code.iload(mSlot).iload(mFullSlot).insn(ISUB);
                code.mv.visitTableSwitchInsn(1, rows - 1, done, cases);
                for (int r = 1; r < rows; r++) {
                    code.mv.visitLabel(cases[r - 1]);
                    code.iload(mFullSlot).istore(i0Slot);
                    callTile(code, r, cols, i0Slot, j0Slot);
                    code.mv.visitJumpInsn(GOTO, done);
                }
                code.mv.visitLabel(done);
            }
        } else {
            int m = s.m(), full = m - m % rows;
            if (full > 0) code.forLoop(i0Slot, 0, full, rows, () -> callTile(code, rows, cols, i0Slot, j0Slot));
            if (m % rows != 0) {
                code.push(full).istore(i0Slot);
                callTile(code, m % rows, cols, i0Slot, j0Slot);
            }
        }
    }

    /** Calls tile(a, aOff + i0*rowStrideA, panel or b, base, c, cOff + i0*n + j0, m). */
    private void callTile(Code code, int r, int cols, int i0Slot, int j0Slot) {
        tiles.add(((long) r << 32) | cols);
        MatmulShape s = shape;
        code.aload(A).iload(A_OFF).addScaled(i0Slot, s.transposeA() ? 1 : s.k());
        if (pack) code.aload(scratchSlot).push(0);
        else code.aload(B).iload(B_OFF).iload(j0Slot).insn(IADD);
        code.aload(C).iload(C_OFF).addScaled(i0Slot, s.n()).iload(j0Slot).insn(IADD);
        pushM(code);
        code.invokeStatic(className, tileName(r, cols), TILE_DESC);
    }

    private static String tileName(int r, int cols) { return "tile" + r + "x" + cols; }
    private static String packName(int cols) { return "pack" + cols; }

    // ---- micro-tile ----------------------------------------------------------------------------

    /**
     * {@code tile(a, aBase, b, bBase, c, cBase, m)}: C[r, v·VL..] for r < rs, over {@code cols} columns.
     * op(A)[r, kk] is at aBase + r·rowStride + kk·kStride; the B row kk starts at bBase + kk·bStride.
     */
    private void emitTile(ClassWriter cw, int rs, int cols) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, tileName(rs, cols), TILE_DESC, null, null);
        mv.visitCode();
        Code code = new Code(mv);
        MatmulShape s = shape;
        final int a = 0, aBase = 1, b = 2, bBase = 3, c = 4, cBase = 5, mArg = 6, kk = 7;
        int nv = (cols + vl - 1) / vl, lastLanes = cols - (nv - 1) * vl;
        boolean partial = lastLanes < vl;
        int accBase = 8, bvBase = accBase + rs * nv, av = bvBase + nv, mask = av + 1;
        int bStride = pack ? nv * vl : s.n();
        int aRowStride = s.transposeA() ? 1 : s.k();

        if (partial) {
            // mask of the first lastLanes lanes: stores always need it; unpacked B loads too, since lanes
            // beyond n may lie past the end of b.
            getSpecies(code).push(0).push(lastLanes);
            code.invokeInterface(SPECIES_T, "indexInRange", "(II)" + MASK_D).astore(mask);
        }
        for (int i = 0; i < rs * nv; i++) {
            getSpecies(code).invokeStatic(FV, "zero", "(" + SPECIES_D + ")" + FV_D).astore(accBase + i);
        }
        code.forLoop(kk, 0, s.k(), 1, () -> {
            for (int v = 0; v < nv; v++) {
                boolean masked = partial && !pack && v == nv - 1;
                getSpecies(code).aload(b).iload(bBase).addScaled(kk, bStride).addConst(v * vl);
                if (masked) code.aload(mask);
                code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + (masked ? MASK_D : "") + ")" + FV_D);
                code.astore(bvBase + v);
            }
            for (int r = 0; r < rs; r++) {
                getSpecies(code).aload(a).iload(aBase).addConst(r * aRowStride);
                if (s.transposeA()) {
                    if (s.hasRuntimeM()) code.addProduct(kk, mArg);
                    else code.addScaled(kk, s.m());
                } else {
                    code.addScaled(kk, 1);
                }
                code.insn(FALOAD).invokeStatic(FV, "broadcast", "(" + SPECIES_D + "F)" + FV_D).astore(av);
                for (int v = 0; v < nv; v++) {
                    int acc = accBase + r * nv + v;
                    // acc = av * bv + acc
                    code.aload(av).aload(bvBase + v).aload(acc);
                    code.invokeVirtual(FV, "fma", "(" + VEC_D + VEC_D + ")" + FV_D).astore(acc);
                }
            }
        });
        for (int r = 0; r < rs; r++) {
            for (int v = 0; v < nv; v++) {
                boolean masked = partial && v == nv - 1;
                code.aload(accBase + r * nv + v).aload(c).iload(cBase).addConst(r * s.n() + v * vl);
                if (masked) code.aload(mask);
                code.invokeVirtual(FV, "intoArray", "([FI" + (masked ? MASK_D : "") + ")V");
            }
        }
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    // ---- packing -------------------------------------------------------------------------------

    /**
     * {@code pack(b, bBase, panel)}: panel[kk·P + j] = op(B)[kk, j0 + j] for j < cols, 0 for cols ≤ j < P,
     * where P = cols rounded up to whole vectors and bBase addresses op(B)[0, j0].
     */
    private void emitPack(ClassWriter cw, int cols) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, packName(cols), PACK_DESC, null, null);
        mv.visitCode();
        Code code = new Code(mv);
        MatmulShape s = shape;
        final int b = 0, bBase = 1, panel = 2, kk = 3, j = 4, mask = 5;
        int nv = (cols + vl - 1) / vl, p = nv * vl, lastLanes = cols - (nv - 1) * vl;
        if (!s.transposeB()) {
            // A row-major copy, one vector per step; the masked load of the last vector zero-fills padding.
            if (lastLanes < vl) {
                getSpecies(code).push(0).push(lastLanes);
                code.invokeInterface(SPECIES_T, "indexInRange", "(II)" + MASK_D).astore(mask);
            }
            code.forLoop(kk, 0, s.k(), 1, () -> {
                for (int v = 0; v < nv; v++) {
                    boolean masked = lastLanes < vl && v == nv - 1;
                    getSpecies(code).aload(b).iload(bBase).addScaled(kk, s.n()).addConst(v * vl);
                    if (masked) code.aload(mask);
                    code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + (masked ? MASK_D : "") + ")" + FV_D);
                    code.aload(panel).iload(kk).mulConst(p).addConst(v * vl);
                    code.invokeVirtual(FV, "intoArray", "([FI)V");
                }
            });
        } else {
            // Transposing copy: B column j0+j is B^T's contiguous row j, so read along it and write the
            // panel with stride P (P·4 bytes: a line every one or two steps, which stays in L1/L2).
            code.forLoop(j, 0, cols, 1, () -> code.forLoop(kk, 0, s.k(), 1, () -> {
                code.aload(panel).iload(kk).mulConst(p).iload(j).insn(IADD);
                code.aload(b).iload(bBase).addScaled(j, s.k()).iload(kk).insn(IADD).insn(FALOAD);
                code.insn(FASTORE);
            }));
            if (cols < p) {
                code.forLoop(kk, 0, s.k(), 1, () -> code.forLoop(j, cols, p, 1, () -> {
                    code.aload(panel).iload(kk).mulConst(p).iload(j).insn(IADD).insn(FCONST_0).insn(FASTORE);
                }));
            }
        }
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private Code getSpecies(Code code) {
        code.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
        return code;
    }
}
