package dev.descent.tfgolden;

import dev.descent.tfgolden.G.Axes;
import dev.descent.tfgolden.JsonW.Arr;
import dev.descent.tfgolden.JsonW.Num;
import dev.descent.tfgolden.Train.Slotted;
import dev.descent.tfgolden.Train.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/**
 * Generates tests/src/test/resources/tf-golden/models.json: small whole models trained for 5 steps in
 * TensorFlow, with TF's gradients and TF 1's optimizer updates, each case carrying the same model
 * written in the Descent language.
 *
 * <p>One training step, as TF 1's {@code minimize(loss, global_step=global_step)} orders it (and as a
 * GATE_GRAPH / GATE_OP schedule without races gives it): (1) one session.run computes the loss and
 * every gradient from the pre-step variables; (2) one run applies every variable's update (the
 * optimizer's {@code _apply_dense} / {@code _apply_sparse_duplicate_indices}) with those gradients
 * fed back in; (3) one run of {@code _finish} (Adam's beta powers); (4) one run of
 * {@code global_step += 1}. Then every variable, slot and non-slot variable is read.
 */
final class ModelGolden {
  private ModelGolden() {}

  static final int STEPS = 5;
  static final double TOL = 1e-4;

  // ---------------------------------------------------------------- model definitions

  /** A model input: random per step from {@code gen}, or the given values per step ({@code perStep}). */
  record In(String name, DType dt, long[] shape, String descentType, Case.Gen gen, double[][] perStep) {
    In(String name, DType dt, long[] shape, String descentType, Case.Gen gen) {
      this(name, dt, shape, descentType, gen, null);
    }
  }

  /**
   * The embedding model's ids per step: duplicates in every step, a different set of rows each step
   * (so Adam's non-lazy sparse update and LazyAdam differ), rows 13 and 17 never looked up.
   */
  static final double[][] IDS = {
      {3, 7, 3, 12, 0, 7, 3, 19}, {5, 3, 5, 8, 8, 1, 14, 3}, {19, 2, 2, 7, 11, 2, 6, 0},
      {3, 3, 3, 3, 16, 9, 12, 12}, {7, 18, 4, 4, 10, 3, 7, 15}};

  record VarDef(String name, long[] shape, Case.Gen gen) {}

  /** Where a variable's gradient is TF 1's IndexedSlices (embedding_lookup): the gather output and the ids. */
  record Lookup(String var, Output<?> gatherOut, Output<?> ids, long rows, long cols) {}

  record Fwd(Output<?> loss, Case.SparseXentRule rule, Lookup lookup) {}

  interface Builder {
    Fwd build(G tf, Map<String, Output<?>> in, Map<String, Var> vars);
  }

  record ModelDef(String name, String comment, List<In> inputs, List<VarDef> vars, String body, Builder build) {}

