package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.*;
/**
 * Median time of one train step, compiled and interpreted, of the MLP 784-128-10, batch 64, Adam: 3000 warm steps (the interpreter 20), then
 * five rounds of 2000 (20). A quick check while working on the backend (issue 6 owns the JMH benchmarks):
 * {@code java --add-modules jdk.incubator.vector -cp <compiler classes, test classes, dependencies>
 * descent.compiler.backend.WholeStepTiming}.
 */
public final class WholeStepTiming {
  public static void main(String[] a) {
    String text = """
      model mlp
      input x: f32[batch, 784]
      input labels: i32[batch]
      var w1: f32[784, 128] = glorot_uniform(seed=1)
      var b1: f32[128] = zeros()
      var w2: f32[128, 10] = glorot_uniform(seed=2)
      var b2: f32[10] = zeros()
      logits = relu(x @ w1 + b1) @ w2 + b2
      loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
      output loss
      train step { AdamOptimizer(0.001).minimize(loss) }
      """;
    var m = Compiler.check("mlp.descent", text);
    Random r = new Random(1);
    float[] x = new float[64 * 784]; for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    int[] l = new int[64]; for (int i = 0; i < 64; i++) l[i] = r.nextInt(10);
    Map<String, Tensor> feeds = Map.of("x", Tensor.of(x, 64, 784), "labels", Tensor.of(l, 64));
    for (String b : List.of("compiled", "interpreter")) {
      TrainingSession s = (b.equals("compiled") ? new CompiledModel(m) : new InterpretedModel(m, Precision.F32)).newSession(0);
      int warm = b.equals("compiled") ? 3000 : 20, n = b.equals("compiled") ? 2000 : 20;
      for (int i = 0; i < warm; i++) s.train("step", feeds, List.of());
      long[] t = new long[5];
      for (int k = 0; k < 5; k++) { long t0 = System.nanoTime(); for (int i = 0; i < n; i++) s.train("step", feeds, List.of()); t[k] = (System.nanoTime() - t0) / n; }
      Arrays.sort(t);
      System.out.println(b + ": median " + t[2] / 1000.0 + " us/step (MLP 784-128-10, batch 64, Adam)");
    }
  }
}
