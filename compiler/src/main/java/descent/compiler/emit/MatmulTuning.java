package descent.compiler.emit;

/**
 * Register-blocking parameters of the vector kernel.
 *
 * @param rows      rows of C per micro-tile (each row's A element is broadcast once per k)
 * @param vectors   vectors of C per micro-tile row; rows × vectors accumulators stay in registers
 * @param packNN    also pack B into the contiguous scratch panel when B is not transposed. A transposed
 *                  B is always packed, since its columns are what the inner loop needs contiguous.
 */
public record MatmulTuning(int rows, int vectors, boolean packNN) {

    /**
     * 8 rows × 2 vectors = 16 accumulators + 2 B vectors + 1 broadcast: 19 of AVX-512's 32 registers, enough
     * independent FMA chains (16) to cover a 4-cycle latency on two FMA pipes. See MatmulBench for the packing choice.
     */
    public static final MatmulTuning DEFAULT = new MatmulTuning(8, 2, true);

    public MatmulTuning {
        if (rows < 1 || rows > 16 || vectors < 1 || vectors > 8)
            throw new IllegalArgumentException("unreasonable register block " + rows + "x" + vectors);
    }
}
