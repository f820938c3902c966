package descent.compiler.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.Gradient;
import descent.runtime.api.StateSpec;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime API on the interpreter: signature, split train steps, state access, atomic failure. */
public class RuntimeApiTest {
    protected static final String EMBEDDING = """
            model rec
            input user: i32[batch]
            input item: i32[batch]
            input rating: f32[batch]
            input lr: f32[]
            var users: f32[6, 3] = random_normal(stddev=0.5, seed=1)
            var items: f32[5, 3] = random_normal(stddev=0.5, seed=2)
            var scale: f32[] = 1.0
            var global_step: i64[] = 0 (trainable=false)
            score = reduce_sum(embedding_lookup(users, user) * embedding_lookup(items, item), axis=1) * scale
            loss = reduce_mean(square(score - rating))
            output loss
            train step { AdamOptimizer(learning_rate=lr).minimize(loss, global_step=global_step) }
            """;

    /** The backend under test; {@code CompiledRuntimeApiTest} runs every test here on the compiled backend. */
    protected DescentModel model() { return new InterpretedModel(Compiler.check("rec.descent", EMBEDDING), Precision.F32); }

    /** Another model on the backend under test. */
    protected DescentModel model(String file, String source) { return new InterpretedModel(Compiler.check(file, source), Precision.F32); }

    /** Bags of three words and one tag per example: two sparse gradients whose lengths differ once de-duplicated. */
    public static final String BAGS = """
            model bags
            input words: i32[batch, 3]
            input tag: i32[batch]
            input y: f32[batch]
            var w: f32[7, 2] = random_normal(stddev=0.5, seed=3)
            var t: f32[4, 2] = random_normal(stddev=0.5, seed=4)
            var b: f32[] = 0.5
            s = reduce_sum(reduce_sum(embedding_lookup(w, words), axis=1) * embedding_lookup(t, tag), axis=1) + b
            loss = reduce_mean(square(s - y))
            train step { AdagradOptimizer(0.1).minimize(loss) }
            """;

    public static Map<String, Tensor> bagFeeds() {
        return Map.of("words", Tensor.of(new int[] {0, 1, 1, 1, 6, 0, 3, 3, 3}, 3, 3), "tag", Tensor.of(new int[] {2, 2, 1}, 3),
                "y", Tensor.of(new float[] {1, -1, 0.5f}, 3));
    }

