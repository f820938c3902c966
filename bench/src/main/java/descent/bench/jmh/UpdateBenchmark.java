package descent.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/**
 * Issue 6's case d on Descent: one optimizer's dense update of 1M or 16M parameters with a given gradient.
 * Adam by default; {@code -p optimizer=momentum,ftrl,...} selects others (names of {@code Models.OPTIMIZERS}).
 */
public class UpdateBenchmark extends DescentCase {
    @Param({"adam"})
    public String optimizer;

    @Param({"1M", "16M"})
    public String size;

    @Override String key() { return "d_" + optimizer + "_" + size; }
}
