package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.compiler.schedule.RandomModels;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Compiled equals interpreted on 500 random graphs (random ops, reuse, optimizers and gate modes), each trained
 * two steps. Odd seeds run on two threads with every pair of independent products run at once however small
 * ({@link BranchFork#forkMacs} 0), so the pairing's order and buffer sharing are checked on random graphs too.
 */
class RandomGraphsTest {
    static final List<String> GATES = List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH");
    static final List<String> AGGREGATIONS = List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N");
    static final List<String> OPTIMIZERS = List.of("GradientDescentOptimizer(0.1)", "AdamOptimizer(0.01)",
            "MomentumOptimizer(0.1, 0.9, use_nesterov=true)", "RMSPropOptimizer(0.01, centered=true)", "AdagradOptimizer(0.1)");

    private final java.util.concurrent.atomic.AtomicInteger forks = new java.util.concurrent.atomic.AtomicInteger();

    @TestFactory
    Stream<DynamicTest> fiveHundredRandomGraphs() {
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f}, 2, 3));
        return LongStream.rangeClosed(1, 500).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            String text = RandomModels.model(seed, GATES.get((int) (seed % 3)), AGGREGATIONS.get((int) (seed / 3 % 4)),
                    OPTIMIZERS.get((int) (seed % OPTIMIZERS.size())));
            Model m = Compiler.check("random" + seed + ".descent", text);
            TrainingSession a = new InterpretedModel(m, Precision.F32).newSession(0),
                    b = new CompiledModel(m).newSession(0, seed % 2 == 1 ? 2 : 1);
            long threshold = BranchFork.forkMacs;
            BranchFork.forkMacs = 0;
            try {
                for (int i = 0; i < 2; i++) {
                    double la = a.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
                    double lb = b.train("step", feeds, List.of("loss")).get("loss").getDouble(0);
                    if (Math.abs(la - lb) > 2e-4 * Math.max(1, Math.abs(la))) fail("loss " + la + " vs " + lb + "\n" + text);
                }
            } finally {
                BranchFork.forkMacs = threshold;
            }
            forks.addAndGet(((CompiledSession) b).forks());
            for (var e : a.state().entrySet()) {
                double[] x = e.getValue().toDoubles(), y = b.state().get(e.getKey()).toDoubles();
                for (int i = 0; i < x.length; i++) {
                    if (Math.abs(x[i] - y[i]) > 2e-4 * Math.max(1, Math.abs(x[i]))) {
                        fail(e.getKey() + "[" + i + "] " + x[i] + " vs " + y[i] + "\n" + text);
                    }
                }
            }
            assertEquals(a.state().keySet(), b.state().keySet());
            if (seed == 500 && forks.get() < 50) fail("only " + forks.get() + " pairs of products ran at once over 250 graphs");
        }));
    }
}
