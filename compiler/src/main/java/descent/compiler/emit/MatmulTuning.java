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
     * 8 rows × 2 vectors: 16 accumulators + 2 B vectors + 1 broadcast use 19 of AVX-512's 32 registers, and
     * 16 independent FMA chains exceed latency × pipes. 6×4 and 12×2 measured the same within noise.
     *
     * <p>A row-major B is read in place unless it outgrows the caches: its rows are 4n bytes apart, and
     * for a large power-of-two n the k rows of one column block crowd a few cache sets. Measured on
     * Zen 4 (1 MiB L2), 8 rounds alternating, GFLOP/s in place → packed: 64×784×128 115 → 103,
     * 8×784×128 115 → 68, 16×512² 90 → 69, 64×512² 111 → 102, 128×512² 66 → 66, 256×512² 95 → 103,
     * 512³ 100 → 108, 64×1024² 71 → 85, 128×1024² 72 → 95, 1024³ 71 → 93. Hence: pack from 64 rows when
     * B is ≥ 2 MiB, from 256 rows when it is ≥ 512 KiB, never when smaller.
     */
    public static MatmulTuning forShape(MatmulShape shape) {
        if (shape.hasRuntimeK() || shape.hasRuntimeN()) return new MatmulTuning(8, 2, NEVER);   // they decide on their runtime dimension
        long bBytes = 4L * shape.k() * shape.n();
        int packFrom = bBytes >= (2 << 20) ? 64 : bBytes >= (512 << 10) ? 256 : NEVER;
        return new MatmulTuning(8, 2, packFrom);
    }
}
