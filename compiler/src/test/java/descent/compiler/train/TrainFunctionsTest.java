package descent.compiler.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.diag.CompileException;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Learning-rate schedules against TF 1's formulas (learning_rate_decay.py) evaluated in double, gradient
 * clipping against clip_ops.py's definitions, fed hyperparameters and per-pair transforms.
 */
class TrainFunctionsTest {
    /** Evaluates {@code expr} of an i64 global_step for steps 0..maxStep (float64 interpreter). */
    static void schedule(String expr, LongToDoubleFunction expected, long... steps) {
        String text = "model s\ninput gs: i64[]\nlr = " + expr + "\noutput lr\n";
        Model m = Compiler.check("s.descent", text.replace("global_step", "gs"));
        Session s = new Session(m, Precision.F64, 0);
        for (long step : steps) {
            double got = s.evaluate(Map.of("gs", Tensor.of(new long[] {step})), List.of("lr")).get("lr").getDouble(0);
            double want = expected.applyAsDouble(step);
            // Hyperparameter literals are float32 (TF's convert_to_tensor), so compare at float32 precision.
            assertEquals(want, got, 2e-6 * Math.max(1, Math.abs(want)), expr + " at step " + step);
        }
    }

    @Test
    void exponentialInverseTimeAndNaturalExpDecay() {
        schedule("exponential_decay(0.1, global_step, 100, 0.96)", s -> 0.1 * Math.pow(0.96, s / 100.0), 0, 1, 50, 250, 1000);
        schedule("exponential_decay(0.1, global_step, 100, 0.96, staircase=true)",
                s -> 0.1 * Math.pow(0.96, Math.floor(s / 100.0)), 0, 99, 100, 250);
        schedule("inverse_time_decay(0.5, global_step, 10, 0.5)", s -> 0.5 / (1 + 0.5 * s / 10.0), 0, 5, 37);
        schedule("inverse_time_decay(0.5, global_step, 10, 0.5, staircase=true)",
                s -> 0.5 / (1 + 0.5 * Math.floor(s / 10.0)), 0, 9, 10, 37);
        schedule("natural_exp_decay(0.5, global_step, 10, 0.5)", s -> 0.5 * Math.exp(-0.5 * s / 10.0), 0, 5, 37);
    }

    @Test
    void piecewiseConstant() {
        schedule("piecewise_constant(global_step, [100, 200], [1.0, 0.5, 0.1])",
                s -> s <= 100 ? 1.0 : s <= 200 ? 0.5 : 0.1, 0, 100, 101, 200, 201, 5000);
    }

    @Test
    void polynomialDecayWithAndWithoutCycle() {
        schedule("polynomial_decay(0.1, global_step, 100, end_learning_rate=0.01, power=2.0)",
                s -> (0.1 - 0.01) * Math.pow(1 - Math.min(s, 100) / 100.0, 2) + 0.01, 0, 30, 100, 150);
        schedule("polynomial_decay(0.1, global_step, 100, end_learning_rate=0.01, cycle=true)", s -> {
            double steps = 100 * (s == 0 ? 1 : Math.ceil(s / 100.0));
            return (0.1 - 0.01) * (1 - s / steps) + 0.01;
        }, 0, 30, 100, 150, 250);
    }

    @Test
    void cosineSchedules() {
        schedule("cosine_decay(0.1, global_step, 100, alpha=0.1)", s -> {
            double f = Math.min(s, 100) / 100.0;
            return 0.1 * ((1 - 0.1) * 0.5 * (1 + Math.cos(Math.PI * f)) + 0.1);
        }, 0, 25, 100, 120);
        schedule("cosine_decay_restarts(0.1, global_step, 10, t_mul=2.0, m_mul=0.5)", s -> {
            double f = s / 10.0;
            double i = Math.floor(Math.log(1 - f * (1 - 2.0)) / Math.log(2.0));
            double sum = (1 - Math.pow(2.0, i)) / (1 - 2.0);
            double c = (f - sum) / Math.pow(2.0, i);
            return 0.1 * (0.5 * Math.pow(0.5, i) * (1 + Math.cos(Math.PI * c)));
        }, 0, 5, 10, 15, 29, 31, 70);
        schedule("cosine_decay_restarts(0.1, global_step, 10, t_mul=1.0)", s -> {
            double f = s / 10.0, c = f - Math.floor(f);
            return 0.1 * 0.5 * (1 + Math.cos(Math.PI * c));
        }, 0, 5, 10, 15);
        schedule("linear_cosine_decay(0.1, global_step, 100, num_periods=2.0, alpha=0.1, beta=0.01)", s -> {
            double gs = Math.min(s, 100), linear = (100 - gs) / 100.0, frac = 2 * 2.0 * gs / 100.0;
            return 0.1 * ((0.1 + linear) * 0.5 * (1 + Math.cos(Math.PI * frac)) + 0.01);
        }, 0, 10, 60, 100, 140);
    }

