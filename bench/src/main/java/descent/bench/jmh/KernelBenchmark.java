package descent.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/**
 * Issue 6's case f: C = A·B by the kernel the backend generates for the shape (keys as in {@code Cases}:
 * {@code f_512} is 512³), on one thread. GFLOP/s = 2mkn / score; {@code SideBySide} prints it against the FMA
 * peak.
 */
public class KernelBenchmark extends DescentCase {
    @Param({"f_64", "f_256", "f_512", "f_1024", "f_64x784x128"})
    public String key;

    @Override String key() { return key; }
}
