package descent.compiler.emit;

import static descent.compiler.emit.ElementwiseTestSupport.assertUlps;
import static descent.compiler.emit.ElementwiseTestSupport.compile;
import static descent.compiler.emit.ElementwiseTestSupport.styles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused Adam update, taken from a real model's train step: for each variable, the IR nodes of its new
 * m, v and value are fused into one loop (FusedExpr.maximalLeaves + from), which reads the gradient, the
 * old state and the beta powers and writes m, v and var in place, in one pass. It must give the reference
 * interpreter's bits — the same IR evaluated node by node — and the session's state after the same step.
 */
class ElementwiseAdamTest {
    static final String MODEL = """
            model adam_fused
            input x: f32[16, 33]
            var w: f32[33, 31] = glorot_uniform(seed=1)
            var b: f32[31]     = zeros()
            loss = reduce_mean(tanh(x @ w + b) * tanh(x @ w + b))
            train step { AdamOptimizer(learning_rate=0.01, beta1=0.8, epsilon=1e-7).minimize(loss) }
            """;

    @Test
    void fusedAdamUpdatesMatchTheInterpreterBitwise() {
        Model model = Compiler.check("adam_fused.descent", MODEL);
        Graph g = model.graph();
        TrainStep step = model.train("step");
        float[] xs = new float[16 * 33];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble(-2, 2);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(xs, 16, 33));

        // Two interpreted steps first, so m, v and the beta powers are no longer their initial values.
        Session session = new Session(model, Precision.F32, 0);
        session.train("step", feeds, List.of());
        session.train("step", feeds, List.of());
        Map<String, Tensor> state = new HashMap<>(session.variables());

        Map<String, Integer> newValue = new HashMap<>();
        for (TrainStep.Update u : step.updates()) newValue.put(u.state(), u.value());
        Interpreter interp = new Interpreter(g, Precision.F32);
        session.train("step", feeds, List.of());
        Map<String, Tensor> after = session.variables();

        for (String var : List.of("w", "b")) {
            String m = step.slots().get(var).get("m"), v = step.slots().get(var).get("v");
            List<String> written = List.of(m, v, var);
            List<Integer> outputs = written.stream().map(newValue::get).toList();
            List<Integer> leaves = new ArrayList<>(FusedExpr.maximalLeaves(g, outputs));
            FusedExpr e = FusedExpr.from(g, outputs, leaves);
            assertTrue(e.nodes().size() > 15, "m, v, var and alpha fuse into one expression:\n" + e);
            for (String s : written) assertTrue(leaves.contains(model.variable(s).node()), s + " is read by the loop");

            Map<Integer, Tensor> leafValues = interp.run(feeds, state, leaves);
            List<float[]> expected = new ArrayList<>();
            Map<Integer, Tensor> exp = interp.run(feeds, state, outputs);
            for (int o : outputs) expected.add(exp.get(o).floats());

            for (ElementwiseStyle style : styles()) {
                // Lay every leaf out in one arena, as a backend's buffer plan would; m, v and var are written in place.
                List<Integer> offsets = new ArrayList<>();
                int size = 7;   // an odd start, so no offset is vector-aligned
                for (int leaf : leaves) {
                    offsets.add(size);
                    size += leafValues.get(leaf).size();
                }
                float[] arena = new float[size + 3];
                float[][] in = new float[leaves.size()][];
                int[] inOff = new int[leaves.size()];
                for (int k = 0; k < leaves.size(); k++) {
                    float[] value = leafValues.get(leaves.get(k)).floats();
                    System.arraycopy(value, 0, arena, offsets.get(k), value.length);
                    in[k] = arena;
                    inOff[k] = offsets.get(k);
                }
                float[][] out = {arena, arena, arena};
                int[] outOff = written.stream().mapToInt(s -> offsets.get(leaves.indexOf(model.variable(s).node()))).toArray();
                int n = expected.get(0).length;
                int inner = (int) g.type(outputs.get(0)).shape().dims().getLast().size();
                compile(e, style).run(in, inOff, out, outOff, n, inner);
                for (int j = 0; j < 3; j++) {
                    String what = written.get(j) + " " + style;
                    assertUlps(expected.get(j), arena, outOff[j], n, 0, what + " vs the interpreter");
                    assertUlps(after.get(written.get(j)).floats(), arena, outOff[j], n, 0, what + " vs the session's next step");
                }
            }
        }
    }

    @Test
    void theBetaPowerUpdatesFuseIntoAScalarLoop() {
        Model model = Compiler.check("adam_fused.descent", MODEL);
        TrainStep step = model.train("step");
        Map<String, Integer> newValue = new HashMap<>();
        for (TrainStep.Update u : step.updates()) newValue.put(u.state(), u.value());
        List<Integer> outputs = List.of(newValue.get("beta1_power"), newValue.get("beta2_power"));
        List<Integer> leaves = new ArrayList<>(FusedExpr.maximalLeaves(model.graph(), outputs));
        FusedExpr e = FusedExpr.from(model.graph(), outputs, leaves);
        assertEquals(List.of(InputKind.SCALAR, InputKind.SCALAR), e.inputs());
        Map<String, Tensor> state = new Session(model, Precision.F32, 0).variables();
        Map<Integer, Tensor> leafValues = new Interpreter(model.graph(), Precision.F32).run(Map.of(), state, leaves);
        Map<Integer, Tensor> expected = new Interpreter(model.graph(), Precision.F32).run(Map.of(), state, outputs);
        for (ElementwiseStyle style : styles()) {
            float[][] out = {new float[1], new float[1]};
            compile(e, style).run(leaves.stream().map(l -> leafValues.get(l).floats()).toArray(float[][]::new), new int[2],
                    out, new int[2], 1, 0);
            for (int j = 0; j < 2; j++) assertEquals(expected.get(outputs.get(j)).floats()[0], out[j][0], style + " power " + j);
        }
    }
}