    /** TF's _deduplicate_indexed_slices: each index once (in order of first occurrence), its values summed in order. */
    public static Gradient.Slices deduplicated(Gradient.Slices s) {
        int[] ids = s.indices().ints();
        float[] v = s.values().floats();
        int width = v.length / ids.length;
        java.util.LinkedHashMap<Integer, float[]> sums = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            float[] row = sums.computeIfAbsent(ids[i], k -> new float[width]);
            for (int j = 0; j < width; j++) row[j] += v[i * width + j];
        }
        int[] unique = sums.keySet().stream().mapToInt(Integer::intValue).toArray();
        float[] values = new float[unique.length * width];
        int r = 0;
        for (float[] row : sums.values()) System.arraycopy(row, 0, values, width * r++, width);
        int[] shape = s.values().shape();
        shape[0] = unique.length;
        return new Gradient.Slices(Tensor.of(values, shape), Tensor.of(unique, unique.length), s.denseShape());
    }

    public static void assertClose(Map<String, Tensor> expected, Map<String, Tensor> actual, double tolerance) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            double[] e = expected.get(k).toDoubles(), a = actual.get(k).toDoubles();
            assertEquals(e.length, a.length, k);
            for (int i = 0; i < e.length; i++) {
                assertTrue(Math.abs(e[i] - a[i]) <= tolerance * Math.max(1, Math.abs(e[i])), k + "[" + i + "]: " + e[i] + " vs " + a[i]);
            }
        }
    }

    protected static Map<String, Tensor> feeds() {
        return Map.of("user", Tensor.of(new int[] {0, 2, 2, 5}, 4), "item", Tensor.of(new int[] {1, 1, 4, 0}, 4),
                "rating", Tensor.of(new float[] {1, 2, 3, 4}, 4), "lr", Tensor.scalar(0.05f));
    }

    @Test
    void theSignatureShowsStateAndSlots() {
        var sig = model().signature();
        assertEquals(List.of("user", "item", "rating", "lr"), sig.inputs().stream().map(i -> i.name()).toList());
        assertEquals(List.of("batch"), sig.inputs().get(0).dims());
        assertEquals(StateSpec.Role.SLOT, sig.state("users/Adam").role());
        assertEquals(StateSpec.Role.NON_SLOT, sig.state("beta1_power").role());
        assertEquals("items/Adam_1", sig.train("step").slots().get("items").get("v"));
        assertEquals(List.of("m", "v"), sig.train("step").slotNames());
        assertEquals("global_step", sig.train("step").globalStep());
    }

    /** compute_gradients + apply_gradients equals the whole step, bit for bit, sparse gradients included. */
    @Test
    void theTwoHalvesEqualTheWholeStep() {
        TrainingSession whole = model().newSession(7), split = model().newSession(7);
        for (int i = 0; i < 3; i++) {
            whole.train("step", feeds(), List.of());
            Map<String, Gradient> g = split.computeGradients("step", feeds());
            assertInstanceOf(Gradient.Slices.class, g.get("users"));
            assertInstanceOf(Gradient.Dense.class, g.get("scale"));
            split.applyGradients("step", g, Map.of("lr", Tensor.scalar(0.05f)));
        }
        assertEquals(whole.state(), split.state());
        assertEquals(3L, split.get("global_step").longs()[0]);
    }

    /** As TF hands IndexedSlices out: indices of one axis, values one row per index, whatever the ids' shape. */
    @Test
    void slicesComeFlatAsTensorFlowGivesThem() {
        Map<String, Gradient> g = model("bags.descent", BAGS).newSession(1).computeGradients("step", bagFeeds());
        Gradient.Slices w = (Gradient.Slices) g.get("w");
        assertEquals(List.of(9), java.util.Arrays.stream(w.indices().shape()).boxed().toList());
        assertEquals(List.of(9, 2), java.util.Arrays.stream(w.values().shape()).boxed().toList());
        assertEquals(List.of(0, 1, 1, 1, 6, 0, 3, 3, 3), java.util.Arrays.stream(w.indices().ints()).boxed().toList());
    }

    /**
     * After a data-parallel aggregation each variable's IndexedSlices has a length of its own (here: de-duplicated,
     * 9 → 4 rows of w, 3 → 2 of t), unrelated to the batch; TF's apply_gradients takes them, and so does this.
     */
    @Test
    void eachSparseGradientHasALengthOfItsOwn() {
        DescentModel m = model("bags.descent", BAGS);
        TrainingSession raw = m.newSession(1), dedup = m.newSession(1);
        for (int step = 0; step < 3; step++) {
            Map<String, Gradient> g = raw.computeGradients("step", bagFeeds());
            assertEquals(g, dedup.computeGradients("step", bagFeeds()));
            raw.applyGradients("step", g, Map.of());
            Map<String, Gradient> d = new java.util.HashMap<>(g);
            d.put("w", deduplicated((Gradient.Slices) g.get("w")));
            d.put("t", deduplicated((Gradient.Slices) g.get("t")));
            assertEquals(4, ((Gradient.Slices) d.get("w")).indices().size());
            assertEquals(2, ((Gradient.Slices) d.get("t")).indices().size());
            dedup.applyGradients("step", d, Map.of());
        }
        assertClose(raw.state(), dedup.state(), 1e-6);
        TrainingSession whole = m.newSession(1);
        for (int step = 0; step < 3; step++) whole.train("step", bagFeeds(), List.of());
        assertEquals(whole.state(), raw.state(), "the two halves are the whole step");
    }

    /** Indices may come in the ids' shape (values then in the ids' shape and a row) and as i64. */
    @Test
    void slicesInTheIdsShapeOrWithLongIndicesAreTakenToo() {
        DescentModel m = model("bags.descent", BAGS);
        TrainingSession flat = m.newSession(1), shaped = m.newSession(1), longs = m.newSession(1);
        Map<String, Gradient> g = flat.computeGradients("step", bagFeeds());
        flat.applyGradients("step", g, Map.of());
        Gradient.Slices w = (Gradient.Slices) g.get("w");
        Map<String, Gradient> s = new java.util.HashMap<>(g);
        s.put("w", new Gradient.Slices(w.values().reshape(3, 3, 2), w.indices().reshape(3, 3), null));
        shaped.applyGradients("step", s, Map.of());
        assertEquals(flat.state(), shaped.state());
        Map<String, Gradient> l = new java.util.HashMap<>(g);
        l.put("w", new Gradient.Slices(w.values(), Tensor.of(java.util.Arrays.stream(w.indices().ints()).asLongStream().toArray(), 9), w.denseShape()));
        longs.applyGradients("step", l, Map.of());
        assertEquals(flat.state(), longs.state());
    }

    @Test
    void slicesThatDoNotFitTheirVariableAreRefused() {
        TrainingSession s = model("bags.descent", BAGS).newSession(1);
        Map<String, Gradient> g = new java.util.HashMap<>(s.computeGradients("step", bagFeeds()));
        Gradient.Slices w = (Gradient.Slices) g.get("w");
        Map<String, Tensor> before = s.state();
        g.put("w", new Gradient.Slices(Tensor.of(new float[16], 8, 2), w.indices(), null));
        assertEquals("gradient of `w`: values have shape [8, 2] but indices of shape [9] need values of shape [9, 2]"
                + " (the indices' shape, then a row of `w`)", assertThrows(DescentException.class, () -> s.applyGradients("step", g, Map.of())).getMessage());
        g.put("w", new Gradient.Slices(w.values(), Tensor.of(new float[9], 9), null));
        assertEquals("gradient of `w`: indices are f32; they must be i32 or i64",
                assertThrows(DescentException.class, () -> s.applyGradients("step", g, Map.of())).getMessage());
        g.put("w", new Gradient.Slices(Tensor.of(new double[18], 9, 2), w.indices(), null));
        assertEquals("gradient of `w`: values are f64 but `w` is f32[7, 2]",
                assertThrows(DescentException.class, () -> s.applyGradients("step", g, Map.of())).getMessage());
        assertEquals(before, s.state());
        assertEquals(0L, s.stepCount());
    }

    @Test
    void aFailedCallChangesNothing() {
        TrainingSession s = model().newSession(7);
        Map<String, Tensor> before = Map.copyOf(s.state());
        Map<String, Tensor> bad = new java.util.HashMap<>(feeds());
        bad.put("rating", Tensor.of(new float[] {1, 2, 3}, 3));
        assertThrows(DescentException.class, () -> s.train("step", bad, List.of("loss")));
        Map<String, Gradient> g = s.computeGradients("step", feeds());
        Map<String, Gradient> wrong = new java.util.HashMap<>(g);
        wrong.put("scale", new Gradient.Dense(Tensor.of(new float[] {1, 2}, 2)));
        DescentException e = assertThrows(DescentException.class, () -> s.applyGradients("step", wrong, Map.of("lr", Tensor.scalar(0.1f))));
        assertEquals("the gradient of `scale` has shape [] but the tensor given has shape [2] (rank 1, expected 0)", e.getMessage());
        assertThrows(DescentException.class, () -> s.applyGradients("step", Map.of(), Map.of("lr", Tensor.scalar(0.1f))));
        assertThrows(DescentException.class, () -> s.set("users", Tensor.of(new float[] {1}, 1)));
        assertEquals(before, s.state());
    }

    /**
     * An id out of range fails inside a step (the compiled backend checks indices as its row kernels run), after
     * warm steps whose updates are written straight into the state arrays: nothing of the failed step remains.
     */
    @Test
    void anIndexOutOfRangeInAWarmStepChangesNothing() {
        TrainingSession s = model().newSession(7);
        for (int i = 0; i < 3; i++) s.trainInto("step", feeds(), List.of("loss"), new Object[] {new float[1]});
        Map<String, Tensor> before = Map.copyOf(s.state());
        long steps = s.stepCount();
        Map<String, Tensor> bad = new java.util.HashMap<>(feeds());
        bad.put("item", Tensor.of(new int[] {1, 1, 5, 0}, 4)); // items has 5 rows
        DescentException e = assertThrows(DescentException.class,
                () -> s.trainInto("step", bad, List.of("loss"), new Object[] {new float[1]}));
        assertTrue(e.getMessage().contains("5"), e.getMessage());
        assertThrows(DescentException.class, () -> s.train("step", bad, List.of("loss")));
        assertEquals(before, s.state());
        assertEquals(steps, s.stepCount());
    }

    @Test
    void stateCanBeReadWrittenSavedAndRestored(@TempDir Path tmp) {
        TrainingSession s = model().newSession(7);
        s.train("step", feeds(), List.of());
        assertEquals(s.get("users/Adam"), s.getSlot("step", "users", "m"));
        assertNull(s.getSlot("step", "users", "nosuch"));
        s.set("scale", Tensor.scalar(2f));
        Path ckpt = tmp.resolve("c.safetensors");
        s.save(ckpt);
        TrainingSession t = model().newSession(99);
        assertEquals(List.of(), t.restore(ckpt));
        assertEquals(s.state(), t.state());
    }

    /** trainInto checks its arrays before the step: a wrong one fails the call and changes nothing. */
    @Test
    void trainIntoWithAWrongArrayChangesNothing() {
        TrainingSession s = model().newSession(3);
        s.train("step", feeds(), List.of());
        Map<String, Tensor> before = s.state();
        for (Object bad : new Object[] {new float[0], new double[1], new int[1]}) {
            DescentException e = assertThrows(DescentException.class,
                    () -> s.trainInto("step", feeds(), List.of("loss"), new Object[] {bad}));
            assertTrue(e.getMessage().startsWith("trainInto: the array for `loss`"), e.getMessage());
            assertEquals(before, s.state());
            assertEquals(1L, s.stepCount());
        }
        float[] loss = new float[1];
        s.trainInto("step", feeds(), List.of("loss"), new Object[] {loss});
        assertEquals(2L, s.stepCount());
        assertTrue(loss[0] > 0);
    }

    /** trainInto with one array too many fails before the step, even on its first call: nothing changes. */
    @Test
    void trainIntoWithTheWrongNumberOfArraysChangesNothing() {
        TrainingSession s = model().newSession(3);
        Map<String, Tensor> before = s.state();
        DescentException e = assertThrows(DescentException.class,
                () -> s.trainInto("step", feeds(), List.of("loss"), new Object[] {new float[1], new float[1]}));
        assertEquals("trainInto: 2 arrays for 1 fetches", e.getMessage());
        assertEquals(before, s.state());
        assertEquals(0L, s.stepCount());
    }

    /** evaluateInto fills its arrays with what evaluate returns, cold and warm, and refuses arrays that do not fit. */
    @Test
    void evaluateIntoFillsArraysWithWhatEvaluateReturns() {
        TrainingSession s = model().newSession(3);
        s.train("step", feeds(), List.of());
        float[] loss = new float[1];
        for (int i = 0; i < 3; i++) {
            loss[0] = Float.NaN;
            s.evaluateInto(feeds(), List.of("loss"), new Object[] {loss});
            assertEquals(s.evaluate(feeds(), List.of("loss")).get("loss").floats()[0], loss[0]);
        }
        Object[] skipped = {null};
        s.evaluateInto(feeds(), List.of("loss"), skipped);
        assertNull(skipped[0]);
        for (Object bad : new Object[] {new float[0], new double[1]}) {
            DescentException e = assertThrows(DescentException.class, () -> s.evaluateInto(feeds(), List.of("loss"), new Object[] {bad}));
            assertTrue(e.getMessage().startsWith("evaluateInto: the array for `loss`"), e.getMessage());
        }
        DescentException e = assertThrows(DescentException.class, () -> s.evaluateInto(feeds(), List.of("loss"), new Object[0]));
        assertEquals("evaluateInto: 0 arrays for 1 fetches", e.getMessage());
        assertEquals(1L, s.stepCount());
    }

    /**
     * A train call that fetches nothing needs only what the updates need, as TF's train op run alone: not an input
     * that only the loss reads (the compiled backend runs such a call with its loss only when that costs nothing
     * else). A null train block is refused as any unknown one.
     */
    @Test
    void aCallThatFetchesNothingNeedsOnlyWhatTheUpdatesNeed() {
        TrainingSession s = model("extra.descent", """
                model extra
                input x: f32[batch, 2]
                input extra: f32[batch]
                var w: f32[2, 1] = ones()
                loss = reduce_mean(square(x @ w)) + reduce_mean(extra)
                train step { GradientDescentOptimizer(0.1).minimize(loss) }
                """).newSession(1);
        Map<String, Tensor> x = Map.of("x", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        s.train("step", x, List.of());
        s.trainInto("step", x, new java.util.ArrayList<>(), new Object[0]);
        s.trainInto("step", x, List.of(), new Object[0]);
        assertEquals(3L, s.stepCount());
        DescentException e = assertThrows(DescentException.class, () -> s.train("step", x, List.of("loss")));
        assertTrue(e.getMessage().contains("`extra`"), e.getMessage());
        DescentException none = assertThrows(DescentException.class, () -> s.train(null, x, List.of()));
        assertTrue(none.getMessage().contains("has no train block `null`"), none.getMessage());
        assertThrows(DescentException.class, () -> s.trainInto(null, x, List.of(), new Object[0]));
        assertEquals(3L, s.stepCount());
    }

    /** An IndexedSlices gradient's dense shape must be its variable's. */
    @Test
    void slicesOfAnotherDenseShapeAreRefused() {
        TrainingSession s = model().newSession(3);
        Map<String, Gradient> g = new java.util.HashMap<>(s.computeGradients("step", feeds()));
        Gradient.Slices u = (Gradient.Slices) g.get("users");
        g.put("users", new Gradient.Slices(u.values(), u.indices(), new int[] {99, 99}));
        Map<String, Tensor> before = s.state();
        DescentException e = assertThrows(DescentException.class,
                () -> s.applyGradients("step", g, Map.of("lr", Tensor.scalar(0.05f))));
        assertEquals("gradient of `users` has dense shape [99, 99] but `users` is f32[6, 3]", e.getMessage());
        assertEquals(before, s.state());
        int[] far = u.indices().ints().clone();
        far[1] = 6;
        g.put("users", new Gradient.Slices(u.values(), Tensor.of(far, far.length), u.denseShape()));
        assertEquals("gradient of `users`: index 6 at position 1 is outside [0, 6), the rows of `users`",
                assertThrows(DescentException.class, () -> s.applyGradients("step", g, Map.of("lr", Tensor.scalar(0.05f)))).getMessage());
        assertEquals(before, s.state());
        g.put("users", new Gradient.Slices(u.values(), u.indices(), null));   // TF's dense_shape may be None
        s.applyGradients("step", g, Map.of("lr", Tensor.scalar(0.05f)));
        assertEquals(1L, s.stepCount());
    }

    /** What get, set and state hand out are copies on both backends: changing them changes no session. */
    @Test
    void tensorsCrossTheApiAsCopies() {
        TrainingSession s = model().newSession(3);
        Map<String, Tensor> snapshot = s.state();
        float scale = snapshot.get("scale").floats()[0];
        s.train("step", feeds(), List.of());
        assertEquals(scale, snapshot.get("scale").floats()[0], "a snapshot does not follow the session");
        s.get("scale").floats()[0] = 123f;
        assertTrue(s.get("scale").floats()[0] != 123f);
        float[] mine = {2f};
        s.set("scale", Tensor.of(mine));
        mine[0] = 77f;
        assertEquals(2f, s.get("scale").floats()[0]);
    }

    /** Four threads stepping one session with GradientDescent and a constant gradient lose no update. */
    @Test
    void concurrentStepsLoseNoUpdate() throws Exception {
        DescentModel m = concurrentModel();
        TrainingSession s = m.newSession(0);
        int threads = 4, steps = 300;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> { for (int i = 0; i < steps; i++) s.train("step", Map.of(), List.of()); }));
            }
            for (var f : done) f.get();
        } finally {
            pool.shutdown();
        }
        assertEquals(threads * steps, s.stepCount());
        assertEquals(-(float) (threads * steps), s.get("w").floats()[0]);
    }

    /** The model of {@link #concurrentStepsLoseNoUpdate}: d loss / d w is 1, the learning rate 1, with use_locking. */
    protected DescentModel concurrentModel() {
        return new InterpretedModel(Compiler.check("lock.descent", LOCKED), Precision.F32);
    }

    protected static final String LOCKED = """
            model lock
            var w: f32[] = 0.0
            loss = w * 1.0
            output loss
            train step { GradientDescentOptimizer(learning_rate=1.0, use_locking=true).minimize(loss) }
            """;

    @Test
    void aThreadCountOutOfRangeIsRefused() {
        assertThrows(DescentException.class, () -> model().newSession(0, 0));
        assertThrows(DescentException.class, () -> model().newSession(0, 100_000));
    }

    /** The signature is shared by the model and its sessions: it cannot be changed through what it hands out. */
    @Test
    void theSignatureCannotBeChanged() {
        DescentModel m = model();
        var sig = m.signature();
        assertThrows(UnsupportedOperationException.class, () -> sig.trains().clear());
        assertThrows(UnsupportedOperationException.class, () -> sig.train("step").slots().get("users").put("x", "y"));
        sig.state("users").shape()[0] = 3;
        assertEquals(List.of(6, 3), java.util.Arrays.stream(sig.state("users").shape()).boxed().toList());
        assertEquals(sig.state("users"), model().signature().state("users"));
        TrainingSession s = m.newSession(1);
        var g = s.computeGradients("step", feeds());
        assertEquals(g, s.computeGradients("step", feeds()), "IndexedSlices compare by value");
    }

    /** Every feed must fit its input, read or not (TF checks each fed value against its placeholder); null is refused. */
    @Test
    void everyFeedFitsItsInput() {
        TrainingSession s = model().newSession(1);
        Map<String, Tensor> feeds = new java.util.HashMap<>(feeds());
        feeds.put("lr", Tensor.of(new float[] {1, 2}, 2));   // evaluating the loss does not read lr
        assertEquals("input `lr` has shape [] but the feed has shape [2] (rank 1, expected 0)",
                assertThrows(DescentException.class, () -> s.evaluate(feeds, List.of("loss"))).getMessage());
        feeds.put("lr", null);
        assertEquals("the feed of input `lr` is null",
                assertThrows(DescentException.class, () -> s.evaluate(feeds, List.of("loss"))).getMessage());
        float[] loss = new float[1];
        Map<String, Tensor> good = new java.util.HashMap<>(feeds());
        s.trainInto("step", good, List.of("loss"), new Object[] {loss});
        good.put("rating", Tensor.of(new double[] {1, 2, 3, 4}, 4));
        assertThrows(DescentException.class, () -> s.trainInto("step", good, List.of("loss"), new Object[] {loss}));
        assertEquals(1L, s.stepCount());
    }
}
