package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link NoVectorApiBackendTest} in a JVM without {@code --add-modules jdk.incubator.vector}: the
 * compiled backend must still train (on scalar kernels) and agree with the interpreter. Prints OK.
 */
public final class NoVectorApiBackendProbe {
    public static void main(String[] args) {
        Model m = Compiler.check("mlp.descent", """
                model mlp
                input x: f32[batch, 3]
                input labels: i32[batch]
                var w1: f32[3, 8] = glorot_uniform(seed=1)
                var w2: f32[8, 2] = glorot_uniform(seed=2)
                loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=tanh(x @ w1) @ w2))
                train step { AdamOptimizer(0.05).minimize(loss) }
                """);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new float[] {1, 2, 3, -1, 0, 2}, 2, 3), "labels", Tensor.of(new int[] {0, 1}, 2));
        var compiled = new CompiledModel(m).newSession(0);
        var interpreted = new InterpretedModel(m, Precision.F32).newSession(0);
        for (int i = 0; i < 5; i++) {
            compiled.train("step", feeds, List.of());
            interpreted.train("step", feeds, List.of());
        }
        double worst = 0;
        for (var e : interpreted.state().entrySet()) {
            double[] a = e.getValue().toDoubles(), b = compiled.state().get(e.getKey()).toDoubles();
            for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
        }
        System.out.println(worst <= 2e-4 ? "OK" : "differs by " + worst);
    }
}
