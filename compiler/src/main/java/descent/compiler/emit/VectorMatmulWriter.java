package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Writes a register-blocked FMA matmul over {@code jdk.incubator.vector.FloatVector}, specialised to
 * a shape whose one dimension may be a runtime argument (the batch). The structure, for vector length VL and a
 * micro-tile of R rows × V vectors (W = V·VL columns):
 * <pre>
 * [runtime k, row-major A: transpose A into scratch first, so its rows are read at a constant stride]
 * for each column block j0 (W wide; the last may be narrower; for a runtime n, the last is the full block
 *                           over the last W columns, or one runtime-masked block when n &lt; W):
 *     [pack op(B)[0..k, j0..j0+W) into scratch as a k×W panel, zero-padded to whole vectors]
 *     for each row block i0 of R rows:  tile(i0, j0)
 *     remaining m mod R rows:           one tile of exactly that many rows; for a runtime M of at least R,
 *                                       the full tile again over the last R rows (see columnBlock)
 * tile: R×V accumulators = 0; for kk in 0..k: load V vectors of op(B) row kk, and for each row r
 *       broadcast op(A)[i0+r, kk] and FMA it into row r's V accumulators; then store them (the last
 *       vector masked when the block's width is not a whole number of vectors).
 * </pre>
 * Why this shape:
 * <ul>
 * <li>Column blocks are the outer loop so the B columns of a block (k×W floats) stay in L1/L2 for
 *     every row block while A streams through.</li>
 * <li>op(A) is read one element at a time (broadcast), so a transposed A only changes index strides.</li>
 * <li>A row-major B is read in place, its loads already contiguous, unless it is large and m is
 *     large enough to repay a copy into the panel (thresholds in {@link MatmulTuning#forShape}; a
 *     runtime M gets both paths and picks per call). A
 *     transposed B (stored n×k) has its needed rows k apart, so each column block is transposed once
 *     per call into a k×W scratch panel ({@link PanelTransposeWriter}) and shared by all row blocks —
 *     instead of gathers in the inner loop, or a dot-product form whose horizontal sums would change
 *     the summation order. Panel padding lanes compute zeros that are never stored.</li>
 * <li>Each tile is its own small method: far below HotSpot's 8000-byte huge-method limit, compiled
 *     and register-allocated on its own, and only arrays and ints cross the call, so no vector is
 *     ever boxed.</li>
 * <li>Every element of C is a chain of {@code fma} over kk = 0, 1, …, k−1 starting from +0, the same
 *     for every tile, tail and variant, so results are bitwise reproducible and equal to
 *     {@link ScalarMatmulWriter}'s {@code Math.fma} loops.</li>
 * </ul>
 * The vector length is baked into loop bounds; {@code <clinit>} checks the running JVM's preferred
 * species has that length, so class bytes written on one machine fail loudly on a mismatched one.
 */
final class VectorMatmulWriter extends MatmulClassWriter {
    private static final String FV = "jdk/incubator/vector/FloatVector";
    private static final String SPECIES_T = "jdk/incubator/vector/VectorSpecies";
    private static final String SPECIES_D = "L" + SPECIES_T + ";";
    private static final String MASK_D = "Ljdk/incubator/vector/VectorMask;";
    private static final String VEC_D = "Ljdk/incubator/vector/Vector;";
    private static final String FV_D = "L" + FV + ";";
    private static final String CMP_D = "Ljdk/incubator/vector/VectorOperators$Comparison;";
    /** tile(a, aBase, b, bBase, c, cBase, m[, bias, biasBase]) and pack(b, bBase, panel). */
    private final String tileDesc;
    /** pack(b, bBase, panel), and with the runtime dimension as a fourth argument for a runtime k or n. */
    private static final String PACK_DESC = "([FI[F)V", PACK_RT_DESC = "([FI[FI)V";

    private final int vl, rows, vectors, width, scratch;
    /**
     * For a runtime k with a row-major A (stored m × k, its rows k apart): the width of the panel A is transposed
     * into first (m rounded up to whole vectors), so that the tiles read it with a constant stride; else 0.
     */
    private final int aPanel;
    /** Slot holding where the A panel starts in the scratch. */
    private final int aPanelOffSlot;
    /**
     * Pack B when m (for a runtime n: n) is at least this: 0 when B is transposed, else the tuning's threshold
     * ({@link #packFromN} for a runtime n).
     */
    private final int packFrom;
    /** For a runtime K: pack B when k is at least this ({@link #packFromK}); else {@link MatmulTuning#NEVER}. */
    private final int packFromK;
    /** Tiles used, as (rows, columns, reads the panel) triples, emitted after the body has asked for them. */
    private final Set<Tile> tiles = new LinkedHashSet<>();
    private final Set<Integer> packs = new LinkedHashSet<>();
    /** Transpose methods used, as (rows, panel width) pairs. */
    private final Set<Long> transposes = new LinkedHashSet<>();
    private final PanelTransposeWriter transposer;

    VectorMatmulWriter(MatmulShape shape, MatmulEpilogue epilogue, String className, MatmulTuning tuning, int vectorLength) {
        super(shape, epilogue, className, scratchFloats(shape, tuning, vectorLength));
        this.tileDesc = epilogue.bias() ? "([FI[FI[FII[FI)V" : "([FI[FI[FII)V";
        this.vl = vectorLength;
        this.rows = tuning.rows();
        this.vectors = tuning.vectors();
        this.width = vectors * vl;
        this.packFrom = packFrom(shape, tuning);
        this.packFromK = packFromK(shape);
        this.scratch = scratchFloats(shape, tuning, vectorLength);
        this.aPanel = aPanelWidth(shape, vectorLength);
        this.aPanelOffSlot = firstLocal + 4;
        this.transposer = shape.transposeB() || aPanel > 0 ? new PanelTransposeWriter(className, vectorLength, shape.k()) : null;
        this.activateDesc = shape.ldc() < 0 ? "([FIIII)V" : "([FIII)V";
    }

    /** activate(c, base, rows, cols[, ldc]): C's row stride is an argument when it is the runtime n. */
    private final String activateDesc;

    /**
     * A micro-tile: {@code rows} × {@code cols} of C. A negative {@code cols} is a runtime-n kernel's narrow block
     * (n below one block's width): −cols vectors, the last masked to the n − (−cols − 1)·VL columns left.
     */
    private record Tile(int rows, int cols, boolean packed) {
        @Override public boolean equals(Object o) { return o instanceof Tile t && t.rows == rows && t.cols == cols && t.packed == packed; }
        @Override public int hashCode() { return (rows * 31 + cols) * 2 + (packed ? 1 : 0); }
    }

    private static int packFrom(MatmulShape shape, MatmulTuning tuning) {
        // A runtime k decides on k instead (packFromK); a runtime n on n.
        if (shape.hasRuntimeK()) return MatmulTuning.NEVER;
        if (shape.hasRuntimeN()) return packFromN(shape);
        return shape.transposeB() ? MatmulTuning.ALWAYS : tuning.packFromRows();
    }

    /**
     * The least {@code units} of the runtime dimension from which B of {@code bytesPerUnit} bytes per unit is packed,
     * as {@link MatmulTuning#forShape} decides for the kernel specialised to it with this static m
     * ({@link MatmulTuning#packBytes}).
     */
    private static int packFromBytes(int m, long bytesPerUnit) {
        if (m < 0 || bytesPerUnit <= 0) return MatmulTuning.NEVER;   // a runtime m or B width as well: never
        long bytes = MatmulTuning.packBytes(m, MatmulEmitter.preferredLength());
        return bytes < 0 ? MatmulTuning.NEVER : (int) Math.min(Integer.MAX_VALUE, (bytes + bytesPerUnit - 1) / bytesPerUnit);
    }

    /**
     * For a runtime-N kernel (the batch as C's columns; static M and K): the least n from which a call packs B, as
     * the kernel specialised to that n would; always for a transposed B.
     */
    static int packFromN(MatmulShape shape) {
        if (!shape.hasRuntimeN()) return MatmulTuning.NEVER;
        return shape.transposeB() ? MatmulTuning.ALWAYS : packFromBytes(shape.m(), 4L * shape.k());
    }

    /**
     * For a runtime-K kernel (a weight gradient contracted over the batch; static M): the least k from which a call
     * packs B, which is what {@link MatmulTuning#forShape} decides for the kernel specialised to that k
     * ({@link MatmulTuning#packBytes}). So one kernel serves every batch size, packing
     * exactly where the specialised kernel would.
     */
    static int packFromK(MatmulShape shape) {
        if (!shape.hasRuntimeK()) return MatmulTuning.NEVER;
        // A transposed B's columns are rows k apart: the panel is what makes them contiguous.
        return shape.transposeB() ? MatmulTuning.ALWAYS : packFromBytes(shape.m(), 4L * shape.n());
    }

    /** Whether some call may pack: always for a static M at or above the threshold, any threshold for a runtime M or N. */
    private static boolean mayPack(MatmulShape shape, MatmulTuning tuning) {
        int from = packFrom(shape, tuning);
        return shape.hasRuntimeM() || shape.hasRuntimeN() ? from != MatmulTuning.NEVER : shape.m() >= from;
    }

    /**
     * The A panel's width for a runtime k with a row-major A, else 0. Its rows are k apart, a runtime stride: read in
     * place, each of a tile's 8 rows needs its own base register, and 128×64×784 ran at 92 GFLOP/s against 112 for
     * the kernel specialised to k = 64 (2026-11-28). Transposed once per call (0.13 ns per element), A is read
     * like a transposed A: one base, a constant stride.
     */
    static int aPanelWidth(MatmulShape shape, int vectorLength) {
        return shape.hasRuntimeK() && !shape.transposeA() && !shape.hasRuntimeM()
                ? (shape.m() + vectorLength - 1) / vectorLength * vectorLength : 0;
    }

    /**
     * One k × W panel; the narrower last block reuses the front of it. For a runtime K: floats per unit of k, W when
     * B may be packed plus the A panel's width ({@link EmittedMatmul#scratchFloats(int)} gives a call's total).
     */
    static int scratchFloats(MatmulShape shape, MatmulTuning tuning, int vectorLength) {
        if (shape.hasRuntimeK()) return (packFromK(shape) == MatmulTuning.NEVER ? 0 : tuning.vectors() * vectorLength) + aPanelWidth(shape, vectorLength);
        if (!mayPack(shape, tuning)) return 0;
        long floats = (long) shape.k() * tuning.vectors() * vectorLength;
        if (floats > Integer.MAX_VALUE) throw new IllegalArgumentException("scratch panel too large for " + shape.tag());
        return (int) floats;
    }

    @Override int scratchFloats() { return scratch; }

    // ---- class members -------------------------------------------------------------------------

    @Override void emitStaticInit(MatmulCode code) {
        // SPECIES = FloatVector.SPECIES_PREFERRED, held static final so C2 treats it as a constant.
        code.mv.visitFieldInsn(GETSTATIC, FV, "SPECIES_PREFERRED", SPECIES_D);
        code.insn(DUP);
        code.mv.visitFieldInsn(PUTSTATIC, className, "SPECIES", SPECIES_D);
        if (epilogue.formula()) {
            code.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
            code.mv.visitFieldInsn(PUTSTATIC, className, "F", SPECIES_D);
            code.mv.visitFieldInsn(GETSTATIC, ElementwiseVectorLanes.DV, "SPECIES_PREFERRED", SPECIES_D);
            code.mv.visitFieldInsn(PUTSTATIC, className, "D", SPECIES_D);
        }
        code.invokeInterface(SPECIES_T, "length", "()I").push(vl);
        Label ok = new Label();
        code.mv.visitJumpInsn(IF_ICMPEQ, ok);
        throwNew(code, "java/lang/IllegalStateException",
                "matmul kernel emitted for " + vl + "-float vectors; FloatVector.SPECIES_PREFERRED differs");
        code.mv.visitLabel(ok);
        if (transposer != null) transposer.emitStaticInit(code);
    }

    @Override void emitMembers(ClassWriter cw) {
        cw.visitField(ACC_PRIVATE | ACC_STATIC | ACC_FINAL, "SPECIES", SPECIES_D, null, null).visitEnd();
        // ElementwiseVectorLanes reads its float and double species from fields named F and D.
        if (epilogue.formula()) {
            cw.visitField(ACC_STATIC | ACC_FINAL, "F", SPECIES_D, null, null).visitEnd();
            cw.visitField(ACC_STATIC | ACC_FINAL, "D", SPECIES_D, null, null).visitEnd();
        }
        for (Tile t : tiles) emitTile(cw, t.rows(), t.cols(), t.packed());
        if (epilogue.formula()) emitActivate(cw);
        for (int p : packs) emitPack(cw, p);
        if (transposer != null) {
            transposer.emitField(cw);
            for (long t : transposes) transposer.emitMethod(cw, (int) (t >>> 32), (int) t);
        }
    }

    // ---- matmul body ---------------------------------------------------------------------------

    @Override void emitBody(MatmulCode code) {
        int mFull = firstLocal + 2;
        if (shape.hasRuntimeM() || shape.hasRuntimeN()) {
            // An empty C (an empty batch): nothing to pack or compute; the caller may pass no scratch.
            Label work = new Label();
            code.iload(mSlot);
            code.mv.visitJumpInsn(IFNE, work);
            code.insn(RETURN);
            code.mv.visitLabel(work);
        }
        // Rows covered by whole row blocks: a constant, or m - m % R computed once.
        if (shape.hasRuntimeM()) code.iload(mSlot).iload(mSlot).push(rows).insn(IREM).insn(ISUB).istore(mFull);
        if (!shape.hasRuntimeDim()) {
            columnBlocks(code, shape.m() >= packFrom);
            return;
        }
        // A runtime dimension decides per call whether packing B repays the copy (each path ends in a return).
        java.util.function.Consumer<Boolean> path = shape.hasRuntimeK() ? packed -> runtimeK(code, packed) : packed -> columnBlocks(code, packed);
        int from = shape.hasRuntimeK() ? packFromK : packFrom;
        if (from == MatmulTuning.ALWAYS || from == MatmulTuning.NEVER) {
            path.accept(from == MatmulTuning.ALWAYS);
        } else {
            Label direct = new Label();
            code.iload(mSlot).push(from);
            code.mv.visitJumpInsn(IF_ICMPLT, direct);
            path.accept(true);
            code.mv.visitLabel(direct);
            path.accept(false);
        }
    }

    /**
     * A runtime k's path, packing B or not: checks the scratch holds the k × W panel (when packing) and the k × A-panel
     * one after it, transposes a row-major A into the latter, then every column block.
     */
    private void runtimeK(MatmulCode code, boolean packed) {
        int perK = (packed ? width : 0) + aPanel;
        if (perK > 0) {
            // k = 0 (an empty batch) needs no panel: the caller may pass none, and nothing reads it.
            Label checked = new Label();
            code.iload(mSlot);
            code.mv.visitJumpInsn(IFEQ, checked);
            // In long arithmetic: k · perK may exceed an int, which must fail rather than wrap into a size that passes.
            code.mv.visitInsn(LCONST_0);
            code.iload(mSlot).insn(I2L).mv.visitLdcInsn((long) perK);
            code.insn(LMUL).aload(scratchSlot).insn(ARRAYLENGTH).insn(I2L);
            code.invokeStatic("java/util/Objects", "checkFromIndexSize", "(JJJ)J").insn(POP2);
            code.mv.visitLabel(checked);
        }
        if (aPanel > 0) {
            if (packed) code.iload(mSlot).push(width).insn(IMUL);
            else code.push(0);
            code.istore(aPanelOffSlot);
            // A's rows VL at a time into columns of the panel: panel[off + kk·P + i] = A[i, kk].
            int i = firstLocal + 5, m = shape.m(), full = m - m % vl;
            if (full > 0) code.forLoop(i, 0, full, vl, () -> transposeRowsOfA(code, i, vl));
            if (m % vl != 0) {
                code.push(full).istore(i);
                transposeRowsOfA(code, i, m % vl);
            }
        }
        columnBlocks(code, packed);
    }

    /** transpose(a, aOff + i·k, scratch, aPanelOff + i, k) for {@code rowsHere} rows of A from row {@code i}. */
    private void transposeRowsOfA(MatmulCode code, int i, int rowsHere) {
        transposes.add(((long) rowsHere << 32) | aPanel);
        code.aload(A).iload(A_OFF).addProduct(i, mSlot);
        code.aload(scratchSlot).iload(aPanelOffSlot).iload(i).insn(IADD).iload(mSlot);
        code.invokeStatic(className, PanelTransposeWriter.name(rowsHere, aPanel), transposer.desc());
    }

    /** Every column block, then return. */
    private void columnBlocks(MatmulCode code, boolean packed) {
        if (shape.hasRuntimeN()) {
            runtimeColumnBlocks(code, packed);
            return;
        }
        int n = shape.n();
        int fullBlocks = n / width, tail = n % width;
        int j0 = firstLocal, i0 = firstLocal + 1, mFull = firstLocal + 2;
        if (fullBlocks > 0) code.forLoop(j0, 0, fullBlocks * width, width, () -> columnBlock(code, width, packed, j0, i0, mFull));
        if (tail > 0) {
            code.push(fullBlocks * width).istore(j0);
            columnBlock(code, tail, packed, j0, i0, mFull);
        }
        code.insn(RETURN);
    }

    /**
     * Every column block of a runtime n, then return: whole blocks of W columns, then what they leave ({@link
     * #lastBlock}): the full block once more over the last W columns, or, when n is below W, one narrow block of
     * runtime-masked tiles.
     */
    private void runtimeColumnBlocks(MatmulCode code, boolean packed) {
        int j0 = firstLocal, i0 = firstLocal + 1, mFull = firstLocal + 2, nFull = firstLocal + 3;
        code.iload(mSlot).iload(mSlot).push(width).insn(IREM).insn(ISUB).istore(nFull);
        code.forLoop(j0, 0, c -> c.iload(nFull), width, () -> columnBlock(code, width, packed, j0, i0, mFull));
        lastBlock(code, nFull, width, j0, () -> columnBlock(code, width, packed, j0, i0, mFull), done -> {
            code.push(0).istore(j0);
            if (vectors == 1) {
                columnBlock(code, -1, packed, j0, i0, mFull);
                return;
            }
            // (n - 1) / VL + 1 vectors, the last one masked.
            Label[] cases = new Label[vectors];
            for (int v = 0; v < vectors; v++) cases[v] = new Label();
            code.iload(mSlot).push(1).insn(ISUB).push(vl).insn(IDIV);
            code.mv.visitTableSwitchInsn(0, vectors - 1, done, cases);
            for (int v = 0; v < vectors; v++) {
                code.mv.visitLabel(cases[v]);
                columnBlock(code, -(v + 1), packed, j0, i0, mFull);
                code.mv.visitJumpInsn(GOTO, done);
            }
        });
        code.insn(RETURN);
    }

    /**
     * What whole blocks of {@code size} up to {@code fullSlot} leave of the runtime dimension: nothing; or, from one
     * block on, the full block once more at dim − size ({@code again}, with {@code startSlot} set): what it shares
     * with the block before comes out with the same bits (the same fma chains from zero, the same epilogue) and is
     * stored again. A block of exactly what is left would run only at the sizes that leave it, such as an epoch's
     * last batch, so it would still be interpreted there, where Vector API code is ~100× slower (a 37-row step of
     * case b's model: 2.1–5.3 ms against 0.3 ms). Below one block, {@code fewer} (every call at that size runs it),
     * which may jump to the label it is given when done.
     */
    private void lastBlock(MatmulCode code, int fullSlot, int size, int startSlot, Runnable again, java.util.function.Consumer<Label> fewer) {
        Label done = new Label(), below = new Label();
        code.iload(mSlot).iload(fullSlot);
        code.mv.visitJumpInsn(IF_ICMPEQ, done);
        code.iload(mSlot).push(size);
        code.mv.visitJumpInsn(IF_ICMPLT, below);
        code.iload(mSlot).push(size).insn(ISUB).istore(startSlot);
        again.run();
        code.mv.visitJumpInsn(GOTO, done);
        code.mv.visitLabel(below);
        fewer.accept(done);
        code.mv.visitLabel(done);
    }

    /** All row blocks of one column block starting at column {@code j0Slot}, {@code cols} wide (see {@link Tile}). */
    private void columnBlock(MatmulCode code, int cols, boolean packed, int j0Slot, int i0Slot, int mFullSlot) {
        MatmulShape s = shape;
        if (packed) {
            packs.add(cols);
            // B's column j0 starts at bOff + j0 (row-major k×n) or at bOff + j0*k (stored n×k).
            code.aload(B).iload(B_OFF);
            if (s.transposeB()) addStride(code, j0Slot, s.ldb(), mSlot);
            else code.addScaled(j0Slot, 1);
            code.aload(scratchSlot);
            if (packTakesDim()) code.iload(mSlot);
            code.invokeStatic(className, packName(cols), packTakesDim() ? PACK_RT_DESC : PACK_DESC);
        }
        if (shape.hasRuntimeM()) {
            code.forLoop(i0Slot, 0, c -> c.iload(mFullSlot), rows, () -> callTile(code, new Tile(rows, cols, packed), i0Slot, j0Slot));
            if (rows > 1) {
                // m mod R leftover rows: the full tile over the last R rows, or for m < R the tile of exactly m rows.
                lastBlock(code, mFullSlot, rows, i0Slot, () -> callTile(code, new Tile(rows, cols, packed), i0Slot, j0Slot), done -> {
                    Label[] cases = new Label[rows - 1];
                    for (int r = 0; r < cases.length; r++) cases[r] = new Label();
                    code.iload(mSlot).iload(mFullSlot).insn(ISUB);
                    code.mv.visitTableSwitchInsn(1, rows - 1, done, cases);
                    for (int r = 1; r < rows; r++) {
                        code.mv.visitLabel(cases[r - 1]);
                        code.iload(mFullSlot).istore(i0Slot);
                        callTile(code, new Tile(r, cols, packed), i0Slot, j0Slot);
                        code.mv.visitJumpInsn(GOTO, done);
                    }
                });
            }
        } else {
            int m = s.m(), full = m - m % rows;
            if (full > 0) code.forLoop(i0Slot, 0, full, rows, () -> callTile(code, new Tile(rows, cols, packed), i0Slot, j0Slot));
            if (m % rows != 0) {
                code.push(full).istore(i0Slot);
                callTile(code, new Tile(m % rows, cols, packed), i0Slot, j0Slot);
            }
        }
    }

    /** Whether pack methods take the runtime dimension: k bounds their loop, n is B's row stride. */
    private boolean packTakesDim() { return shape.hasRuntimeK() || shape.hasRuntimeN(); }

    /** Calls tile(a, aOff + i0*rowStrideA, panel or b, base, c, cOff + i0*ldc + j0, m). */
    private void callTile(MatmulCode code, Tile tile, int i0Slot, int j0Slot) {
        tiles.add(tile);
        MatmulShape s = shape;
        if (aPanel > 0) code.aload(scratchSlot).iload(aPanelOffSlot).addScaled(i0Slot, 1);
        else if (s.transposeA()) code.aload(A).iload(A_OFF).addScaled(i0Slot, 1);
        else addStride(code.aload(A).iload(A_OFF), i0Slot, s.lda(), mSlot);
        if (tile.packed()) code.aload(scratchSlot).push(0);
        else code.aload(B).iload(B_OFF).iload(j0Slot).insn(IADD);
        code.aload(C).iload(C_OFF);
        addStride(code, i0Slot, s.ldc(), mSlot).iload(j0Slot).insn(IADD);
        pushRuntime(code);
        if (epilogue.bias()) code.aload(biasSlot).iload(biasOffSlot).iload(j0Slot).insn(IADD);
        code.invokeStatic(className, tileName(tile), tileDesc);
    }

    private static String tileName(Tile t) { return "tile" + t.rows() + "x" + colsName(t.cols()) + (t.packed() ? "p" : ""); }
    private static String packName(int cols) { return "pack" + colsName(cols); }
    /** A width, or {@code n<vectors>} for a runtime-masked narrow block. */
    private static String colsName(int cols) { return cols < 0 ? "n" + -cols : Integer.toString(cols); }

    // ---- micro-tile ----------------------------------------------------------------------------

    /**
     * {@code tile(a, aBase, b, bBase, c, cBase, m)}: C[r, v·VL..] for r < rs, over {@code cols} columns.
     * op(A)[r, kk] is at aBase + r·rowStride + kk·kStride; the B row kk starts at bBase + kk·bStride.
     */
    private void emitTile(ClassWriter cw, int rs, int cols, boolean pack) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, tileName(new Tile(rs, cols, pack)), tileDesc, null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        MatmulShape s = shape;
        final int a = 0, aBase = 1, b = 2, bBase = 3, c = 4, cBase = 5, mArg = 6, bias = 7, biasBase = 8;
        final int kk = epilogue.bias() ? 9 : 7;
        boolean narrow = cols < 0;
        int nv = narrow ? -cols : (cols + vl - 1) / vl, lastLanes = narrow ? -1 : cols - (nv - 1) * vl;
        boolean partial = narrow || lastLanes < vl;
        int accBase = kk + 1, bvBase = accBase + rs * nv, av = bvBase + nv, mask = av + 1;

        if (partial) {
            // mask of the first lastLanes lanes: stores always need it; unpacked B loads too, since lanes
            // beyond n may lie past the end of b. A narrow block's are what is left of the runtime n.
            getSpecies(code).push(0);
            if (narrow) code.iload(mArg).addConst(-(nv - 1) * vl);
            else code.push(lastLanes);
            code.invokeInterface(SPECIES_T, "indexInRange", "(II)" + MASK_D).astore(mask);
        }
        for (int i = 0; i < rs * nv; i++) {
            getSpecies(code).invokeStatic(FV, "zero", "(" + SPECIES_D + ")" + FV_D).astore(accBase + i);
        }
        code.forLoop(kk, 0, kBound(mArg), 1, () -> {
            for (int v = 0; v < nv; v++) {
                boolean masked = partial && !pack && v == nv - 1;
                getSpecies(code).aload(b).iload(bBase);
                if (pack) code.addScaled(kk, nv * vl);
                else addStride(code, kk, s.ldb(), mArg);
                code.addConst(v * vl);
                if (masked) code.aload(mask);
                code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + (masked ? MASK_D : "") + ")" + FV_D);
                code.astore(bvBase + v);
            }
            for (int r = 0; r < rs; r++) {
                getSpecies(code).aload(a).iload(aBase);
                if (aPanel > 0) code.addConst(r).addScaled(kk, aPanel);
                else if (s.transposeA()) addStride(code.addConst(r), kk, s.lda(), mArg);
                else addStrideTimes(code, r, s.lda(), mArg).addScaled(kk, 1);
                code.insn(FALOAD).invokeStatic(FV, "broadcast", "(" + SPECIES_D + "F)" + FV_D).astore(av);
                for (int v = 0; v < nv; v++) {
                    int acc = accBase + r * nv + v;
                    // acc = av * bv + acc
                    code.aload(av).aload(bvBase + v).aload(acc);
                    code.invokeVirtual(FV, "fma", "(" + VEC_D + VEC_D + ")" + FV_D).astore(acc);
                }
            }
        });
        if (epilogue.bias()) {
            // The B vectors are dead: their slots hold the bias row's vectors (masked past n, like the stores).
            for (int v = 0; v < nv; v++) {
                boolean masked = partial && v == nv - 1;
                getSpecies(code).aload(bias).iload(biasBase).addConst(v * vl);
                if (masked) code.aload(mask);
                code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + (masked ? MASK_D : "") + ")" + FV_D);
                code.astore(bvBase + v);
            }
        }
        for (int r = 0; r < rs; r++) {
            for (int v = 0; v < nv; v++) {
                boolean masked = partial && v == nv - 1;
                if (!epilogue.isNone()) {
                    int acc = accBase + r * nv + v;
                    // acc + bias: a separate rounded add, never contracted into the last fma.
                    if (epilogue.bias()) code.aload(acc).aload(bvBase + v).invokeVirtual(FV, "add", "(" + VEC_D + ")" + FV_D).astore(acc);
                    // relu as x < 0 ? 0 : x, not max(x, 0): -0.0 and NaN pass through, as the elementwise kernel.
                    if (epilogue.relu()) {
                        code.aload(acc).insn(FCONST_0).aload(acc);
                        code.mv.visitFieldInsn(GETSTATIC, "jdk/incubator/vector/VectorOperators", "LT", CMP_D);
                        code.insn(FCONST_0).invokeVirtual(FV, "compare", "(" + CMP_D + "F)" + MASK_D);
                        code.invokeVirtual(FV, "blend", "(F" + MASK_D + ")" + FV_D).astore(acc);
                    }
                }
                code.aload(accBase + r * nv + v).aload(c).iload(cBase);
                addStrideTimes(code, r, s.ldc(), mArg).addConst(v * vl);
                if (masked) code.aload(mask);
                code.invokeVirtual(FV, "intoArray", "([FI" + (masked ? MASK_D : "") + ")V");
            }
        }
        // tanh and sigmoid run over the tile just stored, while it is in L1, by one loop (activate): unrolled
        // per accumulator, their double-lane formulas would outgrow the size up to which HotSpot compiles methods.
        if (epilogue.formula()) {
            code.aload(c).iload(cBase).push(rs);
            if (narrow) code.iload(mArg);
            else code.push(cols);
            if (s.ldc() < 0) code.iload(mArg);
            code.invokeStatic(className, "activate", activateDesc);
        }
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * {@code activate(c, base, rows, cols)}: C[r, j] = f(C[r, j]) for the epilogue's activation f over a tile
     * (rows × cols from {@code base}, row stride ldc), as the VECTOR_DOUBLE_MATH elementwise kernel computes f:
     * in double lanes with {@link WideMath}, so the bits do not depend on the JIT tier.
     */
    private void emitActivate(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, "activate", activateDesc, null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        // A runtime n's C rows are n apart: the fifth argument.
        final int c = 0, base = 1, rows = 2, cols = 3, ldc = 4, r = shape.ldc() < 0 ? 5 : 4, j = r + 1, at = r + 2, mask = r + 3, v = r + 4;
        ElementwiseLanes.Slots slots = new ElementwiseLanes.Slots(v + 1);
        ElementwiseFormulas formulas = new ElementwiseFormulas(new ElementwiseVectorLanes(mv, slots, className), true, true);
        code.forLoop(r, 0, cc -> cc.iload(rows), 1, () -> {
            addStride(code.iload(base), r, shape.ldc(), ldc).istore(at);
            code.forLoop(j, 0, cc -> cc.iload(cols), vl, () -> {
                getSpecies(code).iload(j).iload(cols);
                code.invokeInterface(SPECIES_T, "indexInRange", "(II)" + MASK_D).astore(mask);
                getSpecies(code).aload(c).iload(at).iload(j).insn(IADD).aload(mask);
                code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + MASK_D + ")" + FV_D).astore(v);
                activationInDoubleLanes(code, formulas, slots, v);
                code.aload(v).aload(c).iload(at).iload(j).insn(IADD).aload(mask);
                code.invokeVirtual(FV, "intoArray", "([FI" + MASK_D + ")V");
            });
        });
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * acc = f(acc) for the epilogue's activation f, computed on the two halves of acc widened to double lanes
     * (parts 0 and 1 of F2D) and rounded back into their halves (parts 0 and -1 of D2F, which zero the other
     * half, so the halves combine by OR of their bits).
     */
    private void activationInDoubleLanes(MatmulCode code, ElementwiseFormulas formulas, ElementwiseLanes.Slots slots, int acc) {
        String dv = ElementwiseVectorLanes.DV, conv = "Ljdk/incubator/vector/VectorOperators$Conversion;";
        String iv = "jdk/incubator/vector/IntVector";
        int[] halves = new int[2];
        for (int part = 0; part < 2; part++) {
            code.aload(acc);
            code.mv.visitFieldInsn(GETSTATIC, "jdk/incubator/vector/VectorOperators", "F2D", conv);
            code.mv.visitFieldInsn(GETSTATIC, className, "D", SPECIES_D);
            code.push(part).invokeVirtual(FV, "convertShape", "(" + conv + SPECIES_D + "I)" + VEC_D);
            code.mv.visitTypeInsn(CHECKCAST, dv);
            int wide = slots.take(1);
            code.astore(wide);
            ElementwiseLanes.Val y = formulas.unary(epilogue.activation(), new ElementwiseLanes.Val(wide, ElementwiseLanes.Type.DOUBLE));
            code.aload(y.slot());
            code.mv.visitFieldInsn(GETSTATIC, "jdk/incubator/vector/VectorOperators", "D2F", conv);
            code.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
            code.push(-part).invokeVirtual(dv, "convertShape", "(" + conv + SPECIES_D + "I)" + VEC_D);
            code.invokeVirtual("jdk/incubator/vector/Vector", "reinterpretAsInts", "()L" + iv + ";");
            halves[part] = slots.take(1);
            code.astore(halves[part]);
        }
        code.aload(halves[0]).aload(halves[1]).invokeVirtual(iv, "or", "(" + VEC_D + ")L" + iv + ";");
        code.invokeVirtual(iv, "reinterpretAsFloats", "()" + FV_D).astore(acc);
    }

    // ---- packing -------------------------------------------------------------------------------

    /**
     * {@code pack(b, bBase, panel[, k])}: panel[kk·P + j] = op(B)[kk, j0 + j] for j < cols, 0 for cols ≤ j < P,
     * where P = cols rounded up to whole vectors and bBase addresses op(B)[0, j0].
     */
    private void emitPack(ClassWriter cw, int cols) {
        MatmulShape s = shape;
        MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, packName(cols), packTakesDim() ? PACK_RT_DESC : PACK_DESC, null, null);
        mv.visitCode();
        MatmulCode code = new MatmulCode(mv);
        // A runtime-K or runtime-N kernel's pack takes that dimension as a fourth argument.
        final int b = 0, bBase = 1, panel = 2, rt = 3, kk = packTakesDim() ? 4 : 3, mask = kk + 1, j = kk + 2;
        boolean narrow = cols < 0;
        int nv = narrow ? -cols : (cols + vl - 1) / vl, p = nv * vl, lastLanes = narrow ? -1 : cols - (nv - 1) * vl;
        java.util.function.Consumer<MatmulCode> kBound = c -> { if (s.hasRuntimeK()) c.iload(rt); else c.push(s.k()); };
        if (s.transposeB() && narrow) {
            // The first n < W rows of the stored n×k B (n the argument) as columns, the rest of the panel zero: a
            // scalar copy, since the transposing blocks are specialised to their row count.
            code.forLoop(kk, 0, kBound, 1, () -> code.forLoop(j, 0, p, 1, () -> {
                Label zero = new Label(), store = new Label();
                code.aload(panel).iload(kk).mulConst(p).iload(j).insn(IADD);
                code.iload(j).iload(rt);
                code.mv.visitJumpInsn(IF_ICMPGE, zero);
                addStride(code.aload(b).iload(bBase), j, s.ldb(), rt).iload(kk).insn(IADD).insn(FALOAD);
                code.mv.visitJumpInsn(GOTO, store);
                code.mv.visitLabel(zero);
                code.insn(FCONST_0);
                code.mv.visitLabel(store);
                code.insn(FASTORE);
            }));
        } else if (s.transposeB()) {
            // Columns j0 + v·VL … of op(B) are rows of the stored n×k B: transpose them a vector's worth at a time.
            for (int v = 0; v < nv; v++) {
                int rowsHere = Math.min(vl, cols - v * vl);
                transposes.add(((long) rowsHere << 32) | p);
                code.aload(b).iload(bBase);
                addStrideTimes(code, v * vl, s.ldb(), rt).aload(panel).push(v * vl);
                if (s.hasRuntimeK()) code.iload(rt);
                code.invokeStatic(className, PanelTransposeWriter.name(rowsHere, p), transposer.desc());
            }
        } else {
            // Rows of B, a plain vector copy; the masked load of the last vector zero-fills the padding.
            boolean partial = narrow || lastLanes < vl;
            if (partial) {
                getSpecies(code).push(0);
                if (narrow) code.iload(rt).addConst(-(nv - 1) * vl);
                else code.push(lastLanes);
                code.invokeInterface(SPECIES_T, "indexInRange", "(II)" + MASK_D).astore(mask);
            }
            code.forLoop(kk, 0, kBound, 1, () -> {
                for (int v = 0; v < nv; v++) {
                    boolean masked = partial && v == nv - 1;
                    getSpecies(code).aload(b).iload(bBase);
                    addStride(code, kk, s.ldb(), rt).addConst(v * vl);
                    if (masked) code.aload(mask);
                    code.invokeStatic(FV, "fromArray", "(" + SPECIES_D + "[FI" + (masked ? MASK_D : "") + ")" + FV_D);
                    code.aload(panel).iload(kk).mulConst(p).addConst(v * vl);
                    code.invokeVirtual(FV, "intoArray", "([FI)V");
                }
            });
        }
        code.insn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private MatmulCode getSpecies(MatmulCode code) {
        code.mv.visitFieldInsn(GETSTATIC, className, "SPECIES", SPECIES_D);
        return code;
    }
}
