package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-kernel profile ({@link StepProfile}): on only with {@code -Ddescent.profile=true}, counts runs, resets. */
class StepProfileTest {
    private static final String MODEL = """
            model lin
            input x: f32[batch, 3]
            input y: f32[batch, 1]
            var w: f32[3, 1] = zeros()
            loss = reduce_mean(square(x @ w - y))
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss) }
            """;

    private static final Map<String, Tensor> FEEDS = Map.of("x", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3),
            "y", Tensor.of(new float[] {1, 2}, 2, 1));

    @Test
    void kernelsAreTimedOnlyWhenAskedFor() {
        CompiledModel model = new CompiledModel(Compiler.check("lin.descent", MODEL));
        TrainingSession plain = model.newSession(1);
        plain.train("step", FEEDS, List.of("loss"));
        assertEquals("", CompiledModel.profile(plain));

        String before = System.getProperty("descent.profile");
        System.setProperty("descent.profile", "true");
        try {
            TrainingSession s = model.newSession(1);
            for (int i = 0; i < 7; i++) s.train("step", FEEDS, List.of("loss"));
            String p = CompiledModel.profile(s);
            assertTrue(p.contains("7 runs"), p);
            assertTrue(p.contains("matmul %"), p);
            assertTrue(p.contains("(every timed kernel)"), p);
            CompiledModel.resetProfile(s);
            assertEquals("", CompiledModel.profile(s), "nothing ran since the reset");
            s.train("step", FEEDS, List.of("loss"));
            assertTrue(CompiledModel.profile(s).contains(": 1 run\n"), CompiledModel.profile(s));
            // The timers change no value.
            assertEquals(plain.state().keySet(), s.state().keySet());
        } finally {
            if (before == null) System.clearProperty("descent.profile"); else System.setProperty("descent.profile", before);
        }
    }
}
