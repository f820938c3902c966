package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Small models trained on the reference interpreter against TensorFlow 1 training them
 * ({@code tf-golden/models.json}: TF's gradients and TF 1's optimizer updates; see
 * {@code tf-golden/README.md}). Each case's Descent source is compiled as written, every variable
 * (including {@code global_step}) is restored to the case's explicit initial values, and train block
 * {@code step} runs once per feed. After every step the loss (computed before that step's update) and
 * every variable, slot (TF names: {@code w/Adam}, ...), non-slot variable (float32) and
 * {@code global_step} must agree with TF within the case's tolerance
 * ({@code |actual - expected| <= tol * (1 + |expected|)}, tol 1e-4), and the session must hold exactly the
 * state TF has.
 */
class TfGoldenModelsTest {

    private static final String RESOURCE = "/tf-golden/models.json";

    static List<Map<String, Object>> cases() { return MiniJson.goldenCases(RESOURCE); }

    @Test
    @SuppressWarnings("unchecked")
    void goldenFileIsWellFormed() {
        List<Map<String, Object>> cases = cases();
        assertEquals(21, cases.size(), "expected the full golden set");
        Set<String> names = new HashSet<>();
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            assertTrue(names.add(name), "duplicate case " + name);
            int steps = ((Double) c.get("steps")).intValue();
            assertEquals(steps, ((List<Object>) c.get("feeds")).size(), name + ": feeds");
            assertEquals(steps, ((List<Object>) c.get("expected")).size(), name + ": expected");
        }
    }

    @TestFactory
    Stream<DynamicTest> tensorflowModelGoldens() {
        return cases().stream().flatMap(c -> java.util.Arrays.stream(Backend.values())
                .map(b -> DynamicTest.dynamicTest(c.get("name") + " (" + b.name().toLowerCase() + ")", () -> run(c, b))));
    }

    @SuppressWarnings("unchecked")
    private static void run(Map<String, Object> c, Backend backend) {
        String name = (String) c.get("name");
        String text = (String) c.get("model");
        double tol = (Double) c.get("tolerance");
        String context = "\n--- model ---\n" + text;
        Model model = Compiler.check(name + ".descent", text);
        org.junit.jupiter.api.Assumptions.assumeTrue(backend.runs(model), "the compiled backend takes f32 models only");
        descent.runtime.api.TrainingSession session = backend.session(model);

        Map<String, Tensor> init = new LinkedHashMap<>();
        ((Map<String, Map<String, Object>>) c.get("init")).forEach((v, spec) -> init.put(v, tensor(spec)));
        assertEquals(List.of(), Backend.restore(session, init), name + ": variables in init the model lacks");

        List<Map<String, Map<String, Object>>> feeds = (List<Map<String, Map<String, Object>>>) c.get("feeds");
        List<Map<String, Object>> expected = (List<Map<String, Object>>) c.get("expected");
        for (int i = 0; i < expected.size(); i++) {
            String at = name + ": step " + (i + 1) + ": ";
            Map<String, Tensor> feed = new LinkedHashMap<>();
            feeds.get(i).forEach((in, spec) -> feed.put(in, tensor(spec)));
            Tensor loss = session.train("step", feed, List.of("loss")).get("loss");
            Map<String, Object> exp = expected.get(i);
            GoldenAssert.compareOnePlus(at + "loss", DType.F32, new int[0], new double[] {(float) (double) (Double) exp.get("loss")},
                    loss, tol, context);

            Map<String, Object> vars = (Map<String, Object>) exp.get("vars");
            Map<String, Tensor> state = session.state();
            assertEquals(new HashSet<>(vars.keySet()), new HashSet<>(state.keySet()), at + "the state TF has" + context);
            for (var e : vars.entrySet()) {
                String v = e.getKey();
                Model.VariableInfo info = model.variable(v);
                Tensor actual = state.get(v);
                assertNotNull(info, at + v);
                if (info.role() == Model.VariableInfo.Role.NON_SLOT) {
                    TfGoldenOptimizersTest.compareNonSlot(at + v, (Double) e.getValue(), actual, tol, context);
                    continue;
                }
                DType dtype = info.type().dtype();
                if (!dtype.isFloating()) {
                    assertEquals(((Double) e.getValue()).longValue(), (long) actual.getDouble(0), at + v + context);
                    continue;
                }
                double[] data = e.getValue() instanceof List<?> l ? TfGoldenOptimizersTest.doubles(l) : new double[] {(Double) e.getValue()};
                int[] shape = info.type().shape().concrete(Map.of());
                assertEquals(Tensor.elementCount(shape), data.length, at + v + ": golden element count");
                GoldenAssert.compareOnePlus(at + v, dtype, shape, TfGoldenOptimizersTest.values(dtype, data), actual, tol, context);
            }
        }
    }

    private static Tensor tensor(Map<String, Object> spec) {
        DType dtype = DType.fromLanguageName((String) spec.get("dtype"));
        if (dtype == null) throw new IllegalArgumentException("unknown dtype " + spec.get("dtype"));
        double[] data = TfGoldenOptimizersTest.doubles(spec.get("data"));
        if (!dtype.isFloating()) {
            for (double d : data) if (d != Math.rint(d)) throw new IllegalArgumentException(dtype + " data " + d);
        }
        return Tensor.fromDoubles(dtype, TfGoldenOptimizersTest.ints(spec.get("shape")), TfGoldenOptimizersTest.values(dtype, data));
    }
}
