package descent.compiler.emit;

/**
 * Checks the first {@code n} indices (an int[] or long[]) where {@code mask} is set, failing on the first out of
 * range before anything is written; long indices are also narrowed into {@code ints} (null for int indices).
 */
public interface IndexKernel {
    void run(Object indices, float[] mask, int n, int[] ints);
}
