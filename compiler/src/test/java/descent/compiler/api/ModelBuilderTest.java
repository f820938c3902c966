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
}
