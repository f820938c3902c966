package descent.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/**
 * One compiled train step of issue 6's cases a, b, c and e (Descent only; {@code SideBySide} compares with
 * TensorFlow). Run with {@code -prof gc} to see the bytes a warm step allocates.
 */
public class StepBenchmark extends DescentCase {
    @Param({"a", "b", "c", "e_adagrad", "e_lazy_adam"})
    public String key;

    @Override String key() { return key; }
}
