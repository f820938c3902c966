package dev.descent.tfgolden;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.DoubleDataBuffer;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.ndarray.buffer.IntDataBuffer;
import org.tensorflow.ndarray.buffer.LongDataBuffer;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Generates tests/src/test/resources/tf-golden/ops.json: forward values and gradients of single ops
 * (and a few small compositions) computed by TensorFlow's own kernels via TensorFlow Java.
 *
 * <p>Usage: {@code TfGolden <out.json>} with {@code TF_ENABLE_ONEDNN_OPTS=0} in the environment (it
 * must be set before the native library loads). {@code -Dtfgolden.only=REGEX} runs only matching
 * cases and prints their JSON to stdout instead of writing the file. Run via scripts/tf-golden.sh.
 */
public final class TfGolden {
  static final String GENERATOR = "tf-golden (TensorFlow Java 1.1.0, TF_ENABLE_ONEDNN_OPTS=0)";

  record Tensorish(DType dtype, long[] shape, double[] data) {}

  record CaseResult(
      Case c,
      Map<String, Tensorish> inputs,
      Tensorish output,
      Tensorish upstream,
      Map<String, Tensorish> grads,
      String gradSource) {}

  public static void main(String[] args) throws Exception {
    if (!"0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS"))) {
      System.err.println("tf-golden: TF_ENABLE_ONEDNN_OPTS=0 must be set in the environment before the JVM starts"
          + " (oneDNN kernels change the numbers); run scripts/tf-golden.sh");
      System.exit(2);
    }
    String only = System.getProperty("tfgolden.only", "");
    if (args.length != 1 && only.isEmpty()) {
      System.err.println("usage: TfGolden <out.json>   (or -Dtfgolden.only=REGEX to print matching cases)");
      System.exit(2);
    }
    System.err.println("tf-golden: TensorFlow native version " + TensorFlow.version());

    Pattern filter = only.isEmpty() ? null : Pattern.compile(only);
    Set<String> files = new HashSet<>(Arrays.asList(System.getProperty("tfgolden.files", "ops,optimizers,models")
        .trim().split("\\s*,\\s*")));
    Path opsOut = args.length > 0 ? Path.of(args[0]).toAbsolutePath().normalize() : null;

    List<String> failures = new ArrayList<>();
    Map<String, String> outputs = new LinkedHashMap<>();
    if (files.contains("ops")) outputs.put("ops.json", generateOps(filter, failures));
    if (files.contains("optimizers")) outputs.put("optimizers.json", OptimizerGolden.generate(filter, failures));
    if (files.contains("models")) outputs.put("models.json", ModelGolden.generate(filter, failures));
    if (!failures.isEmpty()) {
      System.err.println("tf-golden: " + failures.size() + " case(s) failed; nothing written");
      System.exit(1);
    }
    for (Map.Entry<String, String> e : outputs.entrySet()) {
      if (filter != null) {
        System.out.print(e.getValue());
        continue;
      }
      // ops.json goes where the argument says; the training files go next to it.
      Path out = e.getKey().equals("ops.json") ? opsOut : opsOut.resolveSibling(e.getKey());
      Files.createDirectories(out.getParent());
      Files.writeString(out, e.getValue(), StandardCharsets.UTF_8);
      System.err.println("tf-golden: wrote " + out);
    }
  }

  /** ops.json: forward values and gradients of single ops and small compositions. */
  static String generateOps(Pattern filter, List<String> failures) {
    List<Case> cases = Cases.all();
    Set<String> names = new HashSet<>();
    for (Case c : cases) {
      if (!names.add(c.name)) throw new IllegalStateException("duplicate case name " + c.name);
    }
    List<CaseResult> results = new ArrayList<>();
    for (Case c : cases) {
      if (filter != null && !filter.matcher(c.name).find()) continue;
      try {
        results.add(run(c));
      } catch (RuntimeException e) {
        failures.add(c.name + ": " + e);
        System.err.println("tf-golden: FAILED " + c.name + ": " + e);
      }
    }
    Map<String, Integer> bySource = new LinkedHashMap<>();
    for (CaseResult r : results) bySource.merge(r.gradSource(), 1, Integer::sum);
    System.err.println("tf-golden: ops: " + results.size() + " cases; grad_source counts " + bySource);
    return Json.write(GENERATOR, results);
  }

  static ConfigProto sessionConfig() {
    // One thread each, and no Grappler rewrites: every op runs its own TF kernel, op by op,
    // exactly as the graph was built, and results are reproducible run to run.
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(1)
        .setInterOpParallelismThreads(1)
        .setGraphOptions(GraphOptions.newBuilder()
            .setRewriteOptions(RewriterConfig.newBuilder().setDisableMetaOptimizer(true).build())
            .build())
        .build();
  }

  static double roundTo(DType dt, double v) {
    return switch (dt) {
      case F32 -> (double) (float) v;
      case F64 -> v;
      case I32 -> (double) (int) Math.round(v);
      case I64 -> (double) Math.round(v);
    };
  }

  static CaseResult run(Case c) {
    Random r = new Random(c.seed());
    Map<String, Tensorish> inputs = new LinkedHashMap<>();
    for (Case.Input in : c.inputs) {
      double[] d = in.gen().make(r, in.size());
      if (d.length != in.size()) {
        throw new IllegalStateException("input " + in.name() + " has " + d.length + " values, shape wants " + in.size());
      }
      for (int i = 0; i < d.length; i++) d[i] = roundTo(in.dtype(), d[i]);
      inputs.put(in.name(), new Tensorish(in.dtype(), in.shape(), d));
    }

    try (Graph g = new Graph()) {
      G tf = new G(g);
      Map<String, Output<?>> ph = new LinkedHashMap<>();
      for (Case.Input in : c.inputs) ph.put(in.name(), tf.placeholder(in.dtype(), in.shape()));
      Case.Ctx ctx = new Case.Ctx(tf, ph);
      Output<?> out = c.fwd.build(ctx);

      // 1. Forward only.
      Tensorish output;
      try (Session s = new Session(g, sessionConfig())) {
        Session.Runner run = s.runner();
        List<Tensor> fed = feed(run, ph, inputs);
        try (Result res = run.fetch(out).run()) {
          output = read(res.get(0));
        } finally {
          fed.forEach(Tensor::close);
        }
      }
      checkFinite(c.name + " output", output);

      // 2. Upstream gradient (grad_ys), random in [-1, 1], float32 values.
      double[] upData = Gens.u(-1, 1).make(r, output.data().length);
      for (int i = 0; i < upData.length; i++) upData[i] = (float) upData[i];
      Tensorish upstream = new Tensorish(DType.F32, output.shape(), upData);

      List<Case.Input> gradInputs = new ArrayList<>();
      for (Case.Input in : c.inputs) if (in.grad()) gradInputs.add(in);
      if (!output.dtype().isFloat() || gradInputs.isEmpty()) {
        return new CaseResult(c, inputs, output, upstream, Map.of(), "none");
      }

      // 3. Gradients of sum(output * upstream) w.r.t. the float inputs.
      Output<?> up = tf.placeholder(output.dtype(), output.shape());
      Output<?>[] xs = new Output<?>[gradInputs.size()];
      for (int i = 0; i < xs.length; i++) xs[i] = ph.get(gradInputs.get(i).name());
      Output<?>[] grads;
      String source;
      if (ctx.sparseRule == null) {
        grads = g.addGradients("grad", new Output<?>[] {out}, xs, new Output<?>[] {up});
        source = "tf-cpp";
      } else {
        grads = sparseRuleGradients(tf, ctx.sparseRule, out, up, xs);
        source = "tf-python-rule-in-java";
      }
      for (int i = 0; i < grads.length; i++) {
        if (grads[i] == null) throw new IllegalStateException("no gradient for " + gradInputs.get(i).name());
      }

      Map<String, Tensorish> gradValues = new LinkedHashMap<>();
      try (Session s = new Session(g, sessionConfig())) {
        Session.Runner run = s.runner();
        Map<String, Tensorish> feeds = new LinkedHashMap<>(inputs);
        List<Tensor> fed = feed(run, ph, feeds);
        Tensor upT = G.tensor(output.dtype(), output.shape(), upData);
        fed.add(upT);
        run.feed(up, upT);
        run.fetch(out);
        for (Output<?> gr : grads) run.fetch(gr);
        try (Result res = run.run()) {
          Tensorish again = read(res.get(0));
          if (!Arrays.equals(again.data(), output.data())) {
            throw new IllegalStateException("forward output differs between two runs (non-deterministic kernel?)");
          }
          for (int i = 0; i < grads.length; i++) {
            Case.Input in = gradInputs.get(i);
            Tensorish gt = read(res.get(i + 1));
            if (!Arrays.equals(gt.shape(), in.shape())) {
              throw new IllegalStateException("gradient of " + in.name() + " has shape " + Arrays.toString(gt.shape())
                  + ", input has " + Arrays.toString(in.shape()));
            }
            checkFinite(c.name + " grad " + in.name(), gt);
            gradValues.put(in.name(), gt);
          }
        } finally {
          fed.forEach(Tensor::close);
        }
      }
      return new CaseResult(c, inputs, output, upstream, gradValues, source);
    }
  }

  /**
   * TF 1's Python gradient of SparseSoftmaxCrossEntropyWithLogits (nn_grad.py), built from TF ops:
   * {@code _BroadcastMul(grad_loss, prevent_gradient(op.outputs[1]))}, i.e. {@code
   * expand_dims(grad_loss, -1) * backprop}; labels get none. The rest of the chain (before and after
   * the op) uses TF's C++ gradients.
   */
  static Output<?>[] sparseRuleGradients(G tf, Case.SparseXentRule rule, Output<?> out, Output<?> up, Output<?>[] xs) {
    Graph g = tf.graph;
    Output<?> gLoss = rule.loss().equals(out)
        ? up
        : g.addGradients("grad_loss", new Output<?>[] {out}, new Output<?>[] {rule.loss()}, new Output<?>[] {up})[0];
    Output<?> backprop = G.out(tf.op("PreventGradient").addInput(rule.backprop())
        .setAttr("message", "Currently there is no way to take the second derivative of"
            + " sparse_softmax_cross_entropy_with_logits due to the fused implementation's interaction with tf.gradients()")
        .build());
    Output<?> gLogits = tf.binary("Mul", tf.expandDims(gLoss, -1), backprop);
    Output<?>[] grads = new Output<?>[xs.length];
    for (int i = 0; i < xs.length; i++) {
      grads[i] = xs[i].equals(rule.logits())
          ? gLogits
          : g.addGradients("grad_x" + i, new Output<?>[] {rule.logits()}, new Output<?>[] {xs[i]},
              new Output<?>[] {gLogits})[0];
    }
    return grads;
  }

  static List<Tensor> feed(Session.Runner run, Map<String, Output<?>> ph, Map<String, Tensorish> values) {
    List<Tensor> fed = new ArrayList<>();
    for (Map.Entry<String, Output<?>> e : ph.entrySet()) {
      Tensorish v = values.get(e.getKey());
      Tensor t = G.tensor(v.dtype(), v.shape(), v.data());
      fed.add(t);
      run.feed(e.getValue(), t);
    }
    return fed;
  }

  static Tensorish read(Tensor t) {
    try (t) {
      DType dt = DType.of(t.dataType());
      long[] shape = t.shape().asArray();
      int n = 1;
      for (long d : shape) n *= (int) d;
      double[] out = new double[n];
      switch (dt) {
        case F32 -> {
          FloatDataBuffer b = DataBuffers.ofFloats(n);
          ((TFloat32) t).copyTo(b);
          for (int i = 0; i < n; i++) out[i] = b.getFloat(i);
        }
        case F64 -> {
          DoubleDataBuffer b = DataBuffers.ofDoubles(n);
          ((TFloat64) t).copyTo(b);
          for (int i = 0; i < n; i++) out[i] = b.getDouble(i);
        }
        case I32 -> {
          IntDataBuffer b = DataBuffers.ofInts(n);
          ((TInt32) t).copyTo(b);
          for (int i = 0; i < n; i++) out[i] = b.getInt(i);
        }
        case I64 -> {
          LongDataBuffer b = DataBuffers.ofLongs(n);
          ((TInt64) t).copyTo(b);
          for (int i = 0; i < n; i++) out[i] = b.getLong(i);
        }
      }
      return new Tensorish(dt, shape, out);
    }
  }

  static void checkFinite(String what, Tensorish t) {
    for (double v : t.data()) {
      if (!Double.isFinite(v)) {
        System.err.println("tf-golden: warning: " + what + " has non-finite value " + v);
        return;
      }
    }
  }

  private TfGolden() {}
}
