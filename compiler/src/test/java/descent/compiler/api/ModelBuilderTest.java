package descent.compiler.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.IrException;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep.GateMode;
import descent.compiler.train.GradAndVar;
import descent.compiler.train.Optimizer;
import descent.runtime.DType;
import descent.runtime.Initializer;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Java graph API builds the very IR the language builds: same printout, same plans, same numbers. */
class ModelBuilderTest {
    static final String TEXT = """
            model logreg
            input x: f32[batch, 4]
            input y: f32[batch, 1]
            var w: f32[4, 1] = zeros()
            var b: f32[1] = zeros()
            var global_step: i64[] = 0 (trainable=false)
            logits = x @ w + b
            loss = reduce_mean(sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
            output loss
            train step {
              opt = AdamOptimizer(learning_rate=0.1)
              gv = opt.compute_gradients(loss, gate_gradients=GATE_GRAPH, aggregation_method=EXPERIMENTAL_TREE)
              gv, norm = clip_by_global_norm(gv, 5.0)
              opt.apply_gradients(gv, global_step=global_step)
            }
            """;

    static Model javaTwin() {
        ModelBuilder g = new ModelBuilder("logreg");
        Operand x = g.input("x", DType.F32, "batch", 4);
        Operand y = g.input("y", DType.F32, "batch", 1);
        Operand w = g.variable("w", DType.F32, new Initializer.Zeros(), 4, 1);
        Operand b = g.variable("b", DType.F32, new Initializer.Zeros(), 1);
        Operand gs = g.variable("global_step", DType.I64, new Initializer.Constant(0, null), false);
        Operand logits = g.name("logits", x.matmul(w).add(b));
        Operand loss = g.reduceMean(g.sigmoidCrossEntropyWithLogits(y, logits));
        g.output("loss", loss);
        g.train("step", t -> {
            Optimizer opt = Optimizers.adam(0.1);
            List<GradAndVar> gv = t.computeGradients(opt, loss,
                    TrainBlock.Options.defaults().gate(GateMode.GATE_GRAPH).aggregation(Aggregation.EXPERIMENTAL_TREE));
            TrainBlock.Clipped clipped = t.clipByGlobalNorm(gv, 5.0);
            g.graph().name(clipped.norm().node(), "norm");
            t.applyGradients(opt, clipped.pairs(), gs);
        });
        return g.build();
    }

    @Test
    void javaAndLanguageBuildTheSameIr() {
        Model fromText = Compiler.check("logreg.descent", TEXT);
        Model fromJava = javaTwin();
        assertEquals(IrPrinter.printTraining(fromText), IrPrinter.printTraining(fromJava));
    }

