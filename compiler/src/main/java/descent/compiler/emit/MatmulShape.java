package descent.compiler.emit;

import descent.runtime.DType;

/**
 * The static description of one matrix product {@code C = op(A)·op(B)} that {@link MatmulEmitter}
 * specialises a kernel to. All matrices are row-major and dense; {@code op(X)} is {@code X} or its
 * transpose. Shapes are of the <em>logical</em> operands: op(A) is m×k, op(B) is k×n, C is m×n, so A
 * is stored k×m when {@code transposeA} and B is stored n×k when {@code transposeB}.
 *
 * <p>Dimensions may be the runtime argument of the kernel, passed at each call in one {@code int} (the symbolic
 * batch): m ({@link #RUNTIME_M}), k ({@link #RUNTIME_K}), n ({@link #RUNTIME_N}), or several of them, which are
 * then all that one value (H·Hᵀ is batch × batch). A stride that equals a runtime dimension is then {@code -1}
 * too (a runtime m's transposed A, a runtime k's row-major A or transposed B, a runtime n's row-major B and C).
 *
 * @param m rows of C, or {@link #RUNTIME_M} for a symbolic batch dimension passed at each call
 * @param k the contracted dimension, or {@link #RUNTIME_K} (a product contracted over the batch, with a static m
 *          and n)
 * @param n columns of C, or {@link #RUNTIME_N} (the batch as C's columns, with a static m and k)
 * @param dtype element type; only {@link DType#F32} has kernels so far
 * @param lda the stored row stride of A: of a row-major A at least k (k unless A is a column block of a wider
 *            matrix, such as one part of a product split along k); of a transposed A (stored k×m) at least m
 *            (m unless the kernel computes a row block of C, such as one part of a split weight gradient); the
 *            runtime dimension itself when that is the dense stride
 * @param ldb the stored row stride of a row-major B (at least n; n unless B is a column block of a wider
 *            matrix); a transposed B's is always k
 * @param ldc C's row stride (at least n): a kernel with ldc &gt; n writes a column block of a wider C and
 *            touches nothing between its rows
 */
public record MatmulShape(int m, int k, int n, boolean transposeA, boolean transposeB, DType dtype, int lda, int ldb, int ldc) {

    /** Marks a kernel whose row count is an {@code int} argument rather than a constant. */
    public static final int RUNTIME_M = -1;

    /** Marks a kernel whose contracted dimension is an {@code int} argument (with a static m and n). */
    public static final int RUNTIME_K = -1;

    /** Marks a kernel whose column count is an {@code int} argument (with a static m and k). */
    public static final int RUNTIME_N = -1;

    /** A product of dense operands: B's and C's rows are as long as their logical widths. */
    public MatmulShape(int m, int k, int n, boolean transposeA, boolean transposeB, DType dtype) {
        this(m, k, n, transposeA, transposeB, dtype, transposeA ? m : k, transposeB ? k : n, n);
    }

    public MatmulShape {
        if (m < 1 && m != RUNTIME_M) throw new IllegalArgumentException("m must be positive or RUNTIME_M: " + m);
        if ((k < 1 && k != RUNTIME_K) || (n < 1 && n != RUNTIME_N))
            throw new IllegalArgumentException("k and n must be positive or runtime: k=" + k + " n=" + n);
        // A stride is the runtime dimension exactly when its dense value is; a static one is at least the width.
        if (transposeA ? !strideOk(lda, m) : !strideOk(lda, k))
            throw new IllegalArgumentException("lda must be at least m for a transposed A and at least k otherwise (the runtime dimension when that is one): " + lda);
        if (transposeB ? ldb != k : !strideOk(ldb, n))
            throw new IllegalArgumentException("ldb must be k for a transposed B and at least n otherwise: " + ldb);
        if (!strideOk(ldc, n)) throw new IllegalArgumentException("ldc must be at least n: " + ldc);
        if (dtype != DType.F32) throw new UnsupportedOperationException("matmul kernels exist for f32 only, not " + dtype);
        // Every index a kernel computes is below one of these sizes; bounding them here keeps the
        // emitted int arithmetic overflow-free (a runtime dimension is checked per call, in long arithmetic).
        long mm = Math.max(m, 1), kk = Math.max(k, 1), nn = Math.max(n, 1);
        long la = Math.max(lda, 1), lb = Math.max(ldb, 1), lc = Math.max(ldc, 1);
        if (kk * Math.max(Math.max(nn, lb), la) > Integer.MAX_VALUE || mm * Math.max(kk, la) > Integer.MAX_VALUE
                || mm * lc > Integer.MAX_VALUE || nn * lb > Integer.MAX_VALUE)
            throw new IllegalArgumentException("operands too large for float[] indexing: " + m + "x" + k + "x" + n);
    }

    /** A stride of a runtime dimension must be that runtime marker; a static one is at least the width it spans. */
    // Key text (kernel caches, model jars): written out, as every record's methods on the path from a model file
    // to its first step are, since a record's generated ones link an invokedynamic call site on first use, which
    // costs a cold JVM milliseconds per record class (docs/backend.md, "Start-up").
    @Override public String toString() {
        return "MatmulShape[m=" + m + ", k=" + k + ", n=" + n + ", transposeA=" + transposeA + ", transposeB=" + transposeB
                + ", dtype=" + dtype + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + "]";
    }

    private static boolean strideOk(int stride, int width) { return width < 0 ? stride == width : stride >= width; }

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

    public boolean hasRuntimeN() { return n == RUNTIME_N; }

    /** Whether the kernel takes a dimension (m, k or n) as an argument. */
    public boolean hasRuntimeDim() { return hasRuntimeM() || hasRuntimeK() || hasRuntimeN(); }

    /** A short name such as {@code 64x784x128_nt} or {@code Mx784x128_tn}, used in generated class names. */
    public String tag() {
        return (hasRuntimeM() ? "M" : Integer.toString(m)) + "x" + (hasRuntimeK() ? "K" : Integer.toString(k)) + "x" + (hasRuntimeN() ? "N" : Integer.toString(n)) + "_"
                + (transposeA ? "t" : "n") + (transposeB ? "t" : "n") + (strided() ? "_ld" + lda + "x" + ldb + "x" + ldc : "");
    }
}