  static final List<ModelDef> MODELS = List.of(
      new ModelDef("logreg", "Logistic regression on 4 features.",
          List.of(new In("x", DType.F32, new long[] {6, 4}, "f32[batch, 4]", Gens.u(-2, 2)),
              new In("y", DType.F32, new long[] {6, 1}, "f32[batch, 1]", Gens.pick(0.0, 1.0))),
          List.of(new VarDef("w", new long[] {4, 1}, Gens.u(-0.5, 0.5)), new VarDef("b", new long[] {1}, Gens.u(-0.1, 0.1))),
          """
          logits = x @ w + b
          loss   = reduce_mean(sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
          """,
          (tf, in, v) -> {
            Output<?> logits = tf.binary("AddV2", tf.matmul(in.get("x"), v.get("w").read(), false, false), v.get("b").read());
            Output<?> loss = tf.reduce("Mean", tf.sigmoidXent(in.get("y"), logits), Axes.all(), false);
            return new Fwd(loss, null, null);
          }),
      new ModelDef("mlp", "A 2-16-3 classifier: relu hidden layer, sparse softmax cross entropy.",
          List.of(new In("x", DType.F32, new long[] {6, 2}, "f32[batch, 2]", Gens.u(-2, 2)),
              new In("labels", DType.I32, new long[] {6}, "i32[batch]", Gens.ints(0, 3))),
          List.of(new VarDef("w1", new long[] {2, 16}, Gens.u(-0.8, 0.8)), new VarDef("b1", new long[] {16}, Gens.u(-0.1, 0.1)),
              new VarDef("w2", new long[] {16, 3}, Gens.u(-0.5, 0.5)), new VarDef("b2", new long[] {3}, Gens.u(-0.1, 0.1))),
          """
          h      = relu(x @ w1 + b1)
          logits = h @ w2 + b2
          loss   = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
          """,
          (tf, in, v) -> {
            Output<?> h = tf.unary("Relu",
                tf.binary("AddV2", tf.matmul(in.get("x"), v.get("w1").read(), false, false), v.get("b1").read()));
            Output<?> logits = tf.binary("AddV2", tf.matmul(h, v.get("w2").read(), false, false), v.get("b2").read());
            GraphOperation xent = tf.op("SparseSoftmaxCrossEntropyWithLogits").addInput(logits).addInput(in.get("labels"))
                .build();
            Output<?> loss = tf.reduce("Mean", xent.output(0), Axes.all(), false);
            return new Fwd(loss, new Case.SparseXentRule(xent.output(0), logits, xent.output(1)), null);
          }),
      new ModelDef("autoencoder", "A 6-3-6 autoencoder: tanh bottleneck, mean squared reconstruction error.",
          List.of(new In("x", DType.F32, new long[] {6, 6}, "f32[batch, 6]", Gens.u(-1, 1))),
          List.of(new VarDef("enc_w", new long[] {6, 3}, Gens.u(-0.6, 0.6)), new VarDef("enc_b", new long[] {3}, Gens.u(-0.1, 0.1)),
              new VarDef("dec_w", new long[] {3, 6}, Gens.u(-0.6, 0.6)), new VarDef("dec_b", new long[] {6}, Gens.u(-0.1, 0.1))),
          """
          code  = tanh(x @ enc_w + enc_b)
          recon = code @ dec_w + dec_b
          loss  = reduce_mean(squared_difference(recon, x))
          """,
          (tf, in, v) -> {
            Output<?> code = tf.unary("Tanh",
                tf.binary("AddV2", tf.matmul(in.get("x"), v.get("enc_w").read(), false, false), v.get("enc_b").read()));
            Output<?> recon = tf.binary("AddV2", tf.matmul(code, v.get("dec_w").read(), false, false), v.get("dec_b").read());
            Output<?> loss = tf.reduce("Mean", tf.binary("SquaredDifference", recon, in.get("x")), Axes.all(), false);
            return new Fwd(loss, null, null);
          }),
      new ModelDef("embedding", "An embedding regression: rows of a [20, 4] table looked up by ids (with duplicates),"
          + " dotted with a weight vector; embedding_lookup gives IndexedSlices gradients.",
          List.of(new In("ids", DType.I32, new long[] {8}, "i32[batch]", null, IDS),
              new In("y", DType.F32, new long[] {8}, "f32[batch]", Gens.u(-1, 1))),
          List.of(new VarDef("emb", new long[] {20, 4}, Gens.u(-0.5, 0.5)), new VarDef("w", new long[] {4}, Gens.u(-1, 1))),
          """
          e    = embedding_lookup(emb, ids)
          pred = reduce_sum(e * w, axis=1)
          loss = reduce_mean(squared_difference(pred, y))
          """,
          (tf, in, v) -> {
            Output<?> gathered = tf.gather(v.get("emb").read(), in.get("ids"), 0);
            Output<?> e = tf.unary("Identity", gathered);
            Output<?> pred = tf.reduce("Sum", tf.binary("Mul", e, v.get("w").read()), Axes.of(1), false);
            Output<?> loss = tf.reduce("Mean", tf.binary("SquaredDifference", pred, in.get("y")), Axes.all(), false);
            return new Fwd(loss, null, new Lookup("emb", gathered, in.get("ids"), 20, 4));
          }));

  // ---------------------------------------------------------------- cases

  record ModelCase(String name, ModelDef model, Supplier<Opt> opt) {}

