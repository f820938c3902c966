package descent.bench.jmh;

import descent.bench.Cases;
import descent.bench.Step;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 6's case d on Descent: one optimizer's dense update of 1M or 16M parameters with a given gradient.
 * Adam by default; {@code -p optimizer=momentum,ftrl,...} selects others (names of {@code Models.OPTIMIZERS}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public class UpdateBenchmark {
    @Param({"adam"})
    public String optimizer;

    @Param({"1M", "16M"})
    public String size;

    /** The Descent session's thread count. */
    @Param({"1"})
    public int threads;

    private Step step;

    private String key() { return "d_" + optimizer + "_" + size; }

    @Setup(Level.Trial) public void setUp() { step = Cases.byKey(key(), threads).descent().get(); }

    @Benchmark public void step() { step.run(); }

    @TearDown(Level.Trial) public void tearDown() { step.close(); }
}
