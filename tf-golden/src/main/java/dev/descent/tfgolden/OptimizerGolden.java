package dev.descent.tfgolden;

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
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/**
 * Generates tests/src/test/resources/tf-golden/optimizers.json: every TF 1 {@code tf.train} optimizer
 * (and the tf.contrib.opt ones Descent offers) applied to one variable for 5 steps with changing
 * gradients, dense and sparse (IndexedSlices with duplicate indices), recording the variable, every
 * slot, the non-slot variables and global_step after each step.
 *
 * <p>Each step is run as TF 1's {@code apply_gradients} orders it: one session.run of the update ops
 * ({@code _apply_dense}, or {@code _apply_sparse_duplicate_indices} = unique + unsorted_segment_sum +
 * {@code _apply_sparse}), then one of {@code _finish} (Adam's beta powers), then one of
 * {@code global_step += 1}. Splitting the three into separate runs gives exactly the order TF's
 * control dependencies impose, with no room for a read to race an update.
 */
final class OptimizerGolden {
  private OptimizerGolden() {}

  static final double TOL_F32 = 1e-5;
  static final double TOL_F64 = 1e-12;
  static final int STEPS = 5;

  /** Indices per step for a [5, 3] variable: duplicates in every step but one, rows left untouched. */
  static final int[][] IDX_2D = {{1, 3, 1}, {0, 4, 0, 2}, {3, 3, 3}, {2, 0, 4}, {4, 1, 1, 0}};
  /** Indices per step for a [6] variable. */
  static final int[][] IDX_1D = {{1, 4, 1}, {0, 5, 0}, {2, 2}, {3, 1, 5}, {4, 4, 0}};

  record OptCase(String name, Supplier<Opt> opt, DType dt, long[] shape, int[][] indices, boolean zeroRow,
      long globalStepInit, String note) {
    boolean sparse() {
      return indices != null;
    }

    double tol() {
      return dt == DType.F64 ? TOL_F64 : TOL_F32;
    }
  }

  private static final List<OptCase> L = new ArrayList<>();

  private static void c(String name, Supplier<Opt> opt, DType dt, long[] shape, int[][] idx, boolean zero, long gs,
      String note) {
    L.add(new OptCase(name, opt, dt, shape, idx, zero, gs, note));
  }

  private static final long[] S2 = {5, 3};
  private static final long[] S1 = {6};

  /** The standard pair: dense [5,3] and sparse [5,3] with duplicate indices, float32. */
  private static void pair(String base, Supplier<Opt> opt) {
    c(base + "_dense", opt, DType.F32, S2, null, false, 0, null);
    c(base + "_sparse_dup", opt, DType.F32, S2, IDX_2D, false, 0, null);
  }

