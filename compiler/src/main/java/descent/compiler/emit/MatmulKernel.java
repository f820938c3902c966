package descent.compiler.emit;

/**
 * A generated matrix-product kernel: {@code C = op(A)·op(B)}, overwriting C. Generated classes
 * implement this interface directly so a call is an ordinary (bimorphic at worst) interface call,
 * with no {@link java.lang.invoke.MethodHandle} in between.
 *
 * <p>Offsets are in elements. {@code m} is the number of rows of C; a kernel specialised to a static
 * M rejects any other value. A runtime-K kernel ({@link MatmulShape#RUNTIME_K}) takes k, the contracted
 * dimension, in that argument instead, and a runtime-N kernel ({@link MatmulShape#RUNTIME_N}) n, C's columns. {@code scratch} must hold at least
 * {@link EmittedMatmul#scratchFloats()} floats when that is positive (the kernel packs op(B) into it;
 * its contents on entry and exit are meaningless) and may be {@code null} otherwise. C must not
 * overlap A, B or the scratch: tiles of C are stored while A and B are still being read. Kernels keep no
 * state, so one instance may run on several threads as long as each has its own scratch and C.
 */
@FunctionalInterface
public interface MatmulKernel {
    void run(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, float[] scratch);

    /**
     * The same with a {@link MatmulEpilogue} row vector ({@code n} floats from {@code biasOff}) added to C
     * before it is stored; kernels without a bias epilogue ignore it.
     */
    default void run(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, float[] scratch,
                     float[] bias, int biasOff) {
        run(a, aOff, b, bOff, c, cOff, m, scratch);
    }
}
