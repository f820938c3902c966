package descent.bench.jmh;

import descent.bench.CompileTime;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 6's case g in process: one cold compilation per fresh JVM (single shot, no warm-up, five forks), from
 * reading the example to the end of its first compiled train step. Paths are relative to the repository root.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 5, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public class CompileBenchmark {
    @Param({"examples/logreg.descent", "examples/mlp.descent", "examples/autoencoder.descent", "examples/embedding.descent",
            "examples/spiral/spiral.descent"})
    public String example;

    @Benchmark public double compileToFirstStep() { return CompileTime.toFirstStep(Path.of(example)); }
}
