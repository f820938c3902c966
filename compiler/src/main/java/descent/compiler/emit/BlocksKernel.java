package descent.compiler.emit;

/**
 * A weight gradient with its variable's update inside, over rows {@code [from, to)} of C, a block of rows at a
 * time: each block's product into {@code c}, then the update's loop over the block, reading its arrays from
 * {@code in} and writing those in {@code out} at offsets it sets in {@code inOff} and {@code outOff}.
 */
public interface BlocksKernel {
    void run(float[] a, float[] b, float[] c, int batch, float[] scratch, float[][] in, int[] inOff, float[][] out, int[] outOff,
             int from, int to);
}
