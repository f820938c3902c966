package descent.compiler.emit;

/**
 * Blocking parameters of the vector kernel.
 *
 * @param rows         rows of C per micro-tile (each row's A element is broadcast once per k)
 * @param vectors      vectors of C per micro-tile row; rows × vectors accumulators stay in registers
 * @param packFromRows copy a row-major B into the contiguous scratch panel when m is at least this
 *                     ({@link #ALWAYS}, {@link #NEVER} or a row count; a runtime M decides per call). A
 *                     transposed B is always packed: its columns are what the inner loop needs contiguous.
 */
public record MatmulTuning(int rows, int vectors, int packFromRows) {
    public static final int ALWAYS = 0, NEVER = Integer.MAX_VALUE;

    public MatmulTuning {
        if (rows < 1 || rows > 16 || vectors < 1 || vectors > 8)
            throw new IllegalArgumentException("unreasonable register block " + rows + "x" + vectors);
        if (packFromRows < 0) throw new IllegalArgumentException("packFromRows " + packFromRows);
    }

    /**
     * Rows per micro-tile for {@code floats}-lane vectors: 8 where vectors are 512 bits wide (AVX-512, whose 32
     * registers hold 8 × 2 = 16 accumulators + 2 B vectors + 1 broadcast; 16 independent FMA chains exceed latency
     * × pipes; 6×4 and 12×2 measured the same within noise on Zen 4), 6 below (AVX2 has 16 registers: 6 × 2 = 12
     * accumulators + 3; an 8×2 tile spills). Measured on Zen 3 (AVX2, FMA peak 77 GFLOP/s on one core, 2026-11-28,
     * a throwaway harness timing each tile alternately, medians of 9 rounds): 512³ 8×2 39 → 6×2 63 GFLOP/s (5×2
     * 55, 3×4 32), 64×784×128 41 → 60, 128×784×512 30 → 33, 64×128×10 23 → 24.
     */
    static int tileRows(int floats) { return floats >= 16 ? 8 : 6; }

    /**
     * Rows per micro-tile of a product whose A is read transposed (a weight gradient Aᵀ·B, its A stored batch ×
     * rows): {@link #tileRows} where vectors are 512 bits wide, 4 below. On Zen 3 (AVX2, same harness, 784×64×128,
     * the batch as k, whole and in 16-row blocks, runtime and static k, two runs each) 4×2 ran at 38–46 GFLOP/s
     * against 34–38 for 8×2 and 30–35 for 6×2; in case b's step (one thread, per-kernel timers, two runs each
     * alternating) its weight gradient with Adam inside took 364/422 µs with 4×2, 485/690 with 6×2, 581/690 with
     * 8×2. These products are bound by something else than the FMA units (the specialised non-transposed
     * 64×784×128 reaches 60 GFLOP/s), not yet found; a 4-row tile also divides the 8-row blocks of the splits
     * and of the fused updates. Copying A first was tried on Zen 3 (2026-11-28, kernels alternated in one JVM,
     * medians of 31 rounds, three runs, the copy included): into row blocks of k × R, 4×2 tiles gained 0–8%
     * (784×64×128 39–40 → 42–44 GFLOP/s) and 6×2 tiles lost 10–30%; transposed whole (m × k row-major, which 6×2
     * tiles read like a forward product's A) with a scalar copy, 784×64×128 went 40.4 → 42.1, 61.4 → 57.6 (16-row
     * blocks) and 40.6 → 44.5 (784×128×512). That copy alone took 42 µs (0.83 ns per element) of the ~300 µs call:
     * without it the tiles ran 15–28% faster than in place. So the next step is a vectorized transposing copy
     * ({@link PanelTransposeWriter}'s butterflies with a source stride and a runtime destination stride, 0.13 ns per
     * element on Zen 4), not another tile shape.
     *
     * <p>Every tile shape again on Zen 3 (2026-11-29, 784×64×128, one thread, static k, alternating, medians of 20
     * rounds; the forward 64×784×128 at 80 GFLOP/s in the same run): 4×2 62, 3×3 60, 2×6 54, 12×1 53, 10×1 49, 4×4
     * 43, 6×1 42, 3×4 39, 6×2 39, 4×3 38, 2×4 37, 5×2 33, 8×1 25; two hand-written loop orders lost too (16-column
     * panels of B outermost 42; vectors along A's rows with B broadcast and a transposing store 48). C2's code says
     * why 6×2 loses here and not in a forward product (`scripts/c2-disassemble.py`): with A transposed, C2 schedules
     * four of the six broadcasts of one k at the top of the loop body, so 12 accumulators + 2 B vectors + 4
     * broadcasts need 18 of AVX2's 16 registers and two accumulators live on the stack (load, FMA, store every k:
     * the store-to-load round trip lengthens their chains); the forward 6×2 loads its broadcasts two at a time and
     * keeps all 12 in registers. 4×2 fits with every broadcast hoisted (8 + 2 + 4 = 14) but is 8 FMA chains of
     * 4-cycle latency on 2 pipes, no slack: hence ~60 where the forward reaches 80. A tile with more chains needs C2
     * not to hoist the broadcasts: hand-written Java 6×2 tiles spill the same way whether A is indexed by kk·lda, by
     * a running index, from a copied k×6 panel or from a copied 6×k block (37, 38, 47, 33 GFLOP/s).
     *
     * <p>Packing B helps the 4×2 tile itself (B's rows are 512 B apart, so the 64 rows of a 64×128 B share 8 of
     * L1's 64 sets): 59 → 68 GFLOP/s for the whole 784-row product. In case b's step (two threads, W1's gradient with
     * Adam inside, two alternating runs) whole parts with B packed took 181/189 µs, 16-row blocks unpacked (today's
     * rule) 184/196 and whole parts unpacked 195/221: packing wins back what whole parts lose. A panel packed once
     * per part and read by every 16-row block would keep both gains; not built. On two threads this product scales
     * worse than the forward one (247 → 199 µs against 186 → 114, `scripts/bench.sh profile b --threads 1|2`);
     * alone, two threads running its halves at once took 159 µs each against 115 for one half: the two vCPUs slow
     * each other.
     */
    static int transposedTileRows(int floats) { return floats >= 16 ? 8 : 4; }