  static List<ModelCase> all() {
    List<ModelCase> l = new ArrayList<>();
    Map<String, Supplier<Opt>> dense = new LinkedHashMap<>();
    dense.put("gd", () -> new Opt.GradientDescent(0.1));
    dense.put("momentum_nesterov", () -> new Opt.Momentum(0.05, 0.9, true));
    dense.put("adam", () -> new Opt.Adam(0.01, 0.85, 0.99, 1e-7));
    dense.put("adagrad", () -> new Opt.Adagrad(0.1, 0.2));
    dense.put("rmsprop", () -> new Opt.RMSProp(0.01, 0.85, 0.5, 1e-6, false));
    for (ModelDef m : MODELS) {
      if (m.name().equals("embedding")) continue;
      dense.forEach((k, o) -> l.add(new ModelCase(m.name() + "_" + k, m, o)));
    }
    ModelDef emb = MODELS.get(3);
    l.add(new ModelCase("embedding_gd_sparse", emb, () -> new Opt.GradientDescent(0.1)));
    l.add(new ModelCase("embedding_momentum_nesterov_sparse", emb, () -> new Opt.Momentum(0.05, 0.9, true)));
    l.add(new ModelCase("embedding_adagrad_sparse", emb, () -> new Opt.Adagrad(0.1, 0.2)));
    l.add(new ModelCase("embedding_adam_sparse", emb, () -> new Opt.Adam(0.01, 0.85, 0.99, 1e-7)));
    l.add(new ModelCase("embedding_lazy_adam_sparse", emb, () -> new Opt.LazyAdam(0.01, 0.85, 0.99, 1e-7)));
    l.add(new ModelCase("embedding_rmsprop_sparse", emb, () -> new Opt.RMSProp(0.01, 0.85, 0.5, 1e-6, false)));
    return l;
  }

  // ---------------------------------------------------------------- data

  /** Per-step feeds (a new batch every step) and initial values. */
  record Data(List<Map<String, TfGolden.Tensorish>> feeds, Map<String, TfGolden.Tensorish> init) {}

  /** Feeds and initial values depend only on the model (all optimizers train the same start on the same batches). */
  static Data data(ModelDef m) {
    Random r = new Random(42L * 1000003 + ("model:" + m.name()).hashCode());
    List<Map<String, TfGolden.Tensorish>> feeds = new ArrayList<>();
    for (int step = 0; step < STEPS; step++) {
      Map<String, TfGolden.Tensorish> f = new LinkedHashMap<>();
      for (In in : m.inputs()) {
        int n = size(in.shape());
        double[] d = in.perStep() != null ? in.perStep()[step].clone() : in.gen().make(r, n);
        if (d.length != n) throw new IllegalStateException(m.name() + "." + in.name() + ": " + d.length + " values");
        for (int i = 0; i < n; i++) d[i] = TfGolden.roundTo(in.dt(), d[i]);
        f.put(in.name(), new TfGolden.Tensorish(in.dt(), in.shape(), d));
      }
      feeds.add(f);
    }
    Map<String, TfGolden.Tensorish> init = new LinkedHashMap<>();
    for (VarDef v : m.vars()) {
      int n = size(v.shape());
      double[] d = v.gen().make(r, n);
      for (int i = 0; i < n; i++) d[i] = TfGolden.roundTo(DType.F32, d[i]);
      init.put(v.name(), new TfGolden.Tensorish(DType.F32, v.shape(), d));
    }
    return new Data(feeds, init);
  }

  static int size(long[] shape) {
    int n = 1;
    for (long d : shape) n *= (int) d;
    return n;
  }

  // ---------------------------------------------------------------- running

  record StepResult(double loss, Map<String, TfGolden.Tensorish> vars) {}

