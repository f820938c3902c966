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
 * What the Descent-side benchmarks share: one case of {@link Cases} (named by the subclass's parameters) built
 * once per trial and timed call by call. Warm-up is long (20 s) because Vector API code is slow until C2 has
 * compiled it — case c needs `-wi 30`; JMH's annotations and the benchmark method are inherited by each subclass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public abstract class DescentCase {
    /** The Descent session's thread count (single matmuls ignore it). */
    @Param({"1"})
    public int threads;

    private Step step;

    /** The {@link Cases} key of the case to time. */
    abstract String key();

    @Setup(Level.Trial) public void setUp() { step = Cases.byKey(key(), threads).descent().get(); }

    @Benchmark public void run() { step.run(); }

    @TearDown(Level.Trial) public void tearDown() { step.close(); }
}
