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
 * One compiled train step of issue 6's cases a, b, c and e (Descent only; {@code SideBySide} compares with
 * TensorFlow). Warm-up is long because Vector API code is slow until C2 has compiled it. Run with
 * {@code -prof gc} to see the bytes a warm step allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public class StepBenchmark {
    @Param({"a", "b", "c", "e_adagrad", "e_lazy_adam"})
    public String key;

    /** The Descent session's thread count. */
    @Param({"1"})
    public int threads;

    private Step step;

    @Setup(Level.Trial) public void setUp() { step = Cases.byKey(key, threads).descent().get(); }

    @Benchmark public void step() { step.run(); }

    @TearDown(Level.Trial) public void tearDown() { step.close(); }
}