    static double[] eval(String body, Map<String, Tensor> feeds, String fetch) {
        Model m = Compiler.check("c.descent", body);
        return new Session(m, Precision.F64, 0).evaluate(feeds, List.of(fetch)).get(fetch).toDoubles();
    }

    @Test
    void clippingFollowsClipOps() {
        Map<String, Tensor> feeds = Map.of("t", Tensor.of(new double[] {3, -4, 0, 12}, 2, 2));
        String pre = "model c\ninput t: f64[2, 2]\n";
        assertArrayEquals(new double[] {2, -2, 0, 2}, eval(pre + "y = clip_by_value(t, -2.0, 2.0)\n", feeds, "y"), 0);
        double norm = 13; // sqrt(9 + 16 + 144)
        double[] byNorm = eval(pre + "y = clip_by_norm(t, 6.5)\n", feeds, "y");
        assertArrayEquals(new double[] {3 * 6.5 / norm, -4 * 6.5 / norm, 0, 12 * 6.5 / norm}, byNorm, 1e-12);
        assertArrayEquals(new double[] {3, -4, 0, 12}, eval(pre + "y = clip_by_norm(t, 20.0)\n", feeds, "y"), 1e-12);
        double[] rowNorm = eval(pre + "y = clip_by_norm(t, 1.0, axes=[1])\n", feeds, "y");
        assertArrayEquals(new double[] {0.6, -0.8, 0, 1}, rowNorm, 1e-12);
        double[] avg = eval(pre + "y = clip_by_average_norm(t, 1.0)\n", feeds, "y");
        double factor = Math.min(4 / norm, 1.0);
        assertArrayEquals(new double[] {3 * factor, -4 * factor, 0, 12 * factor}, avg, 1e-12);
        double[] gn = eval(pre + "input u: f64[2]\nn = global_norm([t, u])\n",
                Map.of("t", Tensor.of(new double[] {3, -4, 0, 12}, 2, 2), "u", Tensor.of(new double[] {0, 84}, 2)), "n");
        assertEquals(85, gn[0], 1e-12);
    }

    static final String SPARSE_CLIPPING = """
            model sparse
            input ids: i32[batch]
            var emb: f32[3, 2] = constant([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
            loss = reduce_sum(gather(emb, ids))
            train by_value {
              opt = GradientDescentOptimizer(0.1)
              opt.apply_gradients([(clip_by_value(g, -1.0, 1.0), v) for (g, v) in opt.compute_gradients(loss)])
            }
            train by_row_norm {
              opt = GradientDescentOptimizer(0.1)
              opt.apply_gradients([(clip_by_norm(g, 1.0, axes=[1]), v) for (g, v) in opt.compute_gradients(loss)])
            }
            train ftrl_by_value {
              opt = FtrlOptimizer(0.1)
              opt.apply_gradients([(clip_by_value(g, -1.0, 1.0), v) for (g, v) in opt.compute_gradients(loss)])
            }
            train ftrl {
              FtrlOptimizer(0.1).minimize(loss)
            }
            """;

