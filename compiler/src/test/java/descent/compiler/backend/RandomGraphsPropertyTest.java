package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.compiler.schedule.RandomModels;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Compiled equals interpreted, as a randomized property: for random graphs (RandomModels: random ops and reuse over
 * [batch, 3] values), any gate mode, aggregation method and optimizer, one or two threads, any batch from 0 to 40
 * and any feed, three train steps give the interpreter's losses and state within tolerance. {@code RandomGraphsTest}
 * runs 500 fixed graphs at batch 2 besides.
 *
 * <p>Each case draws its parameters from its own seed and is named by all of them, so a failure is reproduced by
 * {@link #check} with the values in its name. (Not jqwik: see docs/status.md, "No jqwik".) Set
 * {@code -Ddescent.randomGraphsSeed=S} to draw another 500 cases from S; the default keeps CI reproducible.
 */
class RandomGraphsPropertyTest {
    private static final long SEED = Long.getLong("descent.randomGraphsSeed", 20261128L);

    /** One case's parameters, drawn from its seed. */
    record Case(long graph, String gate, String aggregation, String optimizer, int threads, int batch, long feedSeed) {
        static Case draw(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return new Case(r.nextLong(1, 1_000_001), pick(r, RandomGraphsTest.GATES), pick(r, RandomGraphsTest.AGGREGATIONS),
                    pick(r, RandomGraphsTest.OPTIMIZERS), r.nextInt(1, 3), r.nextInt(0, 41), r.nextLong());
        }

        private static String pick(SplittableRandom r, List<String> from) { return from.get(r.nextInt(from.size())); }
    }

    @TestFactory
    Stream<DynamicTest> compiledEqualsInterpreted() {
        SplittableRandom seeds = new SplittableRandom(SEED);
        return LongStream.range(0, 500).map(i -> seeds.nextLong()).mapToObj(Case::draw)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    static void check(Case c) {
        String text = RandomModels.model(c.graph(), c.gate(), c.aggregation(), c.optimizer());
        Model m = Compiler.check("random" + c.graph() + ".descent", text);
        java.util.Random r = new java.util.Random(c.feedSeed());
        float[] x = new float[c.batch() * 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 1.5);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(x, c.batch(), 3));
        TrainingSession a = new InterpretedModel(m, Precision.F32).newSession(0), b = new CompiledModel(m).newSession(0, c.threads());
        for (int i = 0; i < 3; i++) {
            double la = a.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
            double lb = b.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
            if (!close(la, lb)) throw new AssertionError("step " + i + ": loss " + la + " vs " + lb + "\n" + text);
        }
        for (var e : a.state().entrySet()) {
            double[] p = e.getValue().toDoubles(), q = b.state().get(e.getKey()).toDoubles();
            for (int i = 0; i < p.length; i++) {
                if (!close(p[i], q[i])) throw new AssertionError(e.getKey() + "[" + i + "] " + p[i] + " vs " + q[i] + "\n" + text);
            }
        }
        if (!a.state().keySet().equals(b.state().keySet())) throw new AssertionError("state " + a.state().keySet() + " vs " + b.state().keySet());
    }

    /**
     * Within the tolerance of the other random tests, or the same non-finite value: an empty batch's mean is NaN on
     * both backends, and a graph whose loss grows as x⁶ may overflow on both.
     */
    private static boolean close(double expected, double actual) {
        if (expected == actual || Double.isNaN(expected) && Double.isNaN(actual)) return true;
        return Math.abs(expected - actual) <= 2e-4 * Math.max(1, Math.abs(expected));
    }
}
