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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 6's case f: C = A·B by the kernel the backend generates for the shape (keys as in {@code Cases}:
 * {@code f_512} is 512³). GFLOP/s = 2mkn / score; {@code SideBySide} prints it against the FMA peak.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public class KernelBenchmark {
    @Param({"f_64", "f_256", "f_512", "f_1024", "f_64x784x128"})
    public String key;

    private Step matmul;

    @Setup(Level.Trial) public void setUp() { matmul = Cases.byKey(key, 1).descent().get(); }

    @Benchmark public void matmul() { matmul.run(); }
}
