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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Compiled equals interpreted, as a property (jqwik): for random graphs (RandomModels: random ops and reuse over
 * [batch, 3] values), any gate mode, aggregation method and optimizer, one or two threads, any batch from 0 to 40
 * and any feed, three train steps give the interpreter's losses and state within tolerance. A failure reports the
 * generated values and jqwik shrinks them; {@code RandomGraphsTest} runs 500 fixed seeds besides.
 */
class RandomGraphsPropertyTest {
    /** A fixed seed keeps CI reproducible; remove it (or change it) to explore further: 3,000 random tries passed on 2026-11-28. */
    @Property(tries = 500, seed = "20261128")
    void compiledEqualsInterpreted(@ForAll @LongRange(min = 1, max = 1_000_000) long graph, @ForAll("gates") String gate,
                                   @ForAll("aggregations") String aggregation, @ForAll("optimizers") String optimizer,
                                   @ForAll @IntRange(min = 1, max = 2) int threads, @ForAll @IntRange(min = 0, max = 40) int batch,
                                   @ForAll long feedSeed) {
        String text = RandomModels.model(graph, gate, aggregation, optimizer);
        Model m = Compiler.check("random" + graph + ".descent", text);
        java.util.Random r = new java.util.Random(feedSeed);
        float[] x = new float[batch * 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 1.5);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(x, batch, 3));
        TrainingSession a = new InterpretedModel(m, Precision.F32).newSession(0), b = new CompiledModel(m).newSession(0, threads);
        for (int i = 0; i < 3; i++) {
            double la = a.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
            double lb = b.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
            if (!close(la, lb)) {
                throw new AssertionError("step " + i + ": loss " + la + " vs " + lb + "\n" + text);
            }
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

    @Provide Arbitrary<String> gates() { return Arbitraries.of(RandomGraphsTest.GATES); }

    @Provide Arbitrary<String> aggregations() { return Arbitraries.of(RandomGraphsTest.AGGREGATIONS); }

    @Provide Arbitrary<String> optimizers() { return Arbitraries.of(RandomGraphsTest.OPTIMIZERS); }
}
