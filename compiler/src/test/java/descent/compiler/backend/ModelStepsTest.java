package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.emit.FillKernel;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Step;
import descent.compiler.emit.StepHooks;
import descent.compiler.emit.StepWriter;
import descent.compiler.emit.StepWriter.Action;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model class a model jar carries ({@link ModelSteps}): one class holds the step of every executable the jar
 * carries, and runs them with the bits of their own step classes; a model class that cannot be used is replaced by
 * generated step classes after one line. (A jar's application defining no step class is ModelJarTest's check; the
 * random model oracles run every case through the model class, {@link SameBitsOracle#carried}.)
 */
class ModelStepsTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    private record Recorded(Map<String, byte[]> executables, Map<String, List<byte[]>> files) {}

    private static Recorded record(Model m, List<Integer> threads) {
        Map<String, byte[]> executables = new TreeMap<>();
        Map<String, List<byte[]>> files = KernelRecording.record(m, threads, (key, f) -> {}, executables);
        return new Recorded(executables, files);
    }

    /** The bits of every train block's loss (or of its variables, when it fetches none) after three steps, on {@code threads}. */
    private static List<Integer> bits(CompiledModel model, Model m, int threads) {
        TrainingSession s = model.newSession(0, threads);
        Map<String, Tensor> feeds = CarriedExecutablesTest.feeds(m, 5);
        List<Integer> bits = new ArrayList<>();
        for (TrainStep t : m.trains()) {
            String loss = CompiledSession.lossName(m, t);
            for (int i = 0; i < 3; i++) {
                if (loss == null) s.train(t.name(), feeds, List.of());
                else bits.add(Float.floatToRawIntBits((float) s.train(t.name(), feeds, List.of(loss)).get(loss).getDouble(0)));
            }
        }
        for (var e : new TreeMap<>(s.state()).entrySet()) {
            if (e.getValue().data() instanceof float[] f) for (float x : f) bits.add(Float.floatToRawIntBits(x));
        }
        return bits;
    }

    @ParameterizedTest
    @ValueSource(strings = {"logreg.descent", "mlp.descent", "autoencoder.descent", "embedding.descent", "spiral/spiral.descent"})
    void everyExampleRunsFromOneModelClassWithTheSameBits(String example) {
        Model m = Compiler.check(ROOT.resolve("examples").resolve(example));
        Recorded r = record(m, List.of(1, 2));
        List<String> modelClasses = r.files().keySet().stream().filter(ModelSteps::isClassKey).toList();
        assertEquals(1, modelClasses.size(), "one model class: " + modelClasses);
        assertTrue(r.files().keySet().stream().noneMatch(k -> k.startsWith("step ")), "no step class of its own: " + r.files().keySet());
        CompiledModel carried = new CompiledModel(m, new CarriedExecutables(r.executables(), "m", r.files()::get));
        for (int threads : List.of(1, 2)) {
            long[] before = Kernels.stepClasses();
            List<Integer> got = bits(carried, m, threads);
            long[] after = Kernels.stepClasses();
            assertEquals(bits(new CompiledModel(m), m, threads), got, example + " on " + threads);
            assertTrue(after[0] > before[0], "steps from the model class");
            assertEquals(before[1], after[1], "step classes generated");
        }
    }

    /**
     * A model ({@code seed} features, so that each case's warning is new) whose model class {@code files} changes:
     * the same bits, from a generated step class, after {@code warning}.
     */
    private static void generatesInstead(int seed, Function<Recorded, Function<String, List<byte[]>>> files, String warning) {
        // Features as many as the seed: each case's steps, and so its warning (printed once per message), are its own.
        Model m = Compiler.check("steps" + seed + ".descent", KernelArchiveTest.MODEL.replace("13", String.valueOf(seed)));
        Recorded r = record(m, List.of(1));
        List<Integer> expected = bits(new CompiledModel(m), m, 1);
        long generated = Kernels.stepClasses()[1];
        List<List<Integer>> got = new ArrayList<>();
        String err = CarriedExecutablesTest.stderrOf(() -> got.add(bits(new CompiledModel(m, new CarriedExecutables(r.executables(), "m", files.apply(r))), m, 1)));
        assertEquals(expected, got.getFirst());
        assertTrue(Kernels.stepClasses()[1] > generated, "a step class generated");
        assertTrue(err.contains(warning), err);
    }

    @Test
    void aMissingModelClassGivesGeneratedStepClasses() {
        generatesInstead(21, r -> key -> ModelSteps.isClassKey(key) ? null : r.files().get(key), "does not hold model steps 0 ");
    }

    @Test
    void aModelClassTheJvmRefusesGivesGeneratedStepClasses() {
        generatesInstead(22, r -> key -> ModelSteps.isClassKey(key) ? List.of(new byte[] {(byte) 0xca, (byte) 0xfe, 0, 1}) : r.files().get(key),
                "the model jar's class of steps cannot be used");
    }

    /** Another model's class in its place (a damaged or edited jar) is not run: the key it carries is not this one's. */
    @Test
    void aModelClassOfOtherStepsGivesGeneratedStepClasses() {
        Model other = Compiler.check("other.descent", KernelArchiveTest.MODEL.replace("AdamOptimizer", "GradientDescentOptimizer"));
        Recorded elsewhere = record(other, List.of(1));
        List<byte[]> otherClass = elsewhere.files().entrySet().stream().filter(e -> ModelSteps.isClassKey(e.getKey())).findFirst().orElseThrow().getValue();
        generatesInstead(23, r -> key -> ModelSteps.isClassKey(key) ? otherClass : r.files().get(key),
                "was written for other steps");
    }

    // ---- several model classes, with synthetic steps of moves: segment k copies buf[0] to buf[1 + k]

    private static Executable.Parts moves(int k, int n) { return parts(Collections.nCopies(n, new Action.Move(0, 1 + k))); }

    private static Step stderrOfStep(ModelSteps.Loaded loaded, ModelSteps.Entry e, Executable.Parts p) {
        Step[] step = new Step[1];
        String err = CarriedExecutablesTest.stderrOf(() -> step[0] = loaded.step(e, p));
        assertTrue(err.contains("is not the one its executable describes"), err);
        return step[0];
    }

    /** A call that fills buffer {@code slot} with {@code v}. */
    private static Action fill(double v, int slot) {
        return new Action.Invoke(new Invocation(new FillCalls.Constant(v), FillKernel.class, "run",
                new Invocation.Arg.Slot(slot, Object.class), new Invocation.Arg.Count(1, 0), new Invocation.Arg.Step(), Invocation.Arg.batch()), "fill");
    }

    private static Executable.Parts parts(List<Action> kinds) {
        return new Executable.Parts(kinds.toArray(), kinds, null, null, List.of(), new int[0], -1, -1, List.of(), new int[0],
                new String[0], StepWriter.forks(kinds));
    }

    /** Hooks that run a fork's parts one after another on the calling thread. */
    private static final StepHooks INLINE = new StepHooks() {
        @Override public void write(Object ctx, int action) {}
        @Override public void lock(Object ctx) {}
        @Override public void unlock(Object ctx) {}
        @Override public void fork(Object ctx, Step step, int fork, int parts, Object[] buf, long n, int b) {
            for (int p = 0; p < parts; p++) step.part(fork, p, this, ctx, buf, n, b);
        }
    };

    /**
     * Steps far below the top-level limit whose many-thread forks hold many constants each (a review's finding: a
     * 125-layer MLP compiled for 16 threads overflowed one class's constant pool, and `descent compile` failed):
     * each goes into a model class within the constant budget, and each runs its own forks.
     */
    @Test
    void stepsWithManyForksAreSplitByTheirConstants() {
        Map<String, Executable.Parts> carried = new TreeMap<>();
        for (int e = 0; e < 4; e++) {
            List<Action> kinds = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                List<List<Action>> parts = new ArrayList<>();
                for (int p = 0; p < 16; p++) parts.add(List.of(fill(10 * e + p, 2 + p)));
                kinds.add(new Action.Choose(new StepWriter.Test.Below(1, 1, 64), List.of(fill(1, 1)), List.of(new Action.Fork(parts))));
            }
            carried.put("e" + e, parts(kinds));
        }
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, ModelSteps.Entry> entries = ModelSteps.write(carried, classes::put);
        assertEquals(carried.keySet(), entries.keySet());
        assertTrue(classes.size() >= 2, classes.size() + " model classes");
        ModelSteps.Loaded loaded = new ModelSteps.Loaded(key -> classes.containsKey(key) ? List.of(classes.get(key)) : null);
        for (int e = 0; e < 4; e++) {
            Object[] buf = new Object[18];
            for (int i = 0; i < buf.length; i++) buf[i] = new float[1];
            loaded.step(entries.get("e" + e), carried.get("e" + e)).run(INLINE, null, buf, 0, 100);
            for (int p = 0; p < 16; p++) assertEquals(10f * e + p, ((float[]) buf[2 + p])[0], "step " + e + ", part " + p);
            assertEquals(0f, ((float[]) buf[1])[0], "the branch not taken");
        }
    }

    /**
     * One action object in several places (a choice's branch, a fork's fallback and the top level) is one constant
     * of its segment; the step runs every place with it (the shape the encoder writes back-references for).
     */
    @Test
    void aSharedActionRunsFromTheModelClass() {
        Action shared = fill(7, 1);
        List<Action> kinds = List.of(fill(1, 0),
                new Action.Choose(new StepWriter.Test.Below(1, 1, 4), List.of(shared),
                        new ArrayList<>(List.of(new Action.Fork(List.of(List.of(fill(3, 2)), List.of(fill(4, 3))), List.of(shared))))),
                fill(9, 4), shared);
        Map<String, Executable.Parts> carried = new TreeMap<>(Map.of("e", parts(kinds)));
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, ModelSteps.Entry> entries = ModelSteps.write(carried, classes::put);
        Step step = new ModelSteps.Loaded(key -> classes.containsKey(key) ? List.of(classes.get(key)) : null).step(entries.get("e"), carried.get("e"));
        Object[] buf = new Object[5];
        for (int i = 0; i < buf.length; i++) buf[i] = new float[1];
        step.run(INLINE, null, buf, 0, 8);
        List<Float> got = new ArrayList<>();
        for (Object a : buf) got.add(((float[]) a)[0]);
        assertEquals(List.of(1f, 7f, 3f, 4f, 9f), got);
    }

    /** An entry whose segment list is not the one its class was named for is refused, not run as another segment. */
    @Test
    void anEntryNamingOtherSegmentsIsRefused() {
        Map<String, Executable.Parts> carried = new LinkedHashMap<>();
        for (int k = 0; k < 2; k++) carried.put("e" + k, moves(k, 3));
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, ModelSteps.Entry> entries = ModelSteps.write(carried, classes::put);
        ModelSteps.Entry e1 = entries.get("e1");
        // e1's digest, claimed at segment 0 of the same class: its digest list no longer gives the class's key.
        ModelSteps.Entry forged = new ModelSteps.Entry(e1.classKey(), 0, 0, e1.classConstants(), List.of(e1.digest(), e1.digest()));
        ModelSteps.Loaded loaded = new ModelSteps.Loaded(key -> classes.containsKey(key) ? List.of(classes.get(key)) : null);
        String err = CarriedExecutablesTest.stderrOf(() -> assertNull(loaded.step(forged, carried.get("e1"))));
        assertTrue(err.contains("does not name the segments"), err);
    }

    @Test
    void stepsBeyondOneClassGoIntoSeveralModelClassesAndATooLargeStepIntoNone() {
        int half = StepWriter.classActions() / 2 + 1;
        Map<String, Executable.Parts> carried = new LinkedHashMap<>();
        for (int k = 0; k < 3; k++) carried.put("e" + k, moves(k, k == 1 ? 10 : half));
        carried.put("e3", moves(3, StepWriter.classActions() + 1));
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, ModelSteps.Entry> entries = ModelSteps.write(carried, classes::put);
        // e0 and e1 fit one class; e2 would take it past its limit; e3 fits none.
        assertEquals(Map.of("e0", 0, "e1", 1, "e2", 0), Map.of("e0", entries.get("e0").segment(), "e1", entries.get("e1").segment(),
                "e2", entries.get("e2").segment()));
        assertEquals(entries.get("e0").classKey(), entries.get("e1").classKey());
        assertTrue(entries.get("e2").classKey().startsWith("model steps 1 "), entries.get("e2").classKey());
        assertNull(entries.get("e3"));
        assertEquals(2, classes.size());
        ModelSteps.Loaded loaded = new ModelSteps.Loaded(key -> classes.containsKey(key) ? List.of(classes.get(key)) : null);
        for (int k = 0; k < 3; k++) {
            Step step = loaded.step(entries.get("e" + k), carried.get("e" + k));
            assertNotNull(step);
            Object[] buf = {"x", null, null, null};
            step.run(null, null, buf, 0, 0);
            for (int j = 0; j < 3; j++) assertSame(j == k ? "x" : null, buf[1 + j], "segment " + k + ", buf[" + (1 + j) + "]");
            // A segment without forks has no parts.
            assertThrows(IllegalArgumentException.class, () -> step.part(0, 0, null, null, buf, 0, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> StepWriter.modelClassFile("descent/compiler/emit/TooLarge",
                List.of(new StepWriter.Segment(carried.get("e0").kinds(), -1, -1), new StepWriter.Segment(carried.get("e2").kinds(), -1, -1)), "x"));
        // A segment whose actions are not those its entry was written for is not run from the class.
        assertNull(stderrOfStep(loaded, entries.get("e0"), carried.get("e2")));
    }
}