  static List<StepResult> run(ModelCase c, Data data) {
    Opt opt = c.opt().get();
    ModelDef m = c.model();
    try (Graph g = new Graph()) {
      G tf = new G(g);
      Train t = new Train(tf);
      Map<String, Output<?>> in = new LinkedHashMap<>();
      for (In i : m.inputs()) in.put(i.name(), tf.placeholder(i.dt(), i.shape()));
      Map<String, Var> vars = new LinkedHashMap<>();
      for (VarDef v : m.vars()) vars.put(v.name(), t.variable(v.name(), DType.F32, v.shape(), data.init().get(v.name()).data()));
      t.globalStep = t.variable("global_step", DType.I64, new long[0], new double[] {0});
      Fwd fwd = m.build().build(tf, in, vars);

      // ---- gradients (TF's C++ registry via Graph.addGradients, plus the two TF 1 Python rules)
      List<String> denseNames = new ArrayList<>();
      for (String n : vars.keySet()) if (fwd.lookup() == null || !n.equals(fwd.lookup().var())) denseNames.add(n);
      Output<?>[] xs = new Output<?>[denseNames.size()];
      for (int i = 0; i < xs.length; i++) xs[i] = vars.get(denseNames.get(i)).read();
      Map<String, Output<?>> denseGrads = new LinkedHashMap<>();
      Output<?> sparseValues = null;
      if (fwd.rule() != null) {
        // SparseSoftmaxCrossEntropyWithLogits has no C++ gradient: TF 1's nn_grad.py rule in TF ops.
        Output<?> gLoss = g.addGradients("grad_loss", new Output<?>[] {fwd.loss()}, new Output<?>[] {fwd.rule().loss()},
            null)[0];
        Output<?> backprop = G.out(tf.op("PreventGradient").addInput(fwd.rule().backprop()).build());
        Output<?> gLogits = tf.binary("Mul", tf.expandDims(gLoss, -1), backprop);
        Output<?>[] gs = g.addGradients("grad", new Output<?>[] {fwd.rule().logits()}, xs, new Output<?>[] {gLogits});
        for (int i = 0; i < xs.length; i++) denseGrads.put(denseNames.get(i), gs[i]);
      } else if (fwd.lookup() != null) {
        // TF 1's _GatherV2Grad: IndexedSlices(values = reshape(grad, [size(ids)] + params.shape[1:]),
        // indices = reshape(ids, [size(ids)])); the gradient into the gather output comes from TF.
        Output<?>[] all = Arrays.copyOf(xs, xs.length + 1);
        all[xs.length] = fwd.lookup().gatherOut();
        Output<?>[] gs = g.addGradients("grad", new Output<?>[] {fwd.loss()}, all, null);
        for (int i = 0; i < xs.length; i++) denseGrads.put(denseNames.get(i), gs[i]);
        long n = fwd.lookup().ids().shape().size(0);
        sparseValues = tf.reshape(gs[xs.length], (int) n, (int) fwd.lookup().cols());
      } else {
        Output<?>[] gs = g.addGradients("grad", new Output<?>[] {fwd.loss()}, xs, null);
        for (int i = 0; i < xs.length; i++) denseGrads.put(denseNames.get(i), gs[i]);
      }

      // ---- optimizer: slots per variable (creation order = variable order), updates fed with the gradients
      Map<String, Slotted> slotted = new LinkedHashMap<>();
      for (Var v : vars.values()) slotted.put(v.name(), opt.createSlots(t, v));
      Map<String, Output<?>> gradIn = new LinkedHashMap<>();
      List<GraphOperation> updates = new ArrayList<>();
      Output<?> idxIn = null;
      for (Var v : vars.values()) {
        if (fwd.lookup() != null && v.name().equals(fwd.lookup().var())) {
          Output<?> values = tf.placeholder(DType.F32, new long[] {-1, fwd.lookup().cols()});
          idxIn = tf.placeholder(DType.I32, new long[] {-1});
          gradIn.put(v.name(), values);
          updates.add(opt.sparseWithDuplicates(t, slotted.get(v.name()), values, idxIn));
        } else {
          Output<?> gp = tf.placeholder(DType.F32, v.shape());
          gradIn.put(v.name(), gp);
          updates.add(opt.dense(t, slotted.get(v.name()), gp));
        }
      }
      List<GraphOperation> finish = opt.finish(t);
      GraphOperation gsInc = tf.op("AssignAdd").addInput(t.globalStep.ref()).addInput(tf.scalar(DType.I64, 1))
          .setAttr("use_locking", false).build();

      List<Var> watched = new ArrayList<>();
      for (Slotted s : slotted.values()) {
        watched.add(s.var());
        watched.addAll(s.slots().values());
      }
      watched.addAll(t.nonSlots.values());
      watched.add(t.globalStep);

      List<StepResult> out = new ArrayList<>();
      try (Session s = new Session(g, TfGolden.sessionConfig())) {
        t.initialize(s);
        for (int step = 0; step < STEPS; step++) {
          // (1) loss and gradients from the pre-step state
          Session.Runner r = s.runner();
          List<Tensor> fed = new ArrayList<>();
          for (Map.Entry<String, Output<?>> e : in.entrySet()) {
            TfGolden.Tensorish v = data.feeds().get(step).get(e.getKey());
            Tensor tt = G.tensor(v.dtype(), v.shape(), v.data());
            fed.add(tt);
            r.feed(e.getValue(), tt);
          }
          r.fetch(fwd.loss());
          List<String> order = new ArrayList<>(denseGrads.keySet());
          for (String n : order) r.fetch(denseGrads.get(n));
          if (sparseValues != null) r.fetch(sparseValues);
          double loss;
          Map<String, TfGolden.Tensorish> grads = new LinkedHashMap<>();
          try (Result res = r.run()) {
            loss = TfGolden.read(res.get(0)).data()[0];
            for (int i = 0; i < order.size(); i++) grads.put(order.get(i), TfGolden.read(res.get(i + 1)));
            if (sparseValues != null) grads.put(fwd.lookup().var(), TfGolden.read(res.get(order.size() + 1)));
          } finally {
            fed.forEach(Tensor::close);
          }
          // (2) every variable's update, (3) _finish, (4) global_step += 1
          Map<Output<?>, Tensor> feeds = new HashMap<>();
          for (Map.Entry<String, Output<?>> e : gradIn.entrySet()) {
            TfGolden.Tensorish gv = grads.get(e.getKey());
            for (double x : gv.data()) {
              if (!Double.isFinite(x)) throw new IllegalStateException(c.name() + ": non-finite gradient");
            }
            feeds.put(e.getValue(), G.tensor(gv.dtype(), gv.shape(), gv.data()));
          }
          if (idxIn != null) {
            TfGolden.Tensorish ids = data.feeds().get(step).get(inputName(m, fwd.lookup().ids(), in));
            feeds.put(idxIn, G.tensor(DType.I32, ids.shape(), ids.data()));
          }
          try {
            Train.runTargets(s, feeds, updates);
          } finally {
            feeds.values().forEach(Tensor::close);
          }
          Train.runTargets(s, Map.of(), finish);
          Train.runTargets(s, Map.of(), List.of(gsInc));
          out.add(new StepResult(loss, Train.values(s, watched)));
        }
      }
      return out;
    }
  }

