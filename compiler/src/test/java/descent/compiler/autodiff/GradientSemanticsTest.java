package descent.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.diag.CompileException;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.Model;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@code gradients(...)} means beyond each op's rule: stop_gradient, unconnected xs, grad_ys defaults,
 * several ys, intermediate xs, the aggregation methods, and the symbolic batch dimension.
 */
class GradientSemanticsTest {

    private static Map<String, Tensor> eval(String text, Precision p, Map<String, Tensor> feeds, String... names) {
        Model m = Compiler.check("semantics.descent", text);
        return new Session(m, p, 0).evaluate(feeds, List.of(names));
    }

    private static double[] d(Map<String, Tensor> values, String name) { return values.get(name).toDoubles(); }

    private static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * Math.max(1, Math.abs(expected[i])),
                    what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
        }
    }

    /** The diagnostic for a None gradient names the x (wording aside) and the way out. */
    private static void assertUnconnected(CompileException e, String x) {
        String m = e.getMessage();
        assertTrue(m.contains("does not affect") && m.contains("None"), m);
        assertTrue(m.contains("`" + x + "`") || m.contains("xs["), "names the unconnected x: " + m);
        assertTrue(m.contains("unconnected_gradients"), "the hint names the way out: " + m);
    }

    private static final Tensor X = Tensor.of(new double[] {0.3, -1.2, 0.7, 1.9, -0.4, 0.05}, 2, 3);
    private static final Tensor DY = Tensor.of(new double[] {0.5, -0.25, 1.0, 0.75, -1.5, 0.125}, 2, 3);

    // ------------------------------------------------------------------ stop_gradient

    @Test
    void stopGradientBlocksItsInput() {
        String text = """
                input x: f64[2, 3]
                input dy: f64[2, 3]
                y = x * stop_gradient(x)
                g = gradients(y, x, grad_ys=dy)
                """;
        Map<String, Tensor> v = eval(text, Precision.F64, Map.of("x", X, "dy", DY), "g");
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) expected[i] = DY.doubles()[i] * X.doubles()[i]; // not 2 * x * dy
        assertClose(expected, d(v, "g"), 1e-15, "d/dx x * stop_gradient(x)");
    }

    @Test
    void theFiniteDifferenceCheckNoticesAWrongGradient() {
        // stop_gradient makes the symbolic gradient differ from the function's derivative on purpose: the
        // harness must see it (a check that always passes would pass this too).
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.of("x * stop_gradient(x)").in("x", X).run());
        assertTrue(e.getMessage().contains("disagree with finite differences"), e.getMessage());
    }

    @Test
    void stopGradientOnOneBranchOnly() {
        String text = """
                input x: f64[2, 3]
                input dy: f64[2, 3]
                t = tanh(x)
                y = t + stop_gradient(t) * x
                g = gradients(y, x, grad_ys=dy)
                """;
        double[] g = d(eval(text, Precision.F64, Map.of("x", X, "dy", DY), "g"), "g");
        for (int i = 0; i < 6; i++) {
            double t = Math.tanh(X.doubles()[i]);
            assertEquals(DY.doubles()[i] * ((1 - t * t) + t), g[i], 1e-14);
        }
    }

    @Test
    void fullyStoppedGradientIsUnconnected() {
        String stopped = """
                input x: f64[2, 3]
                y = stop_gradient(x * 2.0) + 1.0
                g = gradients(y, x%s)
                """;
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("s.descent", stopped.formatted("")));
        assertUnconnected(e, "x");
        double[] g = d(eval(stopped.formatted(", unconnected_gradients=\"zero\""), Precision.F64, Map.of("x", X), "g"), "g");
        assertArrayEquals(new double[6], g);
    }

    // ------------------------------------------------------------------ unconnected xs

    @Test
    void unconnectedXIsAnErrorUnlessZero() {
        String text = """
                input x: f64[2, 3]
                input z: f64[4]
                input dy: f64[2, 3]
                y = tanh(x) * 3.0
                gx, gz = gradients(y, [x, z], grad_ys=dy%s)
                """;
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("u.descent", text.formatted("")));
        assertUnconnected(e, "z");
        assertTrue(!e.getMessage().contains("`x`"), "only z is unconnected: " + e.getMessage());

        Map<String, Tensor> feeds = Map.of("x", X, "z", Tensor.of(new double[4], 4), "dy", DY);
        Map<String, Tensor> v = eval(text.formatted(", unconnected_gradients=\"zero\""), Precision.F64, feeds, "gx", "gz");
        assertArrayEquals(new int[] {4}, v.get("gz").shape());
        assertArrayEquals(new double[4], d(v, "gz"));
        for (int i = 0; i < 6; i++) {
            double t = Math.tanh(X.doubles()[i]);
            assertEquals(DY.doubles()[i] * 3 * (1 - t * t), d(v, "gx")[i], 1e-14);
        }
        // "none" is the default spelled out.
        assertThrows(CompileException.class, () -> Compiler.check("u.descent", text.formatted(", unconnected_gradients=\"none\"")));
    }

    @Test
    void integerPathsCarryNoGradient() {
        // Casting to an integer cuts the path, as in TF (integer tensors have no gradient).
        String viaInt = """
                input x: f64[3]
                y = cast(cast(x, i32), f64) * 2.0
                g = gradients(y, x)
                """;
        assertThrows(CompileException.class, () -> Compiler.check("i.descent", viaInt));
        // TF 1's softmax_cross_entropy_with_logits stops the labels' gradient.
        String labels = """
                input l: f64[2, 3]
                input z: f64[2, 3]
                y = softmax_cross_entropy_with_logits(labels=l, logits=z)
                g = gradients(y, l)
                """;
        assertUnconnected(assertThrows(CompileException.class, () -> Compiler.check("l.descent", labels)), "l");
    }

    // ------------------------------------------------------------------ grad_ys, several ys, intermediate xs

    @Test
    void gradYsDefaultsToOnes() {
        String text = """
                input x: f64[2, 3]
                input ones: f64[2, 3]
                y = sigmoid(x) * x
                g1 = gradients(y, x)
                g2 = gradients(y, x, grad_ys=ones)
                g3 = gradients(reduce_sum(y), x)
                """;
        double[] one = new double[6];
        Arrays.fill(one, 1);
        Map<String, Tensor> v = eval(text, Precision.F64, Map.of("x", X, "ones", Tensor.of(one, 2, 3)), "g1", "g2", "g3");
        assertClose(d(v, "g2"), d(v, "g1"), 1e-15, "default grad_ys");
        assertClose(d(v, "g3"), d(v, "g1"), 1e-15, "gradient of the sum");
    }

    @Test
    void severalYsSumTheirContributions() {
        String text = """
                input x: f64[2, 3]
                input d1: f64[2, 3]
                input d2: f64[2]
                y1 = exp(x) * x
                y2 = reduce_sum(tanh(x), axis=1)
                g = gradients([y1, y2], [x], grad_ys=[d1, d2])
                ga = gradients(y1, x, grad_ys=d1)
                gb = gradients(y2, x, grad_ys=d2)
                """;
        Map<String, Tensor> feeds = Map.of("x", X, "d1", DY, "d2", Tensor.of(new double[] {0.5, -2}, 2));
        Model m = Compiler.check("y.descent", text);
        // A list of one x gives a list of one gradient; `ga` and `gb` are single tensors.
        Session s = new Session(m, Precision.F64, 0);
        Map<String, Tensor> v = s.evaluate(feeds, List.of("ga", "gb"));
        double[] sum = new double[6];
        for (int i = 0; i < 6; i++) sum[i] = d(v, "ga")[i] + d(v, "gb")[i];
        String single = text.replace("g = gradients([y1, y2], [x]", "g = gradients([y1, y2], x");
        double[] g = d(eval(single, Precision.F64, feeds, "g"), "g");
        assertClose(sum, g, 1e-14, "gradients of [y1, y2]");
    }

    @Test
    void intermediateXsAndYAmongXs() {
        String text = """
                input x: f64[2, 3]
                h = tanh(x)
                y = h * h + x
                gh, gx, gy = gradients(y, [h, x, y])
                """;
        Map<String, Tensor> v = eval(text, Precision.F64, Map.of("x", X), "gh", "gx", "gy");
        for (int i = 0; i < 6; i++) {
            double h = Math.tanh(X.doubles()[i]);
            assertEquals(2 * h, d(v, "gh")[i], 1e-15);
            assertEquals(2 * h * (1 - h * h) + 1, d(v, "gx")[i], 1e-14);
            assertEquals(1.0, d(v, "gy")[i]);
        }
    }

    // ------------------------------------------------------------------ aggregation methods

    private static final String FAN_OUT = "tanh(x) * x + exp(x) @ w - square(x) + reduce_sum(x, axis=0) * x";

    @ParameterizedTest
    @ValueSource(strings = {"ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N"})
    void everyAggregationMethodMatchesFiniteDifferences(String method) {
        GradCheck.Gen g = new GradCheck.Gen(7);
        GradCheck.of(FAN_OUT).in("x", g.u(3, 3)).in("w", g.u(3, 3))
                .options("aggregation_method=\"" + method + "\"").run();
    }

    @Test
    void aggregationMethodsAgreeAndDifferOnlyInStructure() {
        GradCheck.Gen gen = new GradCheck.Gen(11);
        Tensor x = gen.u(3, 3), w = gen.u(3, 3), dy = gen.u(3, 3);
        String[] methods = {"ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N"};
        for (Precision p : Precision.values()) {
            double[] reference = null;
            for (String method : methods) {
                String text = "input x: f64[3, 3]\ninput w: f64[3, 3]\ninput dy: f64[3, 3]\ny = " + FAN_OUT
                        + "\ngx, gw = gradients(y, [x, w], grad_ys=dy, aggregation_method=\"" + method + "\")\n";
                Model m = Compiler.check("agg.descent", text);
                int yNode = m.names().get("y");
                List<Op.AddN> addNs = new ArrayList<>();
                for (Node n : m.graph().nodes()) if (n.id() > yNode && n.op() instanceof Op.AddN a) addNs.add(a);
                if (method.equals("EXPERIMENTAL_TREE")) {
                    assertTrue(addNs.isEmpty(), "EXPERIMENTAL_TREE sums pairwise, left to right: " + addNs);
                } else {
                    assertTrue(!addNs.isEmpty(), method + " uses n-ary sums");
                    for (Op.AddN a : addNs) assertEquals(Aggregation.valueOf(method), a.method());
                }
                double[] gx = new Session(m, p, 0).evaluate(Map.of("x", x, "w", w, "dy", dy), List.of("gx")).get("gx").toDoubles();
                if (reference == null) reference = gx;
                else assertClose(reference, gx, p == Precision.F64 ? 1e-13 : 1e-5, method + " vs ADD_N in " + p);
            }
        }
    }

    @Test
    void aggregationMethodByBareName() {
        // tf.gradients(..., aggregation_method=tf.AggregationMethod.EXPERIMENTAL_TREE): the constant's name.
        for (String method : new String[] {"ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N"}) {
            String text = """
                    input x: f64[3]
                    y = x * x * x
                    g = gradients(y, x, aggregation_method=%s)
                    """.formatted(method);
            double[] g = d(eval(text, Precision.F64, Map.of("x", Tensor.of(new double[] {1, -2, 0.5}, 3)), "g"), "g");
            assertClose(new double[] {3, 12, 0.75}, g, 1e-15, "3x^2 with " + method);
        }
    }

    @Test
    void invalidAggregationMethodUsesTfWording() {
        String text = """
                input x: f64[3]
                g = gradients(x * x, x, aggregation_method="SOMETIMES")
                """;
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("a.descent", text));
        assertTrue(e.getMessage().contains("Invalid aggregation_method specified SOMETIMES."), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ADD_N", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N"})
    void slicedContributionsAggregate(String method) {
        GradCheck.Gen g = new GradCheck.Gen(3);
        GradCheck.of("reduce_sum(gather(p, a) * gather(p, b), axis=1) + reduce_sum(embedding_lookup(p, a), axis=1) "
                        + "+ reduce_sum(p * p)")
                .in("p", g.u(5, 2)).in("a", GradCheck.ids(new int[] {0, 4, 4}, 3)).in("b", GradCheck.ids(new int[] {4, 1, 0}, 3))
                .options("aggregation_method=\"" + method + "\"").run();
    }

    // ------------------------------------------------------------------ the symbolic batch dimension

    private static GradCheck batchModel(String expr, int batch, GradCheck.Gen g) {
        int[] ids = new int[batch], other = new int[batch], labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            ids[i] = g.r.nextInt(5);
            other[i] = g.r.nextInt(5);
            labels[i] = g.r.nextInt(4);
        }
        return GradCheck.of(expr)
                .in("x", "f64[batch, 3]", g.u(batch, 3))
                .in("ids", "i32[batch]", Tensor.of(ids, batch))
                .in("other", "i32[batch]", Tensor.of(other, batch))
                .in("labels", "i32[batch]", Tensor.of(labels, batch))
                .in("soft", "f64[batch, 4]", g.probabilities(batch, 4))
                .in("w", g.u(3, 4))
                .in("emb", g.u(5, 4))
                .wrt("x", "w", "emb");
    }

    /** Per-example: y has shape [batch]. Uses the same embedding table twice with batch-shaped ids. */
    private static final String PER_EXAMPLE =
            "sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tanh(x @ w + embedding_lookup(emb, ids)) "
                    + "* embedding_lookup(emb, other)) + reduce_logsumexp(x @ w, axis=1) "
                    + "+ softmax_cross_entropy_with_logits(labels=soft, logits=gather(emb, ids) * 2.0) "
                    + "+ squeeze(reduce_max(expand_dims(x, 1), axis=2), axis=[1]) + reduce_mean(tile(x, [1, 2]), axis=1)";

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7})
    void perExampleLossOverBatch(int batch) {
        batchModel(PER_EXAMPLE, batch, new GradCheck.Gen(100 + batch)).run();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7})
    void meanLossOverBatch(int batch) {
        batchModel("reduce_mean(" + PER_EXAMPLE + ") + l2_loss(w) + reduce_mean(matmul(x, x, transpose_a=true)) "
                + "+ reduce_sum(reduce_mean(softmax(x @ w), axis=0))", batch, new GradCheck.Gen(200 + batch)).run();
    }

    @Test
    void oneModelServesEveryBatchSize() {
        // Compiled once; fed batch 1, 3 and 7. Rows are independent, so each row's gradient at batch 7 equals
        // the gradient of that row fed alone at batch 1.
        String model = """
                input x: f64[batch, 3]
                input w: f64[3, 2]
                input dy: f64[batch, 2]
                y = log_softmax(tanh(x @ w)) * 2.0
                gx, gw = gradients(y, [x, w], grad_ys=dy)
                """;
        Model m = Compiler.check("batch.descent", model);
        Session s = new Session(m, Precision.F64, 0);
        GradCheck.Gen g = new GradCheck.Gen(5);
        Tensor w = g.u(3, 2);
        Tensor x7 = g.u(7, 3), dy7 = g.u(7, 2);
        double[] gx7 = s.evaluate(Map.of("x", x7, "w", w, "dy", dy7), List.of("gx")).get("gx").toDoubles();
        double[] gwSum = new double[6];
        for (int row = 0; row < 7; row++) {
            Tensor x1 = Tensor.of(Arrays.copyOfRange(x7.doubles(), row * 3, row * 3 + 3), 1, 3);
            Tensor dy1 = Tensor.of(Arrays.copyOfRange(dy7.doubles(), row * 2, row * 2 + 2), 1, 2);
            Map<String, Tensor> v = s.evaluate(Map.of("x", x1, "w", w, "dy", dy1), List.of("gx", "gw"));
            assertClose(d(v, "gx"), Arrays.copyOfRange(gx7, row * 3, row * 3 + 3), 1e-14, "row " + row);
            for (int k = 0; k < 6; k++) gwSum[k] += d(v, "gw")[k];
        }
        double[] gw7 = s.evaluate(Map.of("x", x7, "w", w, "dy", dy7), List.of("gw")).get("gw").toDoubles();
        assertClose(gwSum, gw7, 1e-13, "gw at batch 7 = sum of per-row gw");
        Tensor x3 = g.u(3, 3), dy3 = g.u(3, 2);
        Map<String, Tensor> v3 = s.evaluate(Map.of("x", x3, "w", w, "dy", dy3), List.of("gx", "gw"));
        assertArrayEquals(new int[] {3, 3}, v3.get("gx").shape());
        assertArrayEquals(new int[] {3, 2}, v3.get("gw").shape());
    }

    /** A literal in a grad_ys list takes its own y's dtype, as a single one does (an integer literal was i32). */
    @Test
    void literalsInAGradYsListTakeTheirYsDtype() {
        String text = """
                input x: f32[3]
                a = reduce_sum(x * x)
                b = reduce_sum(x)
                g = gradients([a, b], x, grad_ys=[2, 1.5])
                """;
        double[] g = d(eval(text, Precision.F64, Map.of("x", Tensor.of(new float[] {1, 2, 3}, 3)), "g"), "g");
        assertArrayEquals(new double[] {2 * 2 + 1.5, 2 * 4 + 1.5, 2 * 6 + 1.5}, g, 1e-12);
    }
}
