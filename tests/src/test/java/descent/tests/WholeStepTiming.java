package descent.tests;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Median time of one train step of {@link JitProbe#MLP_784} (MLP 784-128-10, batch 64, Adam), compiled
 * and interpreted: 3000 warm steps (the interpreter 20), then five rounds of 2000 (20). A quick check
 * while working on the backend, not a benchmark (issue 6 owns the JMH benchmarks). Run after
 * {@code mvn install} with {@code java --add-modules jdk.incubator.vector -cp <tests/target/test-classes
 * and the tests module's classpath> descent.tests.WholeStepTiming}.
 */
public final class WholeStepTiming {
    public static void main(String[] args) {
        Model m = Compiler.check("mlp784.descent", JitProbe.MLP_784);
        Map<String, Tensor> feeds = JitProbe.mlp784Feeds();
        for (boolean compiled : new boolean[] {true, false}) {
            TrainingSession s = (compiled ? new CompiledModel(m) : new InterpretedModel(m, Precision.F32)).newSession(0);
            int warm = compiled ? 3000 : 20, n = compiled ? 2000 : 20;
            for (int i = 0; i < warm; i++) s.train("step", feeds, List.of());
            long[] t = new long[5];
            for (int k = 0; k < t.length; k++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) s.train("step", feeds, List.of());
                t[k] = (System.nanoTime() - t0) / n;
            }
            Arrays.sort(t);
            System.out.printf("%s: median %.1f us/step (MLP 784-128-10, batch 64, Adam)%n",
                    compiled ? "compiled" : "interpreter", t[2] / 1000.0);
        }
    }
}
