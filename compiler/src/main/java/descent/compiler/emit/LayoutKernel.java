package descent.compiler.emit;

/**
 * A generated layout, cast or integer-elementwise kernel (see {@link LayoutEmitter}, {@link CastEmitter},
 * {@link IntOpsEmitter}). One signature for every dtype and arity: arrays travel as {@code Object} and
 * the generated code casts each once to the array type it was specialised to ({@code float[]},
 * {@code double[]}, {@code int[]} or {@code long[]}).
 *
 * <p>Operand {@code k} is {@code in[k]} from element offset {@code inOff[k]}, row-major in its static
 * shape (with {@code batch} for the runtime dimension); the result is written row-major to {@code out}
 * from {@code outOff}. Only the result's elements are written. Inputs and output must not overlap.
 * {@code batch} is the size of the runtime dimension; kernels without one ignore it. Bounds are checked
 * by the JVM's array accesses only: a bad call may fail after a partial write. Kernels keep no state.
 */
@FunctionalInterface
public interface LayoutKernel {
    void run(Object[] in, int[] inOff, Object out, int outOff, int batch);
}