    /**
     * clip_by_value and clip_by_norm keep an IndexedSlices sparse, as clip_ops.py does: each slice is clipped before
     * repeated ids are summed, and rows no id names are not updated (Ftrl's dense rule would zero them).
     */
    @Test
    void clippingAnIndexedSlicesKeepsItSparse() {
        Model m = Compiler.check("sparse.descent", SPARSE_CLIPPING);
        Map<String, Tensor> twice = Map.of("ids", Tensor.of(new int[] {0, 0}, 2));
        java.util.function.Function<String, double[]> after = block -> {
            Session s = new Session(m, Precision.F64, 0);
            s.train(block, twice, List.of());
            return s.variables().get("emb").toDoubles();
        };
        // Two slices of ones at row 0: neither is clipped (the dense sum, 2, would have been).
        assertArrayEquals(new double[] {0.8, 0.8, 2, 2, 3, 3}, after.apply("by_value"), 1e-7);
        // Each slice [1, 1] scaled to norm 1 on its own, then summed: row 0 moves by 0.1 · 2/√2.
        double moved = 1 - 0.1 * 2 / Math.sqrt(2);
        assertArrayEquals(new double[] {moved, moved, 2, 2, 3, 3}, after.apply("by_row_norm"), 1e-7);
        assertArrayEquals(after.apply("ftrl"), after.apply("ftrl_by_value"), 0);
        assertEquals(2.0, after.apply("ftrl_by_value")[2], 0, "a row no id names keeps its value");
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("sparse.descent",
                SPARSE_CLIPPING.replace("axes=[1]", "axes=[2]")));
        assertTrue(e.getMessage().contains("axis 2 is out of range for an IndexedSlices whose values have rank 2"), e.getMessage());
    }

    /**
     * A table looked up by ids of shapes with no joined form ([batch, seq] and [batch]) gets its IndexedSlices summed
     * densely. GradientDescent, Adagrad and Adam then update what TF's sparse rules update; an optimizer whose dense rule
     * would move rows no id names, or a clip of each slice, is reported instead of giving other numbers than TF.
     */
    @Test
    void slicesWithoutAJoinedShapeAreDenseOnlyWhereThatIsTensorFlowsUpdate() {
        String text = """
                model tied
                input tokens: i32[batch, seq]
                input target: i32[batch]
                var emb: f32[4, 2] = constant([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
                loss = reduce_sum(gather(emb, tokens)) + reduce_sum(gather(emb, target))
                train step { OPTIMIZER.minimize(loss) }
                """;
        Model m = Compiler.check("tied.descent", text.replace("OPTIMIZER", "AdagradOptimizer(0.1)"));
        Session s = new Session(m, Precision.F64, 0);
        s.train("step", Map.of("tokens", Tensor.of(new int[] {0, 1}, 1, 2), "target", Tensor.of(new int[] {1}, 1)), List.of());
        double[] emb = s.variables().get("emb").toDoubles();
        // Row 0 has gradient 1, row 1 gradient 2: accum 0.1 + g², var − 0.1·g/√accum; rows 2 and 3 untouched.
        double r0 = 1 - 0.1 * 1 / Math.sqrt(0.1f + 1), r1 = 2 - 0.1 * 2 / Math.sqrt(0.1f + 4);
        assertArrayEquals(new double[] {r0, r0, r1, r1, 3, 3, 4, 4}, emb, 1e-6);
        Compiler.check("tied.descent", text.replace("OPTIMIZER", "AdamOptimizer(0.1)"));
        Compiler.check("tied.descent", text.replace("OPTIMIZER", "GradientDescentOptimizer(0.1)"));
        for (String opt : List.of("FtrlOptimizer(0.1)", "MomentumOptimizer(0.1, 0.9)", "LazyAdamOptimizer(0.1)")) {
            CompileException e = assertThrows(CompileException.class, () -> Compiler.check("tied.descent", text.replace("OPTIMIZER", opt)));
            assertTrue(e.getMessage().contains("ids of shapes [batch] and [batch, seq]") && e.getMessage().contains("rows no id names"),
                    e.getMessage());
        }
        String clipped = text.replace("train step { OPTIMIZER.minimize(loss) }", """
                train step {
                  opt = GradientDescentOptimizer(0.1)
                  opt.apply_gradients([(clip_by_value(g, -1.0, 1.0), v) for (g, v) in opt.compute_gradients(loss)])
                }""");
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("tied.descent", clipped));
        assertTrue(e.getMessage().contains("cannot clip or measure each slice"), e.getMessage());
    }

    /** A literal cast to a dtype is a constant of that dtype, as TF's cast of a Python number is (it was i32 first, and refused). */
    @Test
    void aCastLiteralTakesTheDtypeAskedFor() {
        Model m = Compiler.check("c.descent", "model c\ninput l: i64[2]\na = l + cast(3000000000, i64)\nb = cast(2.7, i32)\noutput a, b\n");
        Session s = new Session(m, Precision.F64, 0);
        Map<String, Tensor> out = s.evaluate(Map.of("l", Tensor.of(new long[] {1, 2}, 2)), List.of("a", "b"));
        assertArrayEquals(new long[] {3000000001L, 3000000002L}, out.get("a").longs());
        assertEquals(2, out.get("b").ints()[0]);
    }

    /** An empty decay_var_list decays every variable (TF: `decay_var_list if decay_var_list else False`). */
    @Test
    void anEmptyDecayVarListDecaysEveryVariable() {
        String text = """
                model decay
                var w: f32[2] = [1.0, 2.0]
                loss = reduce_sum(w * w)
                train empty { AdamWOptimizer(0.1, learning_rate=0.1).minimize(loss, decay_var_list=[]) }
                train all { AdamWOptimizer(0.1, learning_rate=0.1).minimize(loss) }
                train listed { AdamWOptimizer(0.1, learning_rate=0.1).minimize(loss, decay_var_list=[w]) }
                """;
        Model m = Compiler.check("decay.descent", text);
        java.util.function.Function<String, double[]> after = block -> {
            Session s = new Session(m, Precision.F64, 0);
            s.train(block, Map.of(), List.of());
            return s.variables().get("w").toDoubles();
        };
        assertArrayEquals(after.apply("all"), after.apply("empty"), 0);
        assertArrayEquals(new double[] {0.8, 1.7}, after.apply("empty"), 1e-6);
    }

    /** Under GATE_GRAPH, gradients that are all None fail in control_flow_ops.tuple, before minimize's own check. */
    @Test
    void gateGraphWithNoGradientFailsAsTupleDoes() {
        String text = """
                model nograd
                var w: f32[2] = [1.0, 2.0]
                var u: f32[2] = [1.0, 2.0]
                loss = reduce_sum(w * w)
                train step { GradientDescentOptimizer(0.1).minimize(loss, var_list=[u], gate_gradients=GATE) }
                """;
        CompileException graph = assertThrows(CompileException.class, () -> Compiler.check("g.descent", text.replace("GATE)", "GATE_GRAPH)")));
        assertTrue(graph.getMessage().contains("Must have at least one Tensor: [None]"), graph.getMessage());
        CompileException op = assertThrows(CompileException.class, () -> Compiler.check("g.descent", text.replace("GATE)", "GATE_OP)")));
        assertTrue(op.getMessage().contains("No gradients provided for any variable"), op.getMessage());
    }

    static final String CLIPPED = """
            model clipped
            input x: f32[batch, 2]
            input lr: f32[]
            var w: f32[2, 1] = [1.0, -1.0]
            var b: f32[1] = [0.5]
            loss = reduce_sum(square(x @ w + b))
            train step {
              opt = GradientDescentOptimizer(learning_rate=lr)
              gv = opt.compute_gradients(loss)
              gv, norm = clip_by_global_norm(gv, 1.0)
              gv = [(g + 0.5 * v, v) for (g, v) in gv]
              opt.apply_gradients(gv)
            }
            """;

    /** clip_by_global_norm over pairs, a per-pair weight-decay transform and a fed learning rate, checked by hand. */
    @Test
    void processedGradientsAndAFedLearningRate() {
        Model m = Compiler.check("clipped.descent", CLIPPED);
        Session s = new Session(m, Precision.F64, 0);
        Map<String, Tensor> out = s.train("step", Map.of("x", Tensor.of(new float[] {1, 2}, 1, 2), "lr", Tensor.scalar(0.1f)),
                List.of("loss", "step/norm"));
        // pred = 1*1 + 2*(-1) + 0.5 = -0.5; dloss/dpred = -1; dw = [-1, -2], db = [-1]; norm = sqrt(6).
        double norm = Math.sqrt(6);
        assertEquals(norm, out.get("step/norm").getDouble(0), 1e-6);
        double scale = 1.0 / norm;
        double w0 = 1 - 0.1 * (-1 * scale + 0.5 * 1), w1 = -1 - 0.1 * (-2 * scale + 0.5 * -1);
        double b0 = 0.5 - 0.1 * (-1 * scale + 0.5 * 0.5);
        assertArrayEquals(new double[] {w0, w1}, s.variables().get("w").toDoubles(), 1e-6);
        assertArrayEquals(new double[] {b0}, s.variables().get("b").toDoubles(), 1e-6);
        // The learning rate is an input: changing it needs no recompilation.
        Session s2 = new Session(m, Precision.F64, 0);
        s2.train("step", Map.of("x", Tensor.of(new float[] {1, 2}, 1, 2), "lr", Tensor.scalar(0f)), List.of());
        assertArrayEquals(new double[] {1, -1}, s2.variables().get("w").toDoubles(), 0);
    }

    /** Gradient noise is seeded: the same on every run, different from step to step. */
    @Test
    void gradientNoiseIsReproducible() {
        String text = """
                model noisy
                var w: f32[3] = [1.0, 2.0, 3.0]
                loss = reduce_sum(square(w))
                train step {
                  opt = GradientDescentOptimizer(0.1)
                  opt.apply_gradients([(g + random_normal_like(g, stddev=0.1, seed=7), v) for (g, v) in opt.compute_gradients(loss)])
                }
                """;
        Model m = Compiler.check("noisy.descent", text);
        Session a = new Session(m, Precision.F32, 0), b = new Session(m, Precision.F32, 0);
        a.train("step", Map.of(), List.of());
        b.train("step", Map.of(), List.of());
        assertEquals(a.variables().get("w"), b.variables().get("w"));
        Tensor first = a.variables().get("w");
        a.train("step", Map.of(), List.of());
        double[] d1 = new double[3], d2 = new double[3];
        for (int i = 0; i < 3; i++) {
            d1[i] = first.getDouble(i) - (new double[] {1, 2, 3}[i] - 0.1 * 2 * new double[] {1, 2, 3}[i]);
            d2[i] = a.variables().get("w").getDouble(i) - (first.getDouble(i) - 0.1 * 2 * first.getDouble(i));
        }
        assertNotEquals(d1[0], d2[0], "a fresh draw every step");
    }
}