    /**
     * The size of a row-major B in bytes from which a product of {@code m} rows packs it (-1: never), for
     * {@code floats}-lane vectors. 512-bit (Zen 4, 1 MiB L2; measurements below): from 2 MiB at 64 rows, from 512 KiB
     * at 256. 256-bit (Zen 3, 512 KiB L2 per core): from 256 KiB at 64 rows — same harness, 6×2 tiles, in place →
     * packed: 128×784×512 31 → 59 GFLOP/s, 128×512² 41 → 63, 64×784×128 43 → 60, 512³ 39 → 59 (2026-11-28).
     */
    public static long packBytes(int m, int floats) {
        if (floats >= 16) return m >= 256 ? 512 << 10 : m >= 64 ? 2 << 20 : -1;
        return m >= 64 ? 256 << 10 : -1;
    }

    /**
     * The size of B from which a weight gradient with its update inside runs each thread's rows as one block (the
     * unfused product's call, which packs B) rather than in small blocks that each read all of B: half the L2 of
     * the machines measured, told apart by their vector width — 1 MiB with 512-bit vectors (Zen 4), 256 KiB with
     * 256-bit ones (Zen 3, 512 KiB L2 per core). On the latter, case c's step (784-512-512-10, batch 128, B of the
     * weight gradients 256 KiB) ran its W1 gradient and update in 1,938–1,990 µs in 8-row blocks.
     */
    public static long wholeBlockFromBBytes() { return MatmulEmitter.preferredLength() >= 16 ? 1 << 20 : 256 << 10; }

    /**
     * {@link #tileRows} × 2 vectors.
     *
     * <p>A row-major B is read in place unless it outgrows the caches: its rows are 4n bytes apart, and
     * for a large power-of-two n the k rows of one column block crowd a few cache sets. Measured on
     * Zen 4 (1 MiB L2), 8 rounds alternating, GFLOP/s in place → packed: 64×784×128 115 → 103,
     * 8×784×128 115 → 68, 16×512² 90 → 69, 64×512² 111 → 102, 128×512² 66 → 66, 256×512² 95 → 103,
     * 512³ 100 → 108, 64×1024² 71 → 85, 128×1024² 72 → 95, 1024³ 71 → 93. Hence, there: pack from 64 rows when
     * B is ≥ 2 MiB, from 256 rows when it is ≥ 512 KiB, never when smaller ({@link #packBytes}).
     */
    public static MatmulTuning forShape(MatmulShape shape) {
        int rows = shape.transposeA() ? transposedTileRows(MatmulEmitter.preferredLength()) : tileRows(MatmulEmitter.preferredLength());
        if (shape.hasRuntimeK() || shape.hasRuntimeN()) return new MatmulTuning(rows, 2, NEVER);   // they decide on their runtime dimension
        long bBytes = 4L * shape.k() * shape.n();
        int packFrom = NEVER;
        for (int m : new int[] {256, 64}) if (packBytes(m, MatmulEmitter.preferredLength()) >= 0 && bBytes >= packBytes(m, MatmulEmitter.preferredLength())) packFrom = m;
        return new MatmulTuning(rows, 2, packFrom);
    }
}
