package descent.bench.jmh;

import descent.bench.Cases;
import descent.bench.Limits;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine limits every result is reported against. Scores are ns per call; GFLOP/s = {@code
 * Limits.fmaFlops(ITERS)} / score and GB/s = {@code Limits.copyBytes(n)} / score ({@code SideBySide} prints
 * both converted).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC"})
public class MachineBenchmark {
    public static final int ITERS = 20_000;

    private final float[] small = new float[Cases.SMALL], smallOut = new float[Cases.SMALL];
    private final float[] large = new float[Cases.LARGE], largeOut = new float[Cases.LARGE];
    private float seed = 1;

    /** 12 register-only FMA chains of {@link #ITERS} iterations. */
    @Benchmark public float fmaPeak() { return Limits.fma(ITERS, seed); }

    /** A copy of 1M floats (4 MB). */
    @Benchmark public void copySmall() { Limits.copy(small, smallOut); }

    /** A copy of 16M floats (64 MB). */
    @Benchmark public void copyLarge() { Limits.copy(large, largeOut); }
}
