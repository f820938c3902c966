package descent.compiler.emit;

/**
 * A generated f64 product ({@link MatmulF64Emitter}): {@code c[cOff ..] = op(A) · op(B)}, row-major, with the
 * dimensions its spec left to run time equal to {@code batch}.
 */
@FunctionalInterface
public interface MatmulF64Kernel {
    void run(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int batch);
}