    @Test
    void javaModelsTrainLikeTheirTwins() {
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {1, 2, 3, 4, -1, 0, 1, 2}, 2, 4),
                "y", Tensor.of(new float[] {1, 0}, 2, 1));
        Session a = new Session(Compiler.check("logreg.descent", TEXT), Precision.F32, 0);
        Session b = new Session(javaTwin(), Precision.F32, 0);
        for (int i = 0; i < 3; i++) {
            assertEquals(a.train("step", feeds, List.of("loss")), b.train("step", feeds, List.of("loss")));
        }
        assertEquals(a.variables(), b.variables());
        assertTrue(b.variables().containsKey("w/Adam_1") && b.variables().containsKey("beta2_power"));
        assertEquals(3L, b.variables().get("global_step").longs()[0]);
    }

    /** AdagradDA reads the global step, which the Java API passes as the builder's variable. */
    @Test
    void adagradDaTakesItsGlobalStepAsAVariable() {
        String text = """
                model da
                input x: f32[batch, 3]
                var w: f32[3, 2] = random_uniform(minval=-1, maxval=1, seed=4)
                var global_step: i64[] = 0 (trainable=false)
                loss = reduce_mean(square(x @ w))
                output loss
                train step { AdagradDAOptimizer(0.1, global_step=global_step).minimize(loss, global_step=global_step) }
                """;
        ModelBuilder g = new ModelBuilder("da");
        Operand x = g.input("x", DType.F32, "batch", 3);
        Operand w = g.variable("w", DType.F32, new Initializer.RandomUniform(-1, 1, 4L), 3, 2);
        Operand gs = g.variable("global_step", DType.I64, new Initializer.Constant(0, null), false);
        Operand loss = g.reduceMean(g.square(x.matmul(w)));
        g.output("loss", loss);
        g.train("step", t -> t.minimize(Optimizers.adagradDA(0.1, gs), loss, TrainBlock.Options.defaults().globalStep(gs)));
        Model fromText = Compiler.check("da.descent", text), fromJava = g.build();
        assertEquals(IrPrinter.printTraining(fromText), IrPrinter.printTraining(fromJava));
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {1, 2, 3, -1, 0, 2}, 2, 3));
        Session a = new Session(fromText, Precision.F32, 0), b = new Session(fromJava, Precision.F32, 0);
        for (int i = 0; i < 3; i++) assertEquals(a.train("step", feeds, List.of("loss")), b.train("step", feeds, List.of("loss")));
        assertEquals(a.variables(), b.variables());
        assertThrows(descent.compiler.ir.IrException.class, () -> Optimizers.adagradDA(0.1, g.square(w)));
    }

    /** Every function of the language through {@link ModelBuilder#expr}: the same IR as the model file, and its diagnostics. */
    static final String CNN_FREE = """
            model mix
            input x: f32[batch, 6]
            input ids: i32[batch]
            var w: f32[6, 4] = zeros()
            var table: f32[10, 4] = zeros()
            h = leaky_relu(clip_by_value(x @ w, -3.0, 3.0), alpha=0.1) + embedding_lookup(table, ids)
            loss = reduce_mean(reduce_logsumexp(concat([h, tanh(h)], axis=1), axis=1)) + 0.01 * l2_loss(w)
            gw, gt = gradients(loss, [w, table])
            output loss, gw
            """;

    @Test
    void expressionsBuildWhatTheLanguageBuilds() {
        ModelBuilder g = new ModelBuilder("mix");
        Operand x = g.input("x", DType.F32, "batch", 6);
        g.input("ids", DType.I32, "batch");
        g.variable("w", DType.F32, new Initializer.Zeros(), 6, 4);
        g.variable("table", DType.F32, new Initializer.Zeros(), 10, 4);
        Operand h = g.name("h", g.expr("leaky_relu(clip_by_value(x @ w, -3.0, 3.0), alpha=0.1) + embedding_lookup(table, ids)"));
        Operand loss = g.name("loss", g.expr("reduce_mean(reduce_logsumexp(concat([h, tanh(v)], axis=1), axis=1)) + 0.01 * l2_loss(w)",
                Map.of("v", h)));
        List<Operand> grads = g.exprs("gradients(loss, [w, table])", Map.of());
        assertEquals(2, grads.size());
        g.name("gw", grads.get(0));
        g.name("gt", grads.get(1));
        g.output("loss", loss);
        g.output("gw", grads.get(0));
        assertEquals(IrPrinter.print(Compiler.check("mix.descent", CNN_FREE)), IrPrinter.print(g.build()));
        assertTrue(x.node() >= 0);
    }

    @Test
    void aMistakeInAnExpressionIsShownWithACaret() {
        ModelBuilder g = new ModelBuilder("m");
        g.input("x", DType.F32, 2, 3);
        IrException e = assertThrows(IrException.class, () -> g.expr("relu(x) @ x"));
        assertEquals("""
                expression:1:9: error: matmul inner dimensions differ: [2, 3] @ [2, 3] multiplies 3 columns by 2 rows
                 1 | relu(x) @ x
                   |         ^
                  = hint: the left operand's columns must equal the right operand's rows, e.g. [2, 3] @ [3, 3]; transpose_a/transpose_b may help""", e.getMessage());
        assertTrue(assertThrows(IrException.class, () -> g.expr("relu(y)")).getMessage().contains("undefined name `y`"));
        assertTrue(assertThrows(IrException.class, () -> g.expr("relu(x")).getMessage().contains("expression:1:"));
        assertTrue(assertThrows(IrException.class, () -> g.expr("2 + 3")).getMessage().contains("not a tensor"));
        Operand x = g.tensor(0);
        assertTrue(assertThrows(IrException.class, () -> g.expr("relu(v)", Map.of("relu", x))).getMessage().contains("built-in function"));
        assertTrue(assertThrows(IrException.class, () -> g.expr("v", Map.of("x", g.expr("relu(x)")))).getMessage().contains("already names"));
        ModelBuilder other = new ModelBuilder("o");
        Operand y = other.input("y", DType.F32, 3);
        assertTrue(assertThrows(IrException.class, () -> g.expr("relu(y)", Map.of("y", y))).getMessage().contains("another ModelBuilder"));
        assertThrows(IrException.class, () -> g.expr("gradients(reduce_sum(x), [x, x])"));
        assertTrue(assertThrows(IrException.class, () -> g.expr(" ")).getMessage().contains("the expression is empty"));
    }

    /** Found by a review (2026-11-29): a failed expression left its nodes in the graph; a value named `exp` broke every expr. */
    @Test
    void aFailedExpressionLeavesTheGraphAsItWas() {
        ModelBuilder g = new ModelBuilder("m");
        g.input("exp", DType.F32, 3);
        g.input("x", DType.F32, 2, 3);
        int before = g.graph().size();
        assertThrows(IrException.class, () -> g.expr("relu(tanh(x)) @ x"));
        assertEquals(before, g.graph().size(), "nodes of a failed expression");
        assertEquals(before + 1, g.expr("relu(x)").node() + 1);
        int after = g.graph().size();
        String deep = "x" + " + x".repeat(20_000);
        assertTrue(assertThrows(IrException.class, () -> g.expr(deep)).getMessage().contains("nested too deeply"));
        assertEquals(after, g.graph().size(), "nodes of an expression too deep to check");
        assertTrue(assertThrows(IrException.class, () -> g.expr("relu(v)", Map.of("exp", g.tensor(0)))).getMessage().contains("built-in function"));
    }

    /** TrainBlock.map is a model file's comprehension over dense gradients: the same IR. */
    @Test
    void mapIsTheComprehension() {
        String text = """
                model mapped
                input x: f32[batch, 4]
                input y: f32[batch, 1]
                var w: f32[4, 1] = zeros()
                var b: f32[1] = zeros()
                loss = reduce_mean(square(x @ w + b - y))
                output loss
                train step {
                  opt = GradientDescentOptimizer(learning_rate=0.1)
                  gv = opt.compute_gradients(loss)
                  gv = [(clip_by_norm(g, 1.0) * 2.0 + 0.0 * v, v) for (g, v) in gv]
                  opt.apply_gradients(gv)
                }
                """;
        ModelBuilder g = new ModelBuilder("mapped");
        g.input("x", DType.F32, "batch", 4);
        g.input("y", DType.F32, "batch", 1);
        g.variable("w", DType.F32, new Initializer.Zeros(), 4, 1);
        g.variable("b", DType.F32, new Initializer.Zeros(), 1);
        Operand loss = g.name("loss", g.expr("reduce_mean(square(x @ w + b - y))"));
        g.output("loss", loss);
        g.train("step", t -> {
            Optimizer opt = Optimizers.gradientDescent(0.1);
            List<GradAndVar> gv = t.computeGradients(opt, loss, TrainBlock.Options.defaults());
            t.applyGradients(opt, t.map(gv, "clip_by_norm(g, 1.0) * 2.0 + 0.0 * v"), null);
        });
        assertEquals(IrPrinter.printTraining(Compiler.check("mapped.descent", text)), IrPrinter.printTraining(g.build()));
    }

    @Test
    void errorsAreTensorFlowsToo() {
        ModelBuilder g = new ModelBuilder("m");
        Operand x = g.input("x", DType.F32, 2, 3);
        IrException e = assertThrows(IrException.class, () -> x.matmul(x));
        assertTrue(e.getMessage().contains("matmul inner dimensions differ"), e.getMessage());
        Operand loss = g.reduceSum(g.square(x));
        g.train("step", t -> t.minimize(Optimizers.gradientDescent(0.1), loss));
        IrException none = assertThrows(IrException.class, g::build);
        assertEquals("No variables to optimize.", none.getMessage());
        IrException noName = assertThrows(IrException.class,
                () -> new descent.compiler.train.optimizers.GradientDescent(descent.compiler.train.Hyper.of(0.1), false, ""));
        assertEquals("Must specify the optimizer name", noName.getMessage());
    }

    /** Found by an audit of the Java API (2026-11-29): each was accepted, or failed with a Java exception, where a model file gets a diagnostic. */
    @Test
    void misuseIsAnIrExceptionNotAnotherGraph() {
        ModelBuilder g1 = new ModelBuilder("a"), g2 = new ModelBuilder("b");
        Operand x = g1.input("x", DType.F32, 2, 2);
        g2.input("y", DType.F32, 3);
        assertTrue(assertThrows(IrException.class, () -> g2.add(x, x)).getMessage().contains("belongs to another ModelBuilder"));
        assertThrows(IrException.class, () -> g2.tensor(99));
        assertThrows(IrException.class, () -> g1.add(x, null));
        assertThrows(IrException.class, () -> g1.variable("neg", DType.F32, new Initializer.Zeros(), -1, 2));
        assertThrows(IrException.class, () -> g1.input("bad", DType.F32, "1 2"));
        assertThrows(IrException.class, () -> g1.variable("r", DType.I32, new Initializer.RandomNormal(0, 5, 1L), 4));
        assertThrows(IrException.class, () -> g1.variable("h", DType.I32, new Initializer.Constant(0.5, null), 4));
        assertThrows(IrException.class, () -> g1.variable("s", DType.F32, new Initializer.RandomNormal(0, -1, 1L), 4));
        assertThrows(IrException.class, () -> g1.variable("v", DType.F32, new Initializer.VarianceScaling(1, "bogus", "bogus", 1L), 4));
        assertThrows(IrException.class, () -> g1.variable("a b", DType.F32, new Initializer.Zeros(), 4));
        g1.train("s", t -> { });
        assertThrows(IrException.class, () -> g1.train("s", t -> { }));
    }

    /** An output may be an input, a variable or a value named before, as `output x` is in a model file. */
    @Test
    void outputsOfNamedValuesAndSnapshotsOfTheModel() {
        ModelBuilder g = new ModelBuilder("m");
        Operand x = g.input("x", DType.F32, "batch", 2);
        Operand w = g.variable("w", DType.F32, new Initializer.Ones(), 2, 1);
        Operand y = g.name("y", g.relu(x.matmul(w)));
        g.output("x", x);
        g.output("y", y);
        g.output("w", w);
        Model first = g.build();
        assertEquals(List.of("x", "y", "w"), List.copyOf(first.outputs().keySet()));
        g.variable("later", DType.F32, new Initializer.Zeros(), 3);
        g.output("later_out", g.relu(x));
        assertEquals(1, first.variables().size(), "a built model does not change with its builder");
        assertEquals(3, first.outputs().size());
    }

    /** A train block whose body failed is not run again by the next build (it lowered the blocks before it twice). */
    @Test
    void aFailedTrainBodyIsNotRerun() {
        ModelBuilder g = new ModelBuilder("m");
        Operand w = g.variable("w", DType.F32, new Initializer.Ones(), 2);
        Operand loss = g.reduceSum(g.square(w));
        g.train("s", t -> t.minimize(Optimizers.adam(0.1), loss));
        g.train("bad", t -> { throw new IrException("the body failed", null); });
        assertThrows(IrException.class, g::build);
        Model m = g.build();
        assertEquals(List.of("s"), m.trains().stream().map(descent.compiler.ir.TrainStep::name).toList());
        assertEquals(1, m.variables().stream().filter(v -> v.name().startsWith("w/Adam") && !v.name().contains("_1")).count());
    }
}
