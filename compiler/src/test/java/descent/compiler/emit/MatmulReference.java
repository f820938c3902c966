package descent.compiler.emit;

/**
 * Naive products to check generated kernels against, reading operands in the same storage layout
 * (A is k×m when transposed, B is n×k when transposed; all row-major, at the given offsets).
 */
final class MatmulReference {
    private MatmulReference() {}

    static float opA(MatmulShape s, int m, float[] a, int aOff, int i, int kk) {
        return s.transposeA() ? a[aOff + kk * m + i] : a[aOff + i * s.k() + kk];
    }

    static float opB(MatmulShape s, float[] b, int bOff, int kk, int j) {
        return s.transposeB() ? b[bOff + j * s.k() + kk] : b[bOff + kk * s.n() + j];
    }

    /** Double-accumulated product: the accurate answer, rounded once. */
    static double[] exact(MatmulShape s, int m, float[] a, int aOff, float[] b, int bOff) {
        double[] c = new double[m * s.n()];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < s.n(); j++) {
                double acc = 0;
                for (int kk = 0; kk < s.k(); kk++) acc += (double) opA(s, m, a, aOff, i, kk) * opB(s, b, bOff, kk, j);
                c[i * s.n() + j] = acc;
            }
        return c;
    }

    /** Σ|a·b| per element: the scale floating-point error of a dot product is proportional to. */
    static double[] magnitude(MatmulShape s, int m, float[] a, int aOff, float[] b, int bOff) {
        double[] c = new double[m * s.n()];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < s.n(); j++) {
                double acc = 0;
                for (int kk = 0; kk < s.k(); kk++) acc += Math.abs((double) opA(s, m, a, aOff, i, kk) * opB(s, b, bOff, kk, j));
                c[i * s.n() + j] = acc;
            }
        return c;
    }

    /** The textbook float loop, {@code acc += a*b} (two roundings per step). */
    static float[] naiveFloat(MatmulShape s, int m, float[] a, int aOff, float[] b, int bOff) {
        float[] c = new float[m * s.n()];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < s.n(); j++) {
                float acc = 0;
                for (int kk = 0; kk < s.k(); kk++) acc += opA(s, m, a, aOff, i, kk) * opB(s, b, bOff, kk, j);
                c[i * s.n() + j] = acc;
            }
        return c;
    }

    /** The kernels' documented summation order: fma over kk ascending from +0. Their results must equal this bit for bit. */
    static float[] fmaChain(MatmulShape s, int m, float[] a, int aOff, float[] b, int bOff) {
        float[] c = new float[m * s.n()];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < s.n(); j++) {
                float acc = 0;
                for (int kk = 0; kk < s.k(); kk++) acc = Math.fma(opA(s, m, a, aOff, i, kk), opB(s, b, bOff, kk, j), acc);
                c[i * s.n() + j] = acc;
            }
        return c;
    }
}
