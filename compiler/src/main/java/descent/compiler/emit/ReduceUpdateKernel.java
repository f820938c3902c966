package descent.compiler.emit;

/**
 * A reduction with its variable's update right after it, in one call: {@code x} reduced into {@code g}, then the
 * update's loop over all of {@code g}, reading its arrays from {@code in} (g among them) and writing those in
 * {@code out}.
 */
public interface ReduceUpdateKernel {
    void run(float[] x, float[] g, int batch, float[][] in, float[][] out);
}
