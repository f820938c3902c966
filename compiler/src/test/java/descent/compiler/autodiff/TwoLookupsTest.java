package descent.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.interp.RuntimeApiTest;
import descent.compiler.ir.Grad;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.Gradient;
import descent.runtime.api.TrainingSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A table looked up twice, with ids of different shapes ([batch, 3] and [batch]): TF concatenates the two
 * IndexedSlices, so its gradient stays sparse and a sparse update (Momentum here) leaves the rows neither lookup
 * reads untouched. Until 2026-11-29 the two were summed densely, and every row's accumulator decayed.
 */
class TwoLookupsTest {
    private static final String SOURCE = """
            model twice
            input a: i32[batch, 3]
            input c: i32[batch]
            input y: f32[batch]
            var w: f32[7, 2] = random_normal(stddev=0.5, seed=3)
            s = reduce_sum(reduce_sum(embedding_lookup(w, a), axis=1) * embedding_lookup(w, c), axis=1)
            loss = reduce_mean(square(s - y))
            dw = gradients(loss, w)
            train step { MomentumOptimizer(0.1, momentum=0.9).minimize(loss) }
            """;

    private static Map<String, Tensor> feeds() {
        return Map.of("a", Tensor.of(new int[] {0, 1, 1, 3, 0, 2}, 2, 3), "c", Tensor.of(new int[] {1, 4}, 2),
                "y", Tensor.of(new float[] {1, -1}, 2));
    }

    @Test
    void theGradientIsOneIndexedSlicesOfBothLookups() {
        Model m = Compiler.check("twice.descent", SOURCE);
        assertInstanceOf(Grad.Sliced.class, m.trains().get(0).gradients().get(0).grad());
        for (DescentModel model : List.of(new InterpretedModel(m, Precision.F32), new CompiledModel(m))) {
            TrainingSession s = model.newSession(1);
            Gradient.Slices g = (Gradient.Slices) s.computeGradients("step", feeds()).get("w");
            assertEquals(8, g.indices().size(), "2 examples × (3 + 1) ids");
            // Scattered, the slices are the dense gradient the `gradients` call gives.
            float[] dense = new float[14];
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 2; j++) dense[g.indices().ints()[i] * 2 + j] += g.values().floats()[i * 2 + j];
            }
            float[] expected = s.evaluate(feeds(), List.of("dw")).get("dw").floats();
            for (int i = 0; i < 14; i++) assertEquals(expected[i], dense[i], 1e-6, "element " + i);
        }
    }

    /** Row 5 is looked up in the first step only: afterwards a sparse update leaves it and its accumulator alone. */
    @Test
    void rowsNeitherLookupReadsAreUntouched() {
        Model m = Compiler.check("twice.descent", SOURCE);
        TrainingSession interpreted = new InterpretedModel(m, Precision.F32).newSession(1), compiled = new CompiledModel(m).newSession(1);
        Map<String, Tensor> first = Map.of("a", Tensor.of(new int[] {0, 5, 1, 3, 0, 2}, 2, 3), "c", Tensor.of(new int[] {5, 4}, 2),
                "y", Tensor.of(new float[] {1, -1}, 2));
        interpreted.train("step", first, List.of());
        compiled.train("step", first, List.of());
        float[] w5 = row(interpreted.get("w"), 5), momentum5 = row(interpreted.get("w/Momentum"), 5);
        assertTrue(momentum5[0] != 0f, "row 5 was looked up");
        for (int step = 0; step < 3; step++) {
            interpreted.train("step", feeds(), List.of());
            compiled.train("step", feeds(), List.of());
        }
        assertEquals(List.of(w5[0], w5[1]), boxed(row(interpreted.get("w"), 5)), "row 5 is in neither lookup since");
        assertEquals(List.of(momentum5[0], momentum5[1]), boxed(row(interpreted.get("w/Momentum"), 5)));
        RuntimeApiTest.assertClose(interpreted.state(), compiled.state(), 1e-5);
    }

    private static float[] row(Tensor t, int r) { return java.util.Arrays.copyOfRange(t.floats(), r * 2, r * 2 + 2); }

    private static List<Float> boxed(float[] a) { return List.of(a[0], a[1]); }
}