  static List<OptCase> all() {
    L.clear();
    pair("gd", () -> new Opt.GradientDescent(0.1));
    pair("momentum", () -> new Opt.Momentum(0.05, 0.8, false));
    pair("momentum_nesterov", () -> new Opt.Momentum(0.05, 0.8, true));
    pair("adagrad", () -> new Opt.Adagrad(0.2, 0.3));
    pair("adagrad_da", () -> new Opt.AdagradDA(0.3, 0.2, 0.0, 0.0));
    c("adagrad_da_l1_l2_dense", () -> new Opt.AdagradDA(0.3, 0.2, 0.05, 0.1), DType.F32, S2, null, false, 3,
        "global_step starts at 3, so the kernel sees T = 4, 5, ... (global_step + 1 read before the increment)");
    c("adagrad_da_l1_l2_sparse_dup", () -> new Opt.AdagradDA(0.3, 0.2, 0.05, 0.1), DType.F32, S2, IDX_2D, false, 3,
        "global_step starts at 3, so the kernel sees T = 4, 5, ... (global_step + 1 read before the increment)");
    pair("adam", () -> new Opt.Adam(0.01, 0.8, 0.95, 1e-6));
    pair("adadelta", () -> new Opt.Adadelta(0.5, 0.9, 1e-6));
    pair("rmsprop", () -> new Opt.RMSProp(0.01, 0.8, 0.0, 1e-6, false));
    pair("rmsprop_momentum", () -> new Opt.RMSProp(0.01, 0.8, 0.7, 1e-6, false));
    pair("rmsprop_centered", () -> new Opt.RMSProp(0.01, 0.8, 0.5, 1e-6, true));
    pair("ftrl", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.0, 0.0, 0.0));
    pair("ftrl_l1_l2", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.05, 0.1, 0.0));
    pair("ftrl_l2_shrinkage", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.05, 0.1, 0.2));
    pair("ftrl_power", () -> new Opt.Ftrl(0.1, -0.3, 0.2, 0.05, 0.1, 0.0));
    pair("ftrl_power_shrinkage", () -> new Opt.Ftrl(0.1, -0.7, 0.2, 0.02, 0.05, 0.1));
    pair("proximal_gd", () -> new Opt.ProximalGradientDescent(0.1, 0.0, 0.0));
    pair("proximal_gd_l1_l2", () -> new Opt.ProximalGradientDescent(0.1, 0.05, 0.1));
    pair("proximal_adagrad", () -> new Opt.ProximalAdagrad(0.2, 0.3, 0.0, 0.0));
    pair("proximal_adagrad_l1_l2", () -> new Opt.ProximalAdagrad(0.2, 0.3, 0.05, 0.1));
    pair("adamw", () -> new Opt.AdamW(0.05, 0.01, 0.8, 0.95, 1e-6));
    pair("momentumw", () -> new Opt.MomentumW(0.05, 0.05, 0.8, false));
    pair("momentumw_nesterov", () -> new Opt.MomentumW(0.05, 0.05, 0.8, true));
    pair("lazy_adam", () -> new Opt.LazyAdam(0.01, 0.8, 0.95, 1e-6));
    pair("adamax", () -> new Opt.AdaMax(0.02, 0.8, 0.95, 1e-6));
    pair("nadam", () -> new Opt.Nadam(0.01, 0.8, 0.95, 1e-6));

    // A zero gradient row (dense: row 2 of every step; sparse: values row 1 of every step).
    String zero = "gradient row is exactly zero in every step (dense: row 2; sparse: values row 1)";
    c("adam_dense_zero_row", () -> new Opt.Adam(0.01, 0.8, 0.95, 1e-6), DType.F32, S2, null, true, 0, zero);
    c("adam_sparse_dup_zero_row", () -> new Opt.Adam(0.01, 0.8, 0.95, 1e-6), DType.F32, S2, IDX_2D, true, 0, zero);
    c("lazy_adam_sparse_dup_zero_row", () -> new Opt.LazyAdam(0.01, 0.8, 0.95, 1e-6), DType.F32, S2, IDX_2D, true, 0, zero);
    c("adagrad_sparse_dup_zero_row", () -> new Opt.Adagrad(0.2, 0.3), DType.F32, S2, IDX_2D, true, 0, zero);
    c("rmsprop_centered_dense_zero_row", () -> new Opt.RMSProp(0.01, 0.8, 0.5, 1e-6, true), DType.F32, S2, null, true, 0,
        zero);
    c("ftrl_l1_l2_dense_zero_row", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.05, 0.1, 0.0), DType.F32, S2, null, true, 0, zero);
    c("adadelta_dense_zero_row", () -> new Opt.Adadelta(0.5, 0.9, 1e-6), DType.F32, S2, null, true, 0, zero);
    c("momentum_sparse_dup_zero_row", () -> new Opt.Momentum(0.05, 0.8, false), DType.F32, S2, IDX_2D, true, 0, zero);

    // Rank-1 variables (sparse rows are scalars).
    c("adagrad_sparse_dup_1d", () -> new Opt.Adagrad(0.2, 0.3), DType.F32, S1, IDX_1D, false, 0, null);
    c("ftrl_l1_l2_sparse_dup_1d", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.05, 0.1, 0.0), DType.F32, S1, IDX_1D, false, 0, null);
    c("rmsprop_centered_sparse_dup_1d", () -> new Opt.RMSProp(0.01, 0.8, 0.5, 1e-6, true), DType.F32, S1, IDX_1D, false, 0,
        null);
    c("gd_sparse_dup_1d", () -> new Opt.GradientDescent(0.1), DType.F32, S1, IDX_1D, false, 0, null);

    // float64: hyperparameters are float32 constants cast to float64; Adam's beta powers stay float32.
    String f64 = "float64 variable: TF 1 converts Python-float hyperparameters to float32 tensors and casts them to"
        + " float64 (math_ops.cast), so lr etc. are float32-rounded; non-slot beta powers are float32 variables";
    c("adam_dense_f64", () -> new Opt.Adam(0.01, 0.8, 0.95, 1e-6), DType.F64, S2, null, false, 0, f64);
    c("adam_sparse_dup_f64", () -> new Opt.Adam(0.01, 0.8, 0.95, 1e-6), DType.F64, S2, IDX_2D, false, 0, f64);
    c("momentum_nesterov_dense_f64", () -> new Opt.Momentum(0.05, 0.8, true), DType.F64, S2, null, false, 0, f64);
    c("adagrad_sparse_dup_f64", () -> new Opt.Adagrad(0.2, 0.3), DType.F64, S2, IDX_2D, false, 0, f64);
    c("rmsprop_centered_dense_f64", () -> new Opt.RMSProp(0.01, 0.8, 0.5, 1e-6, true), DType.F64, S2, null, false, 0, f64);
    c("ftrl_l1_l2_dense_f64", () -> new Opt.Ftrl(0.1, -0.5, 0.2, 0.05, 0.1, 0.0), DType.F64, S2, null, false, 0, f64);
    c("adadelta_dense_f64", () -> new Opt.Adadelta(0.5, 0.9, 1e-6), DType.F64, S2, null, false, 0, f64);
    c("gd_sparse_dup_f64", () -> new Opt.GradientDescent(0.1), DType.F64, S2, IDX_2D, false, 0, f64);
    c("adamw_dense_f64", () -> new Opt.AdamW(0.05, 0.01, 0.8, 0.95, 1e-6), DType.F64, S2, null, false, 0,
        f64 + "; AdamW's weight_decay meets var as a Python float, so it is an exact float64 constant");
    return List.copyOf(L);
  }

  // ---------------------------------------------------------------- data

  record Step(double[] grad, long[] gradShape, int[] indices) {}

  record Data(double[] init, List<Step> steps) {}

  static Data data(OptCase c) {
    Random r = new Random(42L * 1000003 + c.name().hashCode());
    int n = 1;
    for (long d : c.shape()) n *= (int) d;
    int cols = n / (int) c.shape()[0];
    double[] init = round(c.dt(), Gens.u(-1, 1).make(r, n));
    List<Step> steps = new ArrayList<>();
    for (int s = 0; s < STEPS; s++) {
      if (c.sparse()) {
        int[] idx = c.indices()[s];
        double[] g = round(c.dt(), Gens.u(-1, 1).make(r, idx.length * cols));
        if (c.zeroRow()) Arrays.fill(g, cols, 2 * cols, 0.0);
        long[] shape = c.shape().length == 1 ? new long[] {idx.length} : new long[] {idx.length, cols};
        steps.add(new Step(g, shape, idx));
      } else {
        double[] g = round(c.dt(), Gens.u(-1, 1).make(r, n));
        if (c.zeroRow()) Arrays.fill(g, 2 * cols, 3 * cols, 0.0);
        steps.add(new Step(g, c.shape(), null));
      }
    }
    return new Data(init, steps);
  }

  private static double[] round(DType dt, double[] d) {
    for (int i = 0; i < d.length; i++) d[i] = TfGolden.roundTo(dt, d[i]);
    return d;
  }

  // ---------------------------------------------------------------- running

  /** Values after each step: var, slots (by slot name), non-slots, global_step. */
  record StepResult(double[] var, Map<String, double[]> slots, Map<String, Double> nonSlots, Long globalStep) {}

  static List<StepResult> run(OptCase c, Data data) {
    Opt opt = c.opt().get();
    try (Graph g = new Graph()) {
      G tf = new G(g);
      Train t = new Train(tf);
      Var var = t.variable("var", c.dt(), c.shape(), data.init());
      if (opt.needsGlobalStep()) {
        t.globalStep = t.variable("global_step", DType.I64, new long[0], new double[] {c.globalStepInit()});
      }
      Slotted sv = opt.createSlots(t, var);
      Output<?> grad;
      Output<?> idx = null;
      GraphOperation update;
      if (c.sparse()) {
        long[] vshape = c.shape().clone();
        vshape[0] = -1;
        grad = tf.placeholder(c.dt(), vshape);
        idx = tf.placeholder(DType.I32, new long[] {-1});
        update = opt.sparseWithDuplicates(t, sv, grad, idx);
      } else {
        grad = tf.placeholder(c.dt(), c.shape());
        update = opt.dense(t, sv, grad);
      }
      List<GraphOperation> finish = opt.finish(t);
      GraphOperation gsInc = t.globalStep == null ? null
          : tf.op("AssignAdd").addInput(t.globalStep.ref()).addInput(tf.scalar(DType.I64, 1))
              .setAttr("use_locking", false).build();

      List<Var> watched = new ArrayList<>();
      watched.add(var);
      watched.addAll(sv.slots().values());
      watched.addAll(t.nonSlots.values());
      if (t.globalStep != null) watched.add(t.globalStep);

      List<StepResult> out = new ArrayList<>();
      try (Session s = new Session(g, TfGolden.sessionConfig())) {
        t.initialize(s);
        for (Step st : data.steps()) {
          Map<Output<?>, Tensor> feeds = new HashMap<>();
          feeds.put(grad, G.tensor(c.dt(), st.gradShape(), st.grad()));
          if (idx != null) {
            double[] id = new double[st.indices().length];
            for (int i = 0; i < id.length; i++) id[i] = st.indices()[i];
            feeds.put(idx, G.tensor(DType.I32, new long[] {id.length}, id));
          }
          try {
            Train.runTargets(s, feeds, List.of(update));
          } finally {
            feeds.values().forEach(Tensor::close);
          }
          Train.runTargets(s, Map.of(), finish);
          if (gsInc != null) Train.runTargets(s, Map.of(), List.of(gsInc));
          Map<String, TfGolden.Tensorish> vals = Train.values(s, watched);
          Map<String, double[]> slots = new LinkedHashMap<>();
          for (Map.Entry<String, Var> e : sv.slots().entrySet()) slots.put(e.getKey(), vals.get(e.getValue().name()).data());
          Map<String, Double> ns = new LinkedHashMap<>();
          for (String k : t.nonSlots.keySet()) ns.put(k, vals.get(k).data()[0]);
          Long gs = t.globalStep == null ? null : (long) vals.get("global_step").data()[0];
          for (double[] d : slots.values()) checkFinite(c.name(), d);
          checkFinite(c.name(), vals.get("var").data());
          out.add(new StepResult(vals.get("var").data(), slots, ns, gs));
        }
      }
      return out;
    }
  }

  private static void checkFinite(String name, double[] d) {
    for (double v : d) if (!Double.isFinite(v)) throw new IllegalStateException(name + ": non-finite value " + v);
  }

  static boolean same(List<StepResult> a, List<StepResult> b) {
    if (a.size() != b.size()) return false;
    for (int i = 0; i < a.size(); i++) {
      StepResult x = a.get(i), y = b.get(i);
      if (!Arrays.equals(x.var(), y.var()) || !x.nonSlots().equals(y.nonSlots())
          || !java.util.Objects.equals(x.globalStep(), y.globalStep())) return false;
      for (String k : x.slots().keySet()) if (!Arrays.equals(x.slots().get(k), y.slots().get(k))) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- JSON

  static Map<String, Object> caseJson(OptCase c, Data data, List<StepResult> res) {
    Opt opt = c.opt().get();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", c.name());
    m.put("optimizer", opt.pyClass);
    m.put("tf_class", opt.tfPath);
    m.put("hyper", new LinkedHashMap<>(opt.hyper));
    m.put("dtype", c.dt().json);
    m.put("sparse", c.sparse());
    m.put("var_init", tensor(c.shape(), data.init(), c.dt()));
    Map<String, Object> slotInit = new LinkedHashMap<>();
    for (Opt.SlotDef s : opt.slots()) slotInit.put(s.slot(), new Num(s.init(), c.dt()));
    m.put("slot_init", slotInit);
    Map<String, Object> slotVarNames = new LinkedHashMap<>();
    int k = 0;
    for (Opt.SlotDef s : opt.slots()) {
      slotVarNames.put(s.slot(), "var/" + opt.defaultName + (k == 0 ? "" : "_" + k));
      k++;
    }
    m.put("slot_variable_names", slotVarNames);
    if (!opt.nonSlots().isEmpty()) {
      Map<String, Object> ns = new LinkedHashMap<>();
      for (Opt.SlotDef s : opt.nonSlots()) ns.put(s.slot(), new Num(s.init(), DType.F32));
      m.put("nonslot_init", ns);
      m.put("nonslot_dtype", "f32");
    }
    if (opt.needsGlobalStep()) m.put("global_step_init", c.globalStepInit());
    List<Object> steps = new ArrayList<>();
    for (int i = 0; i < res.size(); i++) {
      Step st = data.steps().get(i);
      StepResult r = res.get(i);
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("grad", tensor(st.gradShape(), st.grad(), c.dt()));
      if (st.indices() != null) sm.put("indices", Arr.ints(st.indices()));
      Map<String, Object> exp = new LinkedHashMap<>();
      exp.put("var", new Arr(r.var(), c.dt()));
      Map<String, Object> slots = new LinkedHashMap<>();
      r.slots().forEach((n, d) -> slots.put(n, new Arr(d, c.dt())));
      exp.put("slots", slots);
      if (!r.nonSlots().isEmpty()) {
        Map<String, Object> ns = new LinkedHashMap<>();
        r.nonSlots().forEach((n, d) -> ns.put(n, new Num(d, DType.F32)));
        exp.put("nonslot", ns);
      }
      if (r.globalStep() != null) exp.put("global_step", r.globalStep());
      sm.put("expected", exp);
      steps.add(sm);
    }
    m.put("steps", steps);
    m.put("tolerance", c.tol());
    m.put("kernel", c.sparse() ? opt.sparseKernel() : opt.denseKernel());
    if (c.note() != null) m.put("note", c.note());
    return m;
  }

  static Map<String, Object> tensor(long[] shape, double[] data, DType dt) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("shape", Arr.ints(shape));
    t.put("data", new Arr(data, dt));
    return t;
  }

  /** Runs the cases (each twice: the two runs must agree bit for bit) and returns the file's JSON. */
  static String generate(Pattern filter, List<String> failures) {
    List<Object> cases = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (OptCase c : all()) {
      if (!names.add(c.name())) throw new IllegalStateException("duplicate case name " + c.name());
      if (filter != null && !filter.matcher(c.name()).find()) continue;
      try {
        Data d = data(c);
        List<StepResult> a = run(c, d);
        List<StepResult> b = run(c, d);
        if (!same(a, b)) throw new IllegalStateException("two runs differ (non-deterministic kernel?)");
        cases.add(caseJson(c, d, a));
      } catch (RuntimeException e) {
        failures.add("optimizers/" + c.name() + ": " + e);
        System.err.println("tf-golden: FAILED optimizers/" + c.name() + ": " + e);
      }
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("generator", TfGolden.GENERATOR + "; tf-golden OptimizerGolden");
    root.put("format", "Each case applies one TF 1 optimizer to one variable `var` for its steps. Per step: `grad` (dense"
        + " gradient, or the IndexedSlices values when `indices` is present) is applied as TF 1's apply_gradients does:"
        + " update ops, then _finish (beta powers), then global_step += 1 (AdagradDA only). `expected` holds the values"
        + " AFTER the step: var and slots flat row-major (slot keys are TF slot names; `slot_variable_names` gives TF's"
        + " variable names for them), non-slot variables (float32 scalars) and global_step. `hyper` are the TF 1 Python"
        + " constructor keywords, except AdagradDA's global_step argument: an int64 variable starting at `global_step_init`,"
        + " incremented after each step. Non-slot values are float32. `tolerance`: |actual - expected| <= tolerance * (1 + |expected|).");
    root.put("cases", cases);
    System.err.println("tf-golden: optimizers: " + cases.size() + " cases");
    return JsonW.write(root);
  }
}