  private static String inputName(ModelDef m, Output<?> o, Map<String, Output<?>> in) {
    for (Map.Entry<String, Output<?>> e : in.entrySet()) if (e.getValue().equals(o)) return e.getKey();
    throw new IllegalStateException("ids are not an input of " + m.name());
  }

  static boolean same(List<StepResult> a, List<StepResult> b) {
    if (a.size() != b.size()) return false;
    for (int i = 0; i < a.size(); i++) {
      if (Double.compare(a.get(i).loss(), b.get(i).loss()) != 0) return false;
      for (String k : a.get(i).vars().keySet()) {
        if (!Arrays.equals(a.get(i).vars().get(k).data(), b.get(i).vars().get(k).data())) return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- Descent text and JSON

  static String descent(ModelCase c, Data d, Opt opt) {
    ModelDef m = c.model();
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(m.comment()).append('\n');
    sb.append("# Golden case ").append(c.name()).append(": initial values are written out; TF trained it for ")
        .append(STEPS).append(" steps.\n");
    sb.append("model ").append(m.name()).append("\n\n");
    for (In in : m.inputs()) sb.append("input ").append(in.name()).append(": ").append(in.descentType()).append('\n');
    sb.append('\n');
    for (VarDef v : m.vars()) {
      sb.append("var ").append(v.name()).append(": f32[");
      for (int i = 0; i < v.shape().length; i++) sb.append(i > 0 ? ", " : "").append(v.shape()[i]);
      sb.append("] = [");
      double[] x = d.init().get(v.name()).data();
      for (int i = 0; i < x.length; i++) sb.append(i > 0 ? ", " : "").append(Float.toString((float) x[i]));
      sb.append("]\n");
    }
    sb.append("var global_step: i64[] = 0 (trainable=false)\n\n");
    sb.append(m.body());
    sb.append("\noutput loss\n\n");
    sb.append("train step {\n  ").append(call(opt)).append(".minimize(loss, global_step=global_step)\n}\n");
    return sb.toString();
  }

  static String call(Opt opt) {
    StringBuilder sb = new StringBuilder(opt.pyClass).append('(');
    int i = 0;
    for (Map.Entry<String, Object> e : opt.hyper.entrySet()) {
      sb.append(i++ > 0 ? ", " : "").append(e.getKey()).append('=');
      sb.append(e.getValue() instanceof Double x ? Double.toString(x) : e.getValue().toString());
    }
    return sb.append(')').toString();
  }

  static Map<String, Object> tensorJson(TfGolden.Tensorish t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dtype", t.dtype().json);
    m.put("shape", Arr.ints(t.shape()));
    m.put("data", new Arr(t.data(), t.dtype()));
    return m;
  }

  static Map<String, Object> caseJson(ModelCase c, Data d, List<StepResult> res) {
    Opt opt = c.opt().get();
    ModelDef m = c.model();
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("name", c.name());
    j.put("model_name", m.name());
    j.put("optimizer", opt.pyClass);
    j.put("tf_class", opt.tfPath);
    j.put("hyper", new LinkedHashMap<>(opt.hyper));
    j.put("model", descent(c, d, opt));
    Map<String, Object> init = new LinkedHashMap<>();
    d.init().forEach((k, v) -> init.put(k, tensorJson(v)));
    init.put("global_step", tensorJson(new TfGolden.Tensorish(DType.I64, new long[0], new double[] {0})));
    j.put("init", init);
    List<Object> feeds = new ArrayList<>();
    for (Map<String, TfGolden.Tensorish> f : d.feeds()) {
      Map<String, Object> fm = new LinkedHashMap<>();
      f.forEach((k, v) -> fm.put(k, tensorJson(v)));
      feeds.add(fm);
    }
    j.put("feeds", feeds);
    j.put("steps", STEPS);
    Map<String, Object> updates = new LinkedHashMap<>();
    boolean sparseModel = m.name().equals("embedding");
    for (VarDef v : m.vars()) {
      updates.put(v.name(), sparseModel && v.name().equals("emb") ? opt.sparseKernel() : opt.denseKernel());
    }
    j.put("updates", updates);
    j.put("grad_source", switch (m.name()) {
      case "mlp" -> "tf-cpp (Graph.addGradients) + TF 1 python rule for SparseSoftmaxCrossEntropyWithLogits built in TF"
          + " ops: expand_dims(grad_loss, -1) * prevent_gradient(backprop)";
      case "embedding" -> "tf-cpp (Graph.addGradients) for w and for the GatherV2 output; emb's gradient built as TF 1's"
          + " _GatherV2Grad IndexedSlices: values = reshape(d_gather_output, [size(ids), 4]), indices = ids";
      default -> "tf-cpp (Graph.addGradients)";
    });
    List<Object> exp = new ArrayList<>();
    for (StepResult r : res) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("loss", new Num(r.loss(), DType.F32));
      Map<String, Object> vars = new LinkedHashMap<>();
      r.vars().forEach((k, v) -> {
        if (v.dtype() == DType.I64) vars.put(k, (long) v.data()[0]);
        else if (v.shape().length == 0) vars.put(k, new Num(v.data()[0], v.dtype()));
        else vars.put(k, new Arr(v.data(), v.dtype()));
      });
      e.put("vars", vars);
      exp.add(e);
    }
    j.put("expected", exp);
    j.put("tolerance", TOL);
    return j;
  }

  static String generate(Pattern filter, List<String> failures) {
    List<Object> cases = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (ModelCase c : all()) {
      if (!names.add(c.name())) throw new IllegalStateException("duplicate case name " + c.name());
      if (filter != null && !filter.matcher(c.name()).find()) continue;
      try {
        Data d = data(c.model());
        List<StepResult> a = run(c, d);
        List<StepResult> b = run(c, d);
        if (!same(a, b)) throw new IllegalStateException("two runs differ (non-deterministic kernel?)");
        cases.add(caseJson(c, d, a));
      } catch (RuntimeException e) {
        failures.add("models/" + c.name() + ": " + e);
        System.err.println("tf-golden: FAILED models/" + c.name() + ": " + e);
      }
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("generator", TfGolden.GENERATOR + "; tf-golden ModelGolden");
    root.put("format", "Each case trains `model` (Descent source; its variables' list initializers equal `init`) for"
        + " `steps` steps; feeds[i] is the batch of step i+1 (keys are the Descent input names). expected[i].loss is the forward loss of step i+1 computed"
        + " BEFORE that step's update (as sess.run([train_op, loss]) returns it); expected[i].vars holds every variable,"
        + " slot (TF 1 names: primary/OptimizerName, primary/OptimizerName_1, ...) and non-slot variable AFTER step i+1,"
        + " flat row-major; scalars are numbers. All gradients of a step are computed from the pre-step variables, then"
        + " all updates, then _finish (beta powers), then global_step += 1."
        + " `tolerance`: |actual - expected| <= tolerance * (1 + |expected|).");
    root.put("cases", cases);
    System.err.println("tf-golden: models: " + cases.size() + " cases");
    return JsonW.write(root);
  }
}
