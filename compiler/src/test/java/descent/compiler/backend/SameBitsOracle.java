package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The oracle of the random model tests ({@link RandomMlpTest}, {@link RandomEmbeddingTest}): a train step
 * named {@code step} whose text leaves its gate mode open as {@code gateToken} runs through a list of feeds
 * (fetching {@code loss}) under GATE_GRAPH on one thread (nothing fused into a product, nothing split); every
 * gate mode on 1, 2 and 3 threads must give those bits, losses and state, since these models' values do not
 * depend on the order the gate modes allow. Optionally the interpreter must agree within the compiled
 * backend's tolerance (2e-4 relative).
 */
final class SameBitsOracle {
    private SameBitsOracle() {}

    private record Run(List<Float> losses, Map<String, Tensor> state) {}

    static void check(String name, String text, String gateToken, List<Map<String, Tensor>> feeds, boolean withInterpreter) {
        Model reference = Compiler.check(name, text.replace(gateToken, "GATE_GRAPH"));
        Run expected = run(new CompiledModel(reference).newSession(3, 1), feeds);
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            Model m = gate.equals("GATE_GRAPH") ? reference : Compiler.check(name, text.replace(gateToken, gate));
            for (int threads = 1; threads <= 3; threads++) {
                if (gate.equals("GATE_GRAPH") && threads == 1) continue;
                Run got = run(new CompiledModel(m).newSession(3, threads), feeds);
                same(expected, got, gate + ", " + threads + " thread(s), batches " + batches(feeds) + "\n" + text);
            }
        }
        // The same steps built from the data a model jar carries (CarriedExecutables): encoded, read back, same bits.
        Model op = Compiler.check(name, text.replace(gateToken, "GATE_OP"));
        long used = CarriedExecutables.used();
        Run carried = run(carried(op, 2).newSession(3, 2), feeds);
        same(expected, carried, "executables as a model jar carries them, GATE_OP, 2 threads, batches " + batches(feeds) + "\n" + text);
        assertTrue(CarriedExecutables.used() > used, "the carried executable ran");
        if (!withInterpreter) return;
        Run interpreted = run(new InterpretedModel(reference, Precision.F32).newSession(3), feeds);
        for (var e : interpreted.state().entrySet()) {
            double[] want = e.getValue().toDoubles(), have = expected.state().get(e.getKey()).toDoubles();
            for (int i = 0; i < want.length; i++) {
                if (Math.abs(want[i] - have[i]) > 2e-4 * Math.max(1, Math.abs(want[i]))) {
                    fail(e.getKey() + "[" + i + "] compiled " + have[i] + ", interpreted " + want[i] + "\n" + text);
                }
            }
        }
    }

    private static void same(Run expected, Run got, String where) {
        for (int i = 0; i < expected.losses().size(); i++) {
            if (Float.compare(expected.losses().get(i), got.losses().get(i)) != 0) {
                fail("step " + i + " loss " + got.losses().get(i) + ", expected " + expected.losses().get(i) + " (" + where + ")");
            }
        }
        assertEquals(expected.state().keySet(), got.state().keySet());
        for (var e : expected.state().entrySet()) {
            if (!(e.getValue().data() instanceof float[] want)) continue;
            float[] have = (float[]) got.state().get(e.getKey()).data();
            for (int i = 0; i < want.length; i++) {
                if (Float.compare(want[i], have[i]) != 0) fail(e.getKey() + "[" + i + "] " + have[i] + ", expected " + want[i] + " (" + where + ")");
            }
        }
    }

    /**
     * {@code m} running the executables a model jar would carry for sessions of {@code threads}: recorded, encoded
     * and read back with the recorded kernels' class files, no lowering.
     */
    static CompiledModel carried(Model m, int threads) {
        Map<String, byte[]> executables = new java.util.TreeMap<>();
        Map<String, List<byte[]>> files = KernelRecording.record(m, List.of(threads), (key, f) -> {}, executables);
        return new CompiledModel(m, new CarriedExecutables(executables, "m", files::get));
    }

    private static List<Integer> batches(List<Map<String, Tensor>> feeds) {
        return feeds.stream().map(f -> f.values().iterator().next().shape()[0]).toList();
    }

    private static Run run(TrainingSession s, List<Map<String, Tensor>> feeds) {
        List<Float> losses = new ArrayList<>();
        for (Map<String, Tensor> f : feeds) losses.add((float) s.train("step", f, List.of("loss")).get("loss").getDouble(0));
        return new Run(losses, s.state());
    }
}
