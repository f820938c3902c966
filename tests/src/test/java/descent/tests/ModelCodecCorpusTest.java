package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import descent.compiler.ir.ModelCodec;
import descent.compiler.ir.Node;
import descent.runtime.Initializer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A model jar carries its checked model encoded ({@link ModelCodec}) and decodes it instead of checking its file
 * again. Over every example, every model in docs/language.md that checks, and every optimizer dense and sparse:
 * the decoded model equals the checked one (maps in the same order), prints the same training IR, and encodes to
 * the same bytes.
 */
class ModelCodecCorpusTest {
    record Named(String name, Model model) {}

    static List<Named> corpus() {
        List<Named> models = new ArrayList<>();
        for (String ex : List.of("logreg.descent", "mlp.descent", "autoencoder.descent", "embedding.descent", "spiral/spiral.descent")) {
            models.add(new Named(ex, Compiler.check(Path.of(CliTest.ex(ex)))));
        }
        for (LanguageDocTest.Block b : LanguageDocTest.blocks()) {
            if (LanguageDocTest.failure("doc.descent", b.text()) == null) {
                models.add(new Named("docs/language.md:" + b.line(), Compiler.check("doc.descent", b.text())));
            }
        }
        // The layout ops, a dense cross entropy, a leaky relu and noise, with a learning-rate schedule.
        models.add(new Named("layouts", Compiler.check("layouts.descent", """
                model layouts
                input x: f32[batch, 4]
                input t: f32[batch, 6]
                var w: f32[4, 3] = truncated_normal(stddev=0.1, seed=3)
                var global_step: i64[] = 0 (trainable=false)
                h = leaky_relu(x @ w, alpha=0.1)
                both = concat([h, transpose(transpose(h))], 1)
                part = slice(tile(both, [1, 2]), [0, 1], [-1, 6])
                noisy = part + random_normal_like(part, stddev=0.01, seed=4)
                loss = reduce_mean(softmax_cross_entropy_with_logits(labels=t, logits=log_softmax(noisy)))
                output loss
                train step {
                    GradientDescentOptimizer(exponential_decay(0.1, global_step, 10, 0.5)).minimize(loss, global_step=global_step)
                }
                """)));
        for (String opt : CompiledEqualsInterpretedTest.OPTIMIZERS) {
            models.add(new Named(opt, Compiler.check("opt.descent", """
                    model opt
                    input ids: i32[batch]
                    input y: f32[batch]
                    var emb: f32[5, 3] = random_normal(stddev=0.5, seed=1)
                    var w: f32[3, 1] = [[0.5], [-1], [2]]
                    var global_step: i64[] = 0 (trainable=false)
                    pred = reshape(embedding_lookup(emb, ids) @ w, [-1])
                    loss = reduce_mean(square(pred - y))
                    output loss
                    train step { OPT.minimize(loss, global_step=global_step) }
                    """.replace("OPT", opt))));
        }
        return models;
    }

    @TestFactory
    Stream<DynamicTest> everyModelComesBackAsItWasChecked() {
        return corpus().stream().map(n -> DynamicTest.dynamicTest(n.name(), () -> {
            Model m = n.model();
            byte[] bytes = ModelCodec.encode(m);
            Model back = ModelCodec.decode(bytes);
            assertEquals(m.name(), back.name());
            assertEquals(m.graph(), back.graph());
            assertEquals(m.inputs(), back.inputs());
            assertEquals(List.copyOf(m.outputs().entrySet()), List.copyOf(back.outputs().entrySet()), "outputs in order");
            assertEquals(List.copyOf(m.names().entrySet()), List.copyOf(back.names().entrySet()), "names in order");
            assertEquals(m.trains(), back.trains());
            assertEquals(m.variables().size(), back.variables().size());
            for (int i = 0; i < m.variables().size(); i++) {
                Model.VariableInfo a = m.variables().get(i), b = back.variables().get(i);
                // A constant's values are an array, which a record compares by identity.
                if (a.init() instanceof Initializer.Constant ca && b.init() instanceof Initializer.Constant cb) {
                    assertEquals(ca.value(), cb.value());
                    assertTrue(Arrays.equals(ca.values(), cb.values()), a.name());
                    b = new Model.VariableInfo(b.name(), b.node(), b.type(), a.init(), b.trainable(), b.span(), b.role(), b.primary(), b.slotName());
                }
                assertEquals(a, b);
            }
            assertEquals(IrPrinter.printTraining(m), IrPrinter.printTraining(back));
            assertArrayEquals(bytes, ModelCodec.encode(back));
        }));
    }

    /** The corpus is broad: most kinds of op appear in it (the rest are covered one by one in ModelCodecTest). */
    @Test
    void theCorpusUsesMostOps() {
        Set<String> used = new TreeSet<>();
        for (Named n : corpus()) for (Node node : n.model().graph().nodes()) used.add(node.op().getClass().getSimpleName());
        assertTrue(used.size() >= 30, used.toString());
    }
}
