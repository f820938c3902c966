package descent.compiler.emit;

import descent.runtime.DType;

/**
 * The static description of one matrix product {@code C = op(A)·op(B)} that {@link MatmulEmitter}
 * specialises a kernel to. All matrices are row-major and dense; {@code op(X)} is {@code X} or its
 * transpose. Shapes are of the <em>logical</em> operands: op(A) is m×k, op(B) is k×n, C is m×n, so A
 * is stored k×m when {@code transposeA} and B is stored n×k when {@code transposeB}.
 *
 * @param m rows of C, or {@link #RUNTIME_M} for a symbolic batch dimension passed at each call
 * @param k the contracted dimension, or {@link #RUNTIME_K} (a weight gradient Aᵀ·B contracted over the batch,
 *          with a static m and a row-major B): passed at each call in the same argument a runtime m would be
 * @param n columns of C
 * @param dtype element type; only {@link DType#F32} has kernels so far
 * @param lda the stored row stride of A: of a row-major A at least k (k unless A is a column block of a wider
 *            matrix, such as one part of a product split along k); of a transposed A (stored k×m) at least m
 *            (m unless the kernel computes a row block of C, such as one part of a split weight gradient), and
 *            m itself when m is a runtime argument
 * @param ldb the stored row stride of a row-major B (at least n; n unless B is a column block of a wider
 *            matrix); a transposed B's is always k
 * @param ldc C's row stride (at least n): a kernel with ldc &gt; n writes a column block of a wider C and
 *            touches nothing between its rows
 */
public record MatmulShape(int m, int k, int n, boolean transposeA, boolean transposeB, DType dtype, int lda, int ldb, int ldc) {

    /** Marks a kernel whose row count is an {@code int} argument rather than a constant. */
    public static final int RUNTIME_M = -1;

    /** Marks a kernel whose contracted dimension is an {@code int} argument (only with a static m, Aᵀ and a row-major B). */
    public static final int RUNTIME_K = -1;

    /** A product of dense operands: B's and C's rows are as long as their logical widths. */
    public MatmulShape(int m, int k, int n, boolean transposeA, boolean transposeB, DType dtype) {
        this(m, k, n, transposeA, transposeB, dtype, transposeA ? m : k, transposeB ? k : n, n);
    }

    public MatmulShape {
        if (transposeA ? (m == RUNTIME_M ? lda != m : lda < m) : lda < k) {
            throw new IllegalArgumentException("lda must be at least m for a transposed A (m for a runtime m) and at least k otherwise: " + lda);
        }
        if (transposeB ? ldb != k : ldb < n) throw new IllegalArgumentException("ldb must be k for a transposed B and at least n otherwise: " + ldb);
        if (ldc < n) throw new IllegalArgumentException("ldc must be at least n: " + ldc);
        if (m < 1 && m != RUNTIME_M) throw new IllegalArgumentException("m must be positive or RUNTIME_M: " + m);
        if (k == RUNTIME_K && (m == RUNTIME_M || !transposeA || transposeB)) {
            throw new IllegalArgumentException("a runtime k needs a static m, a transposed A and a row-major B");
        }
        if ((k < 1 && k != RUNTIME_K) || n < 1) throw new IllegalArgumentException("k and n must be positive: k=" + k + " n=" + n);
        if (dtype != DType.F32) throw new UnsupportedOperationException("matmul kernels exist for f32 only, not " + dtype);
        // Every index a kernel computes is below one of these sizes; bounding them here keeps the
        // emitted int arithmetic overflow-free (a runtime m is checked per call, in long arithmetic).
        if ((long) k * Math.max(Math.max(n, ldb), lda) > Integer.MAX_VALUE
                || (m > 0 && ((long) m * Math.max(Math.max(k, 1), lda) > Integer.MAX_VALUE || (long) m * ldc > Integer.MAX_VALUE)))
            throw new IllegalArgumentException("operands too large for float[] indexing: " + m + "x" + k + "x" + n);
    }

    public static MatmulShape of(int m, int k, int n, boolean transposeA, boolean transposeB) {
        return new MatmulShape(m, k, n, transposeA, transposeB, DType.F32);
    }

    public static MatmulShape runtimeM(int k, int n, boolean transposeA, boolean transposeB) {
        return new MatmulShape(RUNTIME_M, k, n, transposeA, transposeB, DType.F32);
    }

    /** The same product over column blocks of wider matrices: A's rows {@code lda} apart, B's {@code ldb}, C's {@code ldc}. */
    public MatmulShape withStrides(int lda, int ldb, int ldc) {
        return new MatmulShape(m, k, n, transposeA, transposeB, dtype, lda, ldb, ldc);
    }

    /** Whether A, B or C is a column block of a wider matrix. */
    public boolean strided() { return lda != (transposeA ? m : k) || !transposeB && ldb != n || ldc != n; }

    public boolean hasRuntimeM() { return m == RUNTIME_M; }

    public boolean hasRuntimeK() { return k == RUNTIME_K; }

    /** Whether the kernel takes a dimension (m or k) as an argument. */
    public boolean hasRuntimeDim() { return hasRuntimeM() || hasRuntimeK(); }

    /** Floating-point operations of one call with {@code rows} rows (a fused multiply-add counts two). */
    public long flops(int rows) { return 2L * rows * Math.max(k, 1) * n; }

    /** A short name such as {@code 64x784x128_nt} or {@code Mx784x128_tn}, used in generated class names. */
    public String tag() {
        return (hasRuntimeM() ? "M" : Integer.toString(m)) + "x" + (hasRuntimeK() ? "K" : Integer.toString(k)) + "x" + n + "_"
                + (transposeA ? "t" : "n") + (transposeB ? "t" : "n") + (strided() ? "_ld" + lda + "x" + ldb + "x" + ldc : "");
    }
}
