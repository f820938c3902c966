package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.Op;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Kernel;
import descent.compiler.lower.Lowering;
import descent.compiler.lower.LoweringTest;
import descent.compiler.schedule.Plan;
import descent.compiler.schedule.RandomModels;
import descent.compiler.schedule.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Pairing independent products keeps everything lowering promises (every value once, after its inputs, between
 * the same barriers, each read of a variable after the same writes), pairs only products that may run beside
 * each other, and gives a pair one buffer time — on the examples, a three-layer MLP in every gate mode, and
 * random graphs.
 */
class BranchPairsTest {
    static final String MLP3 = """
            model mlp3
            input x: f32[batch, 30]
            input labels: i32[batch]
            var w1: f32[30, 20] = glorot_uniform(seed=1)
            var w2: f32[20, 20] = glorot_uniform(seed=2)
            var b2: f32[20] = zeros()
            var w3: f32[20, 4] = glorot_uniform(seed=3)
            logits = relu(relu(x @ w1) @ w2 + b2) @ w3
            loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            train step { MomentumOptimizer(0.05, momentum=0.9).minimize(loss, gate_gradients=GATE) }
            """;

    @TestFactory
    Stream<DynamicTest> pairsKeepThePlansOrderAndRunOnlyIndependentProducts() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            tests.add(DynamicTest.dynamicTest("mlp3 " + gate, () -> {
                BranchPairs pairs = check(Compiler.check("mlp3.descent", MLP3.replace("GATE", gate)));
                if (gate.equals("GATE_GRAPH")) {
                    assertTrue(pairs.count() >= 1, "the backward products dZ2·W2ᵀ and H1ᵀ·dZ2 run at once");
                } else {
                    // W's gradient keeps its update inside rather than pair with dZ·Wᵀ, which splits by rows of W at large batches.
                    assertEquals(0, pairs.count());
                    assertEquals(3, pairs.kernels().stream().filter(k -> k instanceof Kernel.ProductUpdate).count());
                }
            }));
            tests.add(DynamicTest.dynamicTest("mlp3, a static batch whose dZ·Wᵀ never splits, " + gate, () -> {
                BranchPairs pairs = check(Compiler.check("mlp3.descent", MLP3.replace("GATE", gate).replace("batch", "4")));
                assertTrue(pairs.count() >= 1, "the backward products dZ2·W2ᵀ and H1ᵀ·dZ2 run at once");
            }));
        }
        try (var files = Files.list(Path.of("../examples"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".descent")).sorted().toList()) {
                tests.add(DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(Compiler.check(p.toString(), Files.readString(p)))));
            }
        }
        for (long seed = 1; seed <= 200; seed++) {
            long s = seed;
            tests.add(DynamicTest.dynamicTest("random graph " + seed, () -> check(Compiler.check("r.descent",
                    RandomModels.model(s, RandomGraphsTest.GATES.get((int) (s % 3)), "ADD_N", "AdamOptimizer(0.01)")))));
        }
        return tests.stream();
    }

    @Test
    void oneThreadOrLockedStateRunsNothingAtOnce() {
        Model m = Compiler.check("mlp3.descent", MLP3.replace("GATE", "GATE_GRAPH"));
        TrainStep t = m.trains().get(0);
        List<Kernel> kernels = Lowering.lower(m, Scheduler.schedule(m, t, List.of()), List.of()).kernels();
        for (BranchPairs none : List.of(BranchPairs.of(m.graph(), kernels, 1, false), BranchPairs.of(m.graph(), kernels, 2, true))) {
            assertEquals(kernels, none.kernels());
            assertEquals(0, none.count());
        }
        assertTrue(BranchPairs.of(m.graph(), kernels, 2, false).count() >= 1);
    }

    /** A product that reads a variable written between it and the other product stays where it is. */
    @Test
    void aProductDoesNotMovePastAWriteOfWhatItReads() {
        Model m = Compiler.check("mlp3.descent", MLP3.replace("GATE", "GATE_OP"));
        Graph g = m.graph();
        List<Kernel> kernels = new ArrayList<>();
        // Updates fused into products split back into the product and its update, as pairing does.
        for (Kernel k : Lowering.lower(m, Scheduler.schedule(m, m.trains().get(0), List.of()), List.of()).kernels()) {
            if (k instanceof Kernel.ProductUpdate u) { kernels.add(new Kernel.Single(u.product())); kernels.add(u.update()); }
            else kernels.add(k);
        }
        BranchPairs pairs = BranchPairs.of(g, kernels, 2, false);
        // The last pair is H1ᵀ·dZ2 and dZ2·W2ᵀ; put the one that reads W2 second (either order is a valid plan).
        int at = -1;
        for (int i = 0; i < pairs.withNext().length; i++) if (pairs.withNext()[i]) at = i;
        Kernel x = pairs.kernels().get(at), y = pairs.kernels().get(at + 1);
        Kernel second = readVariable(g, x) != null ? x : y, first = second == x ? y : x;
        String read = readVariable(g, second);
        assertTrue(read != null, second + " reads a variable");
        kernels = new ArrayList<>(kernels);
        int lo = Math.min(kernels.indexOf(x), kernels.indexOf(y)), hi = Math.max(kernels.indexOf(x), kernels.indexOf(y));
        kernels.set(lo, first);
        kernels.set(hi, second);
        assertTrue(BranchPairs.of(g, kernels, 2, false).count() == pairs.count(), "swapped, still paired");
        int value = Kernel.reads(g, first).get(0); // stored by the inserted write: defined before both
        for (String state : List.of(read, "some_other_state")) {
            List<Kernel> withWrite = new ArrayList<>(kernels);
            withWrite.add(kernels.indexOf(first) + 1, new Kernel.Write(state, value, false));
            BranchPairs again = BranchPairs.of(g, withWrite, 2, false);
            boolean paired = false;
            for (int i = 0; i < again.withNext().length; i++) {
                if (again.withNext()[i] && again.kernels().get(i).equals(first) && again.kernels().get(i + 1).equals(second)) paired = true;
            }
            assertEquals(!state.equals(read), paired, "a write of " + state + " between them");
        }
    }

    private static String readVariable(Graph g, Kernel k) {
        for (int r : Kernel.reads(g, k)) if (g.node(r).op() instanceof Op.Variable v) return v.name();
        return null;
    }

    private static BranchPairs check(Model m) {
        Graph g = m.graph();
        BranchPairs last = null;
        for (TrainStep t : m.trains()) {
            List<Integer> fetches = t.lossNode() >= 0 ? List.of(t.lossNode()) : List.of();
            Plan plan = Scheduler.schedule(m, t, fetches);
            Lowering.Program p = Lowering.lower(m, plan, fetches);
            BranchPairs pairs = BranchPairs.of(g, p.kernels(), 2, false);
            List<Kernel> order = pairs.kernels();
            LoweringTest.checkInvariants(m, plan, new Lowering.Program(order, p.buffers(), p.fusedAway()), fetches);
            // A paired product leaves the update fused into it (Kernel.ProductUpdate) as a kernel of its own.
            long unfused = p.kernels().stream().filter(k -> k instanceof Kernel.ProductUpdate && !order.contains(k)).count();
            assertEquals(p.kernels().size() + unfused, order.size());
            List<Integer> stored = new ArrayList<>();
            for (Kernel k : order) if (k instanceof Kernel.Write w) stored.add(w.value());
            for (int i = 0; i < order.size(); i++) {
                if (!pairs.withNext()[i]) continue;
                assertTrue(i + 1 < order.size() && !pairs.withNext()[i + 1], "pairs do not chain");
                for (Kernel k : List.of(order.get(i), order.get(i + 1))) {
                    int product = k instanceof Kernel.MatmulEpilogue e ? e.matmul() : ((Kernel.Single) k).node();
                    assertTrue(g.node(product).op() instanceof Op.MatMul, k + " is a product");
                    for (int d : Kernel.defines(k)) assertTrue(!stored.contains(d), k + " is not stored into state");
                }
                // The second product reads nothing the first (or anything it moved past) defines.
                List<Integer> firstDefines = Kernel.defines(order.get(i));
                for (int r : Kernel.reads(g, order.get(i + 1))) assertTrue(!firstDefines.contains(r));
            }
            assertArrayEquals(pairs.time(), timesOf(pairs.withNext()));
            last = pairs;
        }
        return last;
    }

    private static int[] timesOf(boolean[] withNext) {
        int[] t = new int[withNext.length];
        for (int i = 0; i < t.length; i++) t[i] = i > 0 && withNext[i - 1] ? i - 1 : i;
        return t;
    }
}
