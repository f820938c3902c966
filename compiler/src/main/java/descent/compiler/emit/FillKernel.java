package descent.compiler.emit;

/**
 * Fills the first {@code count} elements of {@code dst} (a float[] or double[]) with values that depend only on
 * the step number and the batch size: what {@code dim_size} and {@code random_normal} compute, as plain Java
 * objects of the backend that a step class calls like a generated kernel.
 */
public interface FillKernel {
    void run(Object dst, int count, long step, int b);
}
