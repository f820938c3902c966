package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.runtime.Npy;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every case of TensorFlow's own optimizer tests ({@code shared/testdata/tf-optimizer-tests.json}, schema in
 * {@code shared/reference/tf-optimizers.md} §6) through the language and the command line. Each case becomes
 * a model file: its variables initialised with list literals, its gradients declared as inputs and fed from
 * .npy (an {@code IndexedSlices(values, indices, dense_shape)} for sparse ones), the optimizer built with the
 * case's TF 1 keyword arguments and applied with {@code apply_gradients}, or, for {@code api: "minimize"}, the
 * test's loss written by hand ({@link #LOSSES}). The step runs once per {@code descent run --steps 1}, each run
 * restoring the checkpoint the previous one saved, so per-step gradients work and every slot and non-slot
 * variable round-trips through SafeTensors. After every step the checkpoint is compared with the case's
 * per-step values, at the end with its final values: variables, slots (under TF's slot-variable names, which
 * this test derives independently from TF's creation order), beta powers and {@code global_step}.
 *
 * <p>Everything runs in float32 (every case's TF test ran float32; none needs f64). Tolerances are TF's
 * {@code assertAllCloseAccordingToType} for float32: {@code |actual - expected| <= atol + rtol * |expected|}
 * with rtol = atol = 1e-6, unless the case states its own ({@code tolerance}: Adadelta rtol 1e-3, AdagradDA
 * minimize rtol 1e-2, ProximalGradientDescent minimize atol 1e-2, as the TF tests do). No case needs a looser
 * one: the expected numbers are float64 evaluations, and the float32 results, even after 10 steps or growing to
 * 1.8e6 (Nesterov, case 11), would pass at rtol = atol = 1e-7; only the literals the tests print to 6
 * significant digits (AdagradDA, cases 21-24) need more, and stay inside 1e-6.
 */
class TfOptimizerCasesTest {
    /**
     * The cases transcribed from TensorFlow's optimizer tests: a copy of the project's shared
     * {@code testdata/tf-optimizer-tests.json} (beside the repository, where a clone elsewhere does not have it), so the
     * suite runs from a clone alone; {@link #theCopyIsTheSharedFile} checks the two agree wherever both are present.
     */
    static final Path CASES = Path.of(System.getProperty("descent.root", ".."), "tests", "src", "test", "resources",
            "tf-optimizer-tests.json");
    static final Path SHARED_CASES = Path.of(System.getProperty("descent.root", ".."), "..", "shared", "testdata",
            "tf-optimizer-tests.json");
    static final double DEFAULT_TOL = 1e-6;

    @TempDir Path tmp;

    /**
     * The losses of the {@code minimize} cases, transcribed from each case's "loss" text: extra declarations
     * (the test's constants become fed inputs, as the language has no tensor literals) and the loss lines.
     */
    record Loss(String decls, String lines, Map<String, Tensor> feeds) {}

    private static final Tensor X45 = Tensor.of(new float[] {4f, 5f}, 2, 1);
    private static final Tensor ROW0 = Tensor.of(new int[] {0}, 1);
    private static final Loss EMBEDDING_SQUARED = new Loss("input x: f32[2, 1]\ninput ids: i32[1]",
            "pred = embedding_lookup(var0, ids) @ x\nloss = pred * pred", Map.of("x", X45, "ids", ROW0));
    static final Map<String, Loss> LOSSES = Map.ofEntries(
            Map.entry("04", new Loss("input x: f32[2, 1]", "pred = var0 @ x + var1\nloss = pred * pred", Map.of("x", X45))),
            Map.entry("05", new Loss("input x: f32[2, 1]\ninput ids: i32[1]",
                    "pred = embedding_lookup(var0, ids) @ x + var1\nloss = pred * pred", Map.of("x", X45, "ids", ROW0))),
            Map.entry("07", new Loss("", "loss = 5 * var0 + 3 * var1", Map.of())),
            Map.entry("08", new Loss("", "loss = 5 * var0 + 3 * var1", Map.of())),
            Map.entry("11", new Loss("", "loss = 5 * var0 * var0 + 3 * var1", Map.of())),
            Map.entry("16", new Loss("input ids: i32[1, 1]", "loss = reduce_sum(embedding_lookup(var0, ids))",
                    Map.of("ids", Tensor.of(new int[] {1}, 1, 1)))),
            Map.entry("25", EMBEDDING_SQUARED),
            Map.entry("32", EMBEDDING_SQUARED),
            Map.entry("57", EMBEDDING_SQUARED));

    /** Hyperparameters that are arguments of minimize, not of the constructor. */
    private static final Set<String> MINIMIZE_ARGS = Set.of("grad_loss", "aggregation_method");

    // ---- the golden cases

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases() throws IOException {
        return (List<Map<String, Object>>) MiniJson.parse(Files.readString(CASES));
    }

    @org.junit.jupiter.api.Test
    void theCopyIsTheSharedFile() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(SHARED_CASES), "no shared directory beside this clone");
        assertEquals(Files.readString(SHARED_CASES), Files.readString(CASES),
                "tests/src/test/resources/tf-optimizer-tests.json differs from " + SHARED_CASES + ": copy the shared file again");
    }

    @TestFactory
    Stream<DynamicTest> everyCase() throws IOException {
        List<Map<String, Object>> cases = cases();
        assertEquals(49, cases.size(), "the number of golden cases changed; check this test still covers them all");
        return cases.stream().flatMap(c -> java.util.stream.Stream.of("interpreter", "compiled").map(backend ->
                DynamicTest.dynamicTest(c.get("id") + " " + c.get("source") + " (" + backend + ")", () -> runCase(c, backend))));
    }

    @SuppressWarnings("unchecked")
    private void runCase(Map<String, Object> c, String backend) throws IOException {
        String id = (String) c.get("id");
        Path dir = Files.createDirectories(tmp.resolve("case" + id + backend));
        Spec spec = new Spec(c);
        Path model = dir.resolve("case" + id + ".descent");
        Files.writeString(model, spec.modelText());
        int steps = ((Number) c.get("steps")).intValue();

        // Constant feeds (minimize constants, grad_loss, constant gradients and indices) are written once.
        Map<String, Path> constantFeeds = new LinkedHashMap<>();
        spec.constantFeeds.forEach((name, t) -> constantFeeds.put(name, write(dir, name, t)));

        // Step 0: initial values (no step run), so every step can restore.
        Path previous = dir.resolve("step0.safetensors");
        descentOk("run", model.toString(), "--backend", backend, "--steps", "0", "--save", previous.toString());
        checkInitial(c, spec, SafeTensors.read(previous));

        for (int step = 1; step <= steps; step++) {
            Path next = dir.resolve("step" + step + ".safetensors");
            List<String> args = new ArrayList<>(List.of("run", model.toString(), "--backend", backend, "--train", "step",
                    "--steps", "1", "--restore", previous.toString(), "--save", next.toString()));
            Map<String, Path> feeds = new LinkedHashMap<>(constantFeeds);
            String suffix = "_step" + step;
            spec.stepFeeds(step - 1).forEach((name, t) -> feeds.put(name, write(dir, name + suffix, t)));
            feeds.forEach((name, file) -> { args.add("--feed"); args.add(name + "=" + file); });
            descentOk(args.toArray(String[]::new));
            Map<String, Tensor> before = SafeTensors.read(previous), after = SafeTensors.read(next);
            assertEquals(spec.checkpointKeys(), new TreeSet<>(after.keySet()), "case " + id + ": checkpoint entries");
            String at = "case " + id + " after step " + step;
            List<Object> perStep = (List<Object>) c.get("expected_per_step");
            if (perStep != null) compareVars(at, (Map<String, Object>) perStep.get(step - 1), after, spec);
            List<Object> slotsPerStep = (List<Object>) c.get("slots_expected_per_step");
            if (slotsPerStep != null) compareSlots(at, (Map<String, Object>) slotsPerStep.get(step - 1), after, spec);
            List<Object> nonslotPerStep = (List<Object>) c.get("nonslot_expected_per_step");
            if (nonslotPerStep != null) compareVars(at, (Map<String, Object>) nonslotPerStep.get(step - 1), after, spec);
            List<Object> nonslotBefore = (List<Object>) c.get("nonslot_expected_before_step");
            if (nonslotBefore != null) {
                compareVars("case " + id + " before step " + step, (Map<String, Object>) nonslotBefore.get(step - 1), before, spec);
            }
            previous = next;
        }

        Map<String, Tensor> last = SafeTensors.read(previous);
        String at = "case " + id + " after the last step";
        compareVars(at, (Map<String, Object>) c.get("expected"), last, spec);
        if (c.get("exact_float64") != null) compareVars(at + " (exact_float64)", (Map<String, Object>) c.get("exact_float64"), last, spec);
        if (c.get("slots_expected") != null) compareSlots(at, (Map<String, Object>) c.get("slots_expected"), last, spec);
        if (c.get("global_step") instanceof Map<?, ?> gs && gs.get("expected") != null) {
            assertEquals(((Number) gs.get("expected")).longValue(), (long) last.get("global_step").getDouble(0), at + ": global_step");
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkInitial(Map<String, Object> c, Spec spec, Map<String, Tensor> ckpt) {
        String id = (String) c.get("id");
        assertEquals(spec.checkpointKeys(), new TreeSet<>(ckpt.keySet()), "case " + id + ": initial checkpoint entries");
        compareVars("case " + id + " initially", (Map<String, Object>) c.get("vars"), ckpt, spec);
        if (c.get("slots_initial") instanceof Map<?, ?> init) {
            for (var e : ((Map<String, Object>) init).entrySet()) {
                for (String var : spec.vars.keySet()) {
                    Tensor t = ckpt.get(spec.slotKey(var, e.getKey()));
                    for (int i = 0; i < t.size(); i++) {
                        assertEquals(((Number) e.getValue()).doubleValue(), t.getDouble(i), "case " + id + ": initial " + e.getKey());
                    }
                }
            }
        }
        if (c.get("nonslot_initial") != null) compareVars("case " + id + " initially", (Map<String, Object>) c.get("nonslot_initial"), ckpt, spec);
        if (c.get("global_step") instanceof Map<?, ?> gs) {
            assertEquals(((Number) gs.get("initial")).longValue(), (long) ckpt.get("global_step").getDouble(0), "case " + id + ": global_step");
        }
    }

    /** Compares {name: value} entries (variables or non-slot variables) with the checkpoint. */
    private static void compareVars(String at, Map<String, Object> expected, Map<String, Tensor> ckpt, Spec spec) {
        for (var e : expected.entrySet()) assertClose(at + ", " + e.getKey(), e.getValue(), ckpt.get(e.getKey()), spec);
    }

    /** Compares {slot name: {variable: value}} with the checkpoint, under TF's slot-variable names. */
    @SuppressWarnings("unchecked")
    private static void compareSlots(String at, Map<String, Object> expected, Map<String, Tensor> ckpt, Spec spec) {
        for (var bySlot : expected.entrySet()) {
            for (var byVar : ((Map<String, Object>) bySlot.getValue()).entrySet()) {
                String key = spec.slotKey(byVar.getKey(), bySlot.getKey());
                assertClose(at + ", slot \"" + bySlot.getKey() + "\" of " + byVar.getKey() + " (" + key + ")", byVar.getValue(),
                        ckpt.get(key), spec);
            }
        }
    }

    private static void assertClose(String what, Object expectedJson, Tensor actual, Spec spec) {
        if (actual == null) fail(what + ": missing from the checkpoint");
        assertArrayEquals(shapeOf(expectedJson), actual.shape(), what + ": shape");
        double[] exp = flatten(expectedJson), act = actual.toDoubles();
        for (int i = 0; i < exp.length; i++) {
            if (!(Math.abs(act[i] - exp[i]) <= spec.atol + spec.rtol * Math.abs(exp[i]))) {
                fail(what + "[" + i + "]: expected " + exp[i] + " but was " + act[i] + " (rtol " + spec.rtol + ", atol "
                        + spec.atol + "); all: " + Arrays.toString(act));
            }
        }
    }

    /** One case as a model: names, shapes, feeds, and the TF names its checkpoint must hold. */
    static final class Spec {
        final Map<String, Object> c;
        final String id, optimizer, optName;
        final boolean minimize;
        final Map<String, Object> vars, hyper, sparse;
        final boolean hasGlobalStep;
        final double rtol, atol;
        final Map<String, Tensor> constantFeeds = new LinkedHashMap<>();

        @SuppressWarnings("unchecked")
        Spec(Map<String, Object> c) {
            this.c = c;
            id = (String) c.get("id");
            optimizer = ((String) c.get("optimizer")).split(" ")[0];
            // LazyAdamOptimizer inherits AdamOptimizer's constructor, so its default name is "Adam".
            optName = optimizer.equals("LazyAdam") ? "Adam" : optimizer;
            minimize = c.get("api").equals("minimize");
            vars = (Map<String, Object>) c.get("vars");
            hyper = (Map<String, Object>) c.get("hyper");
            sparse = c.get("sparse") == null ? Map.of() : (Map<String, Object>) c.get("sparse");
            hasGlobalStep = c.get("global_step") != null || optimizer.equals("AdagradDA");
            Map<String, Object> tol = (Map<String, Object>) c.get("tolerance");
            rtol = tol != null && tol.get("rtol") != null ? ((Number) tol.get("rtol")).doubleValue() : DEFAULT_TOL;
            atol = tol != null && tol.get("atol") != null ? ((Number) tol.get("atol")).doubleValue() : DEFAULT_TOL;
            if (minimize) {
                constantFeeds.putAll(LOSSES.get(id).feeds());
                if (hyper.get("grad_loss") != null) constantFeeds.put("grad_loss_value", floats(hyper.get("grad_loss")));
            } else {
                for (String v : sparse.keySet()) constantFeeds.put("indices_" + v, ints(sparseOf(v).get("indices")));
                if (c.get("grads") != null) ((Map<String, Object>) c.get("grads")).forEach((v, g) -> constantFeeds.put("grad_" + v, floats(g)));
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> sparseOf(String var) { return (Map<String, Object>) sparse.get(var); }

        /** The gradients fed at step {@code i} (0-based) when they change every step. */
        @SuppressWarnings("unchecked")
        Map<String, Tensor> stepFeeds(int i) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            if (!minimize && c.get("grads_per_step") != null) {
                Map<String, Object> grads = (Map<String, Object>) ((List<Object>) c.get("grads_per_step")).get(i);
                grads.forEach((v, g) -> out.put("grad_" + v, floats(g)));
            }
            return out;
        }

        /** A gradient's value at the first step, for its declared shape. */
        @SuppressWarnings("unchecked")
        Object firstGrad(String var) {
            Map<String, Object> grads = c.get("grads") != null ? (Map<String, Object>) c.get("grads")
                    : (Map<String, Object>) ((List<Object>) c.get("grads_per_step")).get(0);
            return grads.get(var);
        }

        /** TF's slot creation order (each optimizer's _create_slots), which decides the _1, _2 suffixes. */
        List<String> slotOrder() {
            return switch (optimizer) {
                case "GradientDescent", "ProximalGradientDescent" -> List.of();
                case "Momentum", "MomentumW" -> List.of("momentum");
                case "Adagrad", "ProximalAdagrad" -> List.of("accumulator");
                case "AdagradDA" -> List.of("gradient_accumulator", "gradient_squared_accumulator");
                case "Adam", "AdamW", "LazyAdam" -> List.of("m", "v");
                case "Adadelta" -> List.of("accum", "accum_update");
                case "RMSProp" -> Boolean.TRUE.equals(hyper.get("centered")) ? List.of("rms", "mg", "momentum") : List.of("rms", "momentum");
                case "Ftrl" -> List.of("accum", "linear");
                default -> throw new IllegalArgumentException("no slot table for " + optimizer);
            };
        }

        /** slot_creator's name: {@code primary/OptimizerName}, uniquified with _1, _2 in creation order. */
        String slotKey(String var, String slot) {
            int k = slotOrder().indexOf(slot);
            assertTrue(k >= 0, "case " + id + ": " + optimizer + " has no slot " + slot);
            return var + "/" + optName + (k == 0 ? "" : "_" + k);
        }

        List<String> nonSlots() {
            return List.of("Adam", "AdamW", "LazyAdam").contains(optimizer) ? List.of("beta1_power", "beta2_power") : List.of();
        }

        Set<String> checkpointKeys() {
            Set<String> keys = new TreeSet<>(vars.keySet());
            for (String v : vars.keySet()) for (String s : slotOrder()) keys.add(slotKey(v, s));
            keys.addAll(nonSlots());
            if (hasGlobalStep) keys.add("global_step");
            return keys;
        }

        String modelText() {
            StringBuilder m = new StringBuilder("# Generated from tf-optimizer-tests.json case " + id + ": " + c.get("source") + "\n");
            m.append("model case").append(id).append('\n');
            for (var e : vars.entrySet()) {
                m.append("var ").append(e.getKey()).append(": f32").append(Arrays.toString(shapeOf(e.getValue())))
                        .append(" = ").append(literal(e.getValue())).append('\n');
            }
            if (hasGlobalStep) {
                boolean i32 = c.get("global_step") instanceof Map<?, ?> gs && String.valueOf(gs.get("dtype")).startsWith("int32");
                m.append("var global_step: ").append(i32 ? "i32" : "i64").append("[] = 0 (trainable=false)\n");
            }
            List<String> ctor = new ArrayList<>(), call = new ArrayList<>();
            for (var e : hyper.entrySet()) {
                String k = e.getKey();
                if (k.equals("global_step")) continue;                    // a description of the test's global_step variable
                if (k.equals("grad_loss")) call.add("grad_loss=grad_loss_value");
                else if (k.equals("aggregation_method")) call.add(k + "=" + e.getValue());
                else ctor.add(k + "=" + literal(e.getValue()));
            }
            if (optimizer.equals("AdagradDA")) ctor.add("global_step=global_step");
            if (c.get("global_step") instanceof Map<?, ?> gs && String.valueOf(gs.get("passed_to")).matches(".*(minimize|apply_gradients).*")) {
                call.add("global_step=global_step");
            }
            String opt = optimizer + "Optimizer(" + String.join(", ", ctor) + ")";
            if (minimize) {
                Loss loss = LOSSES.get(id);
                if (!loss.decls().isEmpty()) m.append(loss.decls()).append('\n');
                if (hyper.get("grad_loss") != null) {
                    m.append("input grad_loss_value: f32").append(Arrays.toString(shapeOf(hyper.get("grad_loss")))).append('\n');
                }
                m.append(loss.lines()).append('\n');
                call.add(0, "loss");
                m.append("train step {\n  opt = ").append(opt).append("\n  opt.minimize(").append(String.join(", ", call)).append(")\n}\n");
            } else {
                List<String> pairs = new ArrayList<>();
                for (String v : vars.keySet()) {
                    m.append("input grad_").append(v).append(": f32").append(Arrays.toString(shapeOf(firstGrad(v)))).append('\n');
                    if (sparse.containsKey(v)) {
                        int n = ((List<?>) sparseOf(v).get("indices")).size();
                        m.append("input indices_").append(v).append(": i32[").append(n).append("]\n");
                        pairs.add("(IndexedSlices(grad_" + v + ", indices_" + v + ", " + intList(sparseOf(v).get("dense_shape")) + "), " + v + ")");
                    } else {
                        pairs.add("(grad_" + v + ", " + v + ")");
                    }
                }
                call.add(0, "[" + String.join(", ", pairs) + "]");
                m.append("train step {\n  opt = ").append(opt).append("\n  opt.apply_gradients(").append(String.join(", ", call)).append(")\n}\n");
            }
            return m.toString();
        }
    }

    // ---- TF's error conditions, through `descent check` (tf-optimizers.md §5)

    private static final String PRELUDE = """
            model errors
            input g0: f32[2]
            input g3: f32[3]
            input idx: i32[1]
            input rows: f32[1, 3]
            var var0: f32[2] = [1.0, 2.0]
            var var1: f32[2] = [3.0, 4.0]
            var global_step: i64[] = 0 (trainable=false)
            doubled = var0 * 2.0
            loss = reduce_sum(var0 * var0)
            """;

    /** A train block and (part of) the diagnostic TF's wording gives for it. */
    record ErrorCase(String name, String block, String message) {}

    static final List<ErrorCase> ERRORS = List.of(
            new ErrorCase("no trainable variables", "train t { GradientDescentOptimizer(0.1).minimize(loss, var_list=[]) }",
                    "error: No variables to optimize."),
            new ErrorCase("minimize, loss independent of var_list", "train t { GradientDescentOptimizer(0.1).minimize(loss, var_list=[var1]) }",
                    "error: No gradients provided for any variable, check your graph for ops that do not support gradients, "
                            + "between variables [var1] and loss"),
            new ErrorCase("apply_gradients, every gradient None",
                    "train t { GradientDescentOptimizer(0.1).apply_gradients([(None, var0), (None, var1)]) }",
                    "error: No gradients provided for any variable: [var0, var1]."),
            new ErrorCase("apply_gradients, empty list", "train t { GradientDescentOptimizer(0.1).apply_gradients([]) }",
                    "error: No variables provided."),
            new ErrorCase("gate_gradients=3", "train t { GradientDescentOptimizer(0.1).minimize(loss, gate_gradients=3) }",
                    "error: gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not 3\n"),
            new ErrorCase("gate_gradients=-1 in compute_gradients", "train t { gv = AdamOptimizer().compute_gradients(loss, gate_gradients=-1) }",
                    "error: gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not -1\n"),
            new ErrorCase("invalid aggregation_method", "train t { GradientDescentOptimizer(0.1).minimize(loss, aggregation_method=\"SUM\") }",
                    "error: Invalid aggregation_method specified SUM."),
            new ErrorCase("dense gradient of another shape", "train t { GradientDescentOptimizer(0.1).apply_gradients([(g3, var0)]) }",
                    "error: var and grad do not have the same shape"),
            new ErrorCase("dense gradient of another dtype",
                    "train t { GradientDescentOptimizer(0.1).apply_gradients([(cast(g0, f64), var0)]) }",
                    "error: var and grad do not have the same shape"),
            new ErrorCase("IndexedSlices rows of another shape",
                    "train t { GradientDescentOptimizer(0.1).apply_gradients([(IndexedSlices(rows, idx, [2, 3]), var0)]) }",
                    "error: var and grad must match in dimension"),
            new ErrorCase("processed gradient changes shape",
                    "train t { opt = MomentumOptimizer(0.1, 0.9)\n gv = opt.compute_gradients(loss)\n"
                            + " opt.apply_gradients([(reduce_sum(g), v) for (g, v) in gv]) }",
                    "error: var and grad do not have the same shape"),
            new ErrorCase("applying to a tensor", "train t { GradientDescentOptimizer(0.1).apply_gradients([(g0, doubled)]) }",
                    "error: Trying to update a Tensor `doubled`"),
            new ErrorCase("var_list with a tensor", "train t { GradientDescentOptimizer(0.1).minimize(loss, var_list=[doubled]) }",
                    "error: Trying to update a Tensor `doubled`"),
            new ErrorCase("empty optimizer name", "train t { AdamOptimizer(name=\"\").minimize(loss) }",
                    "error: Must specify the optimizer name"),
            new ErrorCase("Adagrad initial_accumulator_value 0",
                    "train t { AdagradOptimizer(0.1, initial_accumulator_value=0.0).minimize(loss) }",
                    "error: initial_accumulator_value must be positive: 0.0"),
            new ErrorCase("ProximalAdagrad initial_accumulator_value negative",
                    "train t { ProximalAdagradOptimizer(0.1, initial_accumulator_value=-1.0).minimize(loss) }",
                    "error: initial_accumulator_value must be positive: -1.0"),
            new ErrorCase("AdagradDA initial_gradient_squared_accumulator_value 0",
                    "train t { AdagradDAOptimizer(0.1, global_step, initial_gradient_squared_accumulator_value=0.0).minimize(loss) }",
                    "error: initial_gradient_squared_accumulator_value must be positive: 0.0"),
            new ErrorCase("Ftrl positive learning_rate_power", "train t { FtrlOptimizer(0.1, learning_rate_power=0.5).minimize(loss) }",
                    "error: learning_rate_power 0.500000 needs to be negative or zero"),
            new ErrorCase("Ftrl negative l1", "train t { FtrlOptimizer(0.1, l1_regularization_strength=-1.0).minimize(loss) }",
                    "error: l1_regularization_strength -1.000000 needs to be positive or zero"),
            new ErrorCase("Ftrl negative l2", "train t { FtrlOptimizer(0.1, l2_regularization_strength=-0.5).minimize(loss) }",
                    "error: l2_regularization_strength -0.500000 needs to be positive or zero"),
            new ErrorCase("Ftrl negative initial_accumulator_value",
                    "train t { FtrlOptimizer(0.1, initial_accumulator_value=-0.1).minimize(loss) }",
                    "error: initial_accumulator_value -0.100000 needs to be positive or zero"),
            new ErrorCase("get_slot_names before apply_gradients is empty",
                    "train t { opt = AdamOptimizer()\n m, v = opt.get_slot_names()\n opt.minimize(loss) }",
                    "error: cannot unpack a list of 0 values into 2 names"),
            new ErrorCase("get_slot_names after apply_gradients: Adam has two",
                    "train t { opt = AdamOptimizer()\n opt.minimize(loss)\n a, b, c = opt.get_slot_names() }",
                    "error: cannot unpack a list of 2 values into 3 names"),
            new ErrorCase("get_slot of an unknown slot is None",
                    "train t { opt = AdamOptimizer()\n opt.minimize(loss)\n z = opt.get_slot(var0, \"accumulator\") * 2 }",
                    "error: expected a tensor, got None"),
            new ErrorCase("get_slot of a variable without a gradient is None",
                    "train t { opt = AdamOptimizer()\n opt.minimize(loss, var_list=[var0])\n z = opt.get_slot(var1, \"m\") * 2 }",
                    "error: expected a tensor, got None"));

    @TestFactory
    Stream<DynamicTest> tfErrorConditions() {
        return ERRORS.stream().map(e -> DynamicTest.dynamicTest(e.name(), () -> {
            Path model = tmp.resolve("errors-" + e.name().replaceAll("\\W+", "_") + ".descent");
            Files.writeString(model, PRELUDE + e.block() + "\n");
            CliTest.Result r = CliTest.descent("check", model.toString());
            assertEquals(1, r.code(), e.name() + ": descent check should fail\n" + r.out() + r.err());
            assertTrue(r.err().contains(e.message()), e.name() + ": expected `" + e.message().strip() + "` in\n" + r.err());
            assertTrue(r.err().strip().endsWith("1 error"), e.name() + ": exactly one diagnostic expected\n" + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }));
    }

    @Test
    void noTrainableVariablesAtAll() throws IOException {
        Path model = tmp.resolve("frozen.descent");
        Files.writeString(model, """
                model frozen
                var w: f32[2] = [1.0, 2.0] (trainable=false)
                loss = reduce_sum(w * w)
                train t { GradientDescentOptimizer(0.1).minimize(loss) }
                """);
        CliTest.Result r = CliTest.descent("check", model.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("frozen.descent:4:") && r.err().contains("error: No variables to optimize."), r.err());
    }

    /**
     * get_slot and get_slot_names as TF defines them: before apply_gradients there are no slots (get_slot is
     * None, so a pair with it is skipped: var1 keeps its value and gets no slots); afterwards get_slot_names is
     * sorted (mg, momentum, rms for centered RMSProp) and get_slot by slot name gives the slot variable, whose
     * fetched value is the one the step read (the previous step's result).
     */
    @Test
    void getSlotAndGetSlotNames() throws IOException {
        Path model = tmp.resolve("slots.descent");
        Files.writeString(model, """
                model slots
                input g0: f32[2]
                var var0: f32[2] = [1.0, 2.0]
                var var1: f32[2] = [3.0, 4.0]
                train step {
                  opt = RMSPropOptimizer(0.5, centered=true)
                  early = opt.get_slot(var0, "rms")
                  opt.apply_gradients([(g0, var0), (early, var1)])
                  mg_name, momentum_name, rms_name = opt.get_slot_names()
                  rms0 = opt.get_slot(var0, rms_name)
                  mom0 = opt.get_slot(var0, name=momentum_name)
                  mg0 = opt.get_slot(var0, mg_name)
                }
                """);
        Path g0 = write(tmp, "slots_g0", Tensor.of(new float[] {0.1f, 0.2f}, 2));
        Path one = tmp.resolve("one.safetensors");
        descentOk("run", model.toString(), "--feed", "g0=" + g0, "--save", one.toString());
        Map<String, Tensor> ckpt = SafeTensors.read(one);
        assertEquals(Set.of("var0", "var0/RMSProp", "var0/RMSProp_1", "var0/RMSProp_2", "var1"), ckpt.keySet());
        assertArrayEquals(new double[] {3, 4}, ckpt.get("var1").toDoubles());
        // The second step fetches the slots as the first step left them.
        List<String> fetched = List.of("rms0", "mom0", "mg0");
        List<String> args = new ArrayList<>(List.of("run", model.toString(), "--feed", "g0=" + g0, "--restore", one.toString()));
        for (String f : fetched) args.addAll(List.of("--fetch", f + "=" + tmp.resolve(f + ".npy")));
        descentOk(args.toArray(String[]::new));
        assertArrayEquals(ckpt.get("var0/RMSProp").floats(), Npy.read(tmp.resolve("rms0.npy")).floats());
        assertArrayEquals(ckpt.get("var0/RMSProp_1").floats(), Npy.read(tmp.resolve("mg0.npy")).floats());
        assertArrayEquals(ckpt.get("var0/RMSProp_2").floats(), Npy.read(tmp.resolve("mom0.npy")).floats());
        // rms = 0.9 * 1 + 0.1 * g^2, mg = 0.1 * g: the three are told apart by value.
        assertArrayEquals(new float[] {0.901f, 0.904f}, Npy.read(tmp.resolve("rms0.npy")).floats(), 1e-6f);
        assertArrayEquals(new float[] {0.01f, 0.02f}, Npy.read(tmp.resolve("mg0.npy")).floats(), 1e-6f);
    }

    /** Python's {@code %f} writes a dot whatever the locale, so TF's Ftrl messages must not follow the JVM's. */
    @Test
    void ftrlMessagesDoNotDependOnTheLocale() throws IOException {
        Path model = tmp.resolve("ftrl-locale.descent");
        Files.writeString(model, PRELUDE + "train t { FtrlOptimizer(0.1, learning_rate_power=0.5).minimize(loss) }\n");
        Locale saved = Locale.getDefault();
        CliTest.Result r;
        try {
            Locale.setDefault(Locale.GERMANY);
            r = CliTest.descent("check", model.toString());
        } finally {
            Locale.setDefault(saved);
        }
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("error: learning_rate_power 0.500000 needs to be negative or zero"), r.err());
    }

    // ---- helpers

    private static CliTest.Result descentOk(String... args) {
        CliTest.Result r = CliTest.descent(args);
        assertEquals(0, r.code(), "descent " + String.join(" ", args) + "\n" + r.err());
        assertTrue(r.err().isBlank(), "no warnings expected from descent " + String.join(" ", args) + "\n" + r.err());
        return r;
    }

    private static Path write(Path dir, String name, Tensor t) {
        Path p = dir.resolve(name + ".npy");
        Npy.write(p, t);
        return p;
    }

    static int[] shapeOf(Object json) {
        List<Integer> dims = new ArrayList<>();
        for (Object o = json; o instanceof List<?> l; o = l.isEmpty() ? null : l.get(0)) dims.add(((List<?>) o).size());
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    static double[] flatten(Object json) {
        List<Double> out = new ArrayList<>();
        flattenInto(json, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flattenInto(Object json, List<Double> out) {
        if (json instanceof List<?> l) for (Object o : l) flattenInto(o, out);
        else out.add(((Number) json).doubleValue());
    }

    static Tensor floats(Object json) {
        double[] d = flatten(json);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return Tensor.of(f, shapeOf(json));
    }

    static Tensor ints(Object json) {
        return Tensor.of(Arrays.stream(flatten(json)).mapToInt(d -> (int) d).toArray(), shapeOf(json));
    }

    /** A JSON list of integers (numbers are doubles in JSON) as a language list of integers. */
    static String intList(Object json) {
        return Arrays.toString(Arrays.stream(flatten(json)).mapToLong(d -> (long) d).toArray());
    }

    /** A JSON value as a language literal: numbers (Java's shortest repr, e.g. 1.0E-8), booleans, nested lists. */
    static String literal(Object json) {
        if (json instanceof List<?> l) {
            List<String> items = new ArrayList<>();
            for (Object o : l) items.add(literal(o));
            return "[" + String.join(", ", items) + "]";
        }
        if (json instanceof Boolean b) return b.toString();
        if (json instanceof Number n) return Double.toString(n.doubleValue());
        throw new IllegalArgumentException("not a literal: " + json);
    }
}
