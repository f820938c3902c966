package dev.descent.tfgolden;

import dev.descent.tfgolden.Train.Slotted;
import dev.descent.tfgolden.Train.Var;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

/**
 * One TF 1 optimizer, driven op by op as its Python class does it: slots with their initial values
 * (in {@code _create_slots} order, which fixes the {@code _1}, {@code _2} name suffixes), non-slot
 * variables, the dense update ({@code _apply_dense}), the sparse update ({@code _apply_sparse} after
 * the base class's {@code _apply_sparse_duplicate_indices}) and {@code _finish}.
 *
 * <p>Every update reads the hyperparameters as {@link Train#hyper} builds them (float32 constants cast
 * to the variable's dtype). Sources: tensorflow/python/training/*.py and
 * tensorflow/contrib/opt/python/training/*.py (see the README for the commits read).
 */
public abstract class Opt {
  record SlotDef(String slot, double init) {}

  final String pyClass;
  final String tfPath;
  final String defaultName;
  /** Constructor keyword arguments with TF 1 Python names, in constructor order (Double or Boolean). */
  final Map<String, Object> hyper = new LinkedHashMap<>();

  Opt(String pyClass, String tfPath, String defaultName) {
    this.pyClass = pyClass;
    this.tfPath = tfPath;
    this.defaultName = defaultName;
  }

  Opt h(String k, Object v) {
    hyper.put(k, v);
    return this;
  }

  double d(String k) {
    Object v = hyper.get(k);
    if (v == null) throw new IllegalStateException(pyClass + ": no hyperparameter " + k);
    return (Double) v;
  }

  double d(String k, double dflt) {
    Object v = hyper.get(k);
    return v == null ? dflt : (Double) v;
  }

  boolean b(String k) {
    Object v = hyper.get(k);
    return v != null && (Boolean) v;
  }

  abstract List<SlotDef> slots();

  /** Non-slot variables (name, initial value), float32 scalars shared by all variables. */
  List<SlotDef> nonSlots() {
    return List.of();
  }

  public boolean needsGlobalStep() {
    return false;
  }

  /** False only for GradientDescent, which overrides {@code _apply_sparse_duplicate_indices}. */
  boolean dedupSparse() {
    return true;
  }

  public abstract GraphOperation dense(Train t, Slotted v, Output<?> grad);

  /** The sparse update on de-duplicated (values, indices) unless {@link #dedupSparse()} is false. */
  abstract GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices);

  public List<GraphOperation> finish(Train t) {
    return List.of();
  }

  abstract String denseKernel();

  abstract String sparseKernel();

  // ---------------------------------------------------------------- shared machinery

  /** Creates the slot variables of {@code var}, named as TF 1's slot_creator names them. */
  public Slotted createSlots(Train t, Var var) {
    Map<String, Var> slots = new LinkedHashMap<>();
    int k = 0;
    for (SlotDef s : slots()) {
      String name = var.name() + "/" + defaultName + (k == 0 ? "" : "_" + k);
      slots.put(s.slot(), t.variable(name, var.dtype(), var.shape(), new double[] {s.init()}));
      k++;
    }
    for (SlotDef ns : nonSlots()) t.nonSlot(ns.slot(), ns.init());
    return new Slotted(var, slots);
  }

  /**
   * The base class's sparse path: {@code _apply_sparse_duplicate_indices} = {@code unique(indices)}
   * (first-occurrence order) and {@code unsorted_segment_sum(values, positions, n_unique)}, then
   * {@code _apply_sparse}; GradientDescent skips the de-duplication.
   */
  public GraphOperation sparseWithDuplicates(Train t, Slotted v, Output<?> values, Output<?> indices) {
    if (!dedupSparse()) return sparse(t, v, values, indices);
    GraphOperation u = t.tf.op("Unique").addInput(indices).setAttr("out_idx", DataType.DT_INT32).build();
    Output<?> unique = u.output(0);
    Output<?> positions = u.output(1);
    Output<?> n = t.tf.unary("Size", unique); // == array_ops.shape(unique_indices)[0] for a vector
    Output<?> summed = G.out(t.tf.op("UnsortedSegmentSum").addInput(values).addInput(positions).addInput(n).build());
    return sparse(t, v, summed, unique);
  }

  static GraphOperation group(Train t, GraphOperation... ops) {
    GraphOperationBuilder b = t.tf.op("NoOp");
    for (GraphOperation o : ops) b.addControlInput(o);
    return b.build();
  }

  static GraphOperationBuilder in(GraphOperationBuilder b, Output<?>... xs) {
    for (Output<?> x : xs) b.addInput(x);
    return b;
  }

  static GraphOperation apply(Train t, String type, Output<?>... inputs) {
    return in(t.tf.op(type), inputs).setAttr("use_locking", false).build();
  }

  // ================================================================ tf.train

  /** tf.train.GradientDescentOptimizer (gradient_descent.py). */
  public static final class GradientDescent extends Opt {
    public GradientDescent(double lr) {
      super("GradientDescentOptimizer", "tf.train.GradientDescentOptimizer", "GradientDescent");
      h("learning_rate", lr);
    }

    @Override List<SlotDef> slots() {
      return List.of();
    }

    @Override boolean dedupSparse() {
      return false;
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      return apply(t, "ApplyGradientDescent", v.var().ref(), t.hyper(d("learning_rate"), v.var().dtype()), grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      // var.scatter_sub(IndexedSlices(grad.values * lr, grad.indices)): no de-duplication; the
      // ScatterSub kernel applies repeated indices one after another.
      Output<?> delta = t.mul(values, t.hyper(d("learning_rate"), v.var().dtype()));
      return t.scatter("ScatterSub", v.var(), indices, delta);
    }

    @Override String denseKernel() {
      return "ApplyGradientDescent";
    }

    @Override String sparseKernel() {
      return "python-composed: ScatterSub(var, indices, values * lr), indices NOT de-duplicated"
          + " (GradientDescentOptimizer._apply_sparse_duplicate_indices)";
    }
  }

  /** tf.train.MomentumOptimizer (momentum.py). */
  public static final class Momentum extends Opt {
    public Momentum(double lr, double momentum, boolean nesterov) {
      this("MomentumOptimizer", "tf.train.MomentumOptimizer", "Momentum", lr, momentum, nesterov);
    }

    Momentum(String cls, String path, String name, double lr, double momentum, boolean nesterov) {
      super(cls, path, name);
      h("learning_rate", lr).h("momentum", momentum);
      if (nesterov) h("use_nesterov", true);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("momentum", 0.0));
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      return in(t.tf.op("ApplyMomentum"), v.var().ref(), v.slot("momentum").ref(), t.hyper(d("learning_rate"), dt), grad,
          t.hyper(d("momentum"), dt)).setAttr("use_locking", false).setAttr("use_nesterov", b("use_nesterov")).build();
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      return in(t.tf.op("SparseApplyMomentum"), v.var().ref(), v.slot("momentum").ref(), t.hyper(d("learning_rate"), dt),
          values, indices, t.hyper(d("momentum"), dt))
          .setAttr("use_locking", false).setAttr("use_nesterov", b("use_nesterov")).build();
    }

    @Override String denseKernel() {
      return "ApplyMomentum(use_nesterov=" + b("use_nesterov") + ")";
    }

    @Override String sparseKernel() {
      return "SparseApplyMomentum(use_nesterov=" + b("use_nesterov") + ") after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.AdagradOptimizer (adagrad.py). */
  public static final class Adagrad extends Opt {
    public Adagrad(double lr, double iav) {
      super("AdagradOptimizer", "tf.train.AdagradOptimizer", "Adagrad");
      h("learning_rate", lr).h("initial_accumulator_value", iav);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("accumulator", d("initial_accumulator_value")));
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      return apply(t, "ApplyAdagrad", v.var().ref(), v.slot("accumulator").ref(),
          t.hyper(d("learning_rate"), v.var().dtype()), grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      return apply(t, "SparseApplyAdagrad", v.var().ref(), v.slot("accumulator").ref(),
          t.hyper(d("learning_rate"), v.var().dtype()), values, indices);
    }

    @Override String denseKernel() {
      return "ApplyAdagrad";
    }

    @Override String sparseKernel() {
      return "SparseApplyAdagrad after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.AdagradDAOptimizer (adagrad_da.py); reads the user's global_step. */
  public static final class AdagradDA extends Opt {
    public AdagradDA(double lr, double igsav, double l1, double l2) {
      super("AdagradDAOptimizer", "tf.train.AdagradDAOptimizer", "AdagradDA");
      h("learning_rate", lr).h("initial_gradient_squared_accumulator_value", igsav)
          .h("l1_regularization_strength", l1).h("l2_regularization_strength", l2);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("gradient_accumulator", 0.0),
          new SlotDef("gradient_squared_accumulator", d("initial_gradient_squared_accumulator_value")));
    }

    @Override public boolean needsGlobalStep() {
      return true;
    }

    /** {@code _prepare}: {@code identity(global_step) + 1}, then {@code identity} of that per variable. */
    private Output<?> step(Train t) {
      Output<?> onWorker = t.add(t.tf.unary("Identity", t.globalStep.read()), t.tf.scalar(DType.I64, 1));
      return t.tf.unary("Identity", onWorker);
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      return apply(t, "ApplyAdagradDA", v.var().ref(), v.slot("gradient_accumulator").ref(),
          v.slot("gradient_squared_accumulator").ref(), grad, t.hyper(d("learning_rate"), dt),
          t.hyper(d("l1_regularization_strength"), dt), t.hyper(d("l2_regularization_strength"), dt), step(t));
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      return apply(t, "SparseApplyAdagradDA", v.var().ref(), v.slot("gradient_accumulator").ref(),
          v.slot("gradient_squared_accumulator").ref(), values, indices, t.hyper(d("learning_rate"), dt),
          t.hyper(d("l1_regularization_strength"), dt), t.hyper(d("l2_regularization_strength"), dt), step(t));
    }

    @Override String denseKernel() {
      return "ApplyAdagradDA(global_step = identity(global_step) + 1, read before the increment)";
    }

    @Override String sparseKernel() {
      return "SparseApplyAdagradDA after unique + unsorted_segment_sum (global_step = identity(global_step) + 1)";
    }
  }

  /** tf.train.AdamOptimizer (adam.py); base of AdamW, LazyAdam, AdaMax and Nadam. */
  public static class Adam extends Opt {
    public Adam(double lr, double beta1, double beta2, double eps) {
      this("AdamOptimizer", "tf.train.AdamOptimizer", "Adam", lr, beta1, beta2, eps);
    }

    Adam(String cls, String path, String name, double lr, double beta1, double beta2, double eps) {
      super(cls, path, name);
      h("learning_rate", lr).h("beta1", beta1).h("beta2", beta2).h("epsilon", eps);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("m", 0.0), new SlotDef("v", 0.0));
    }

    @Override List<SlotDef> nonSlots() {
      return List.of(new SlotDef("beta1_power", d("beta1")), new SlotDef("beta2_power", d("beta2")));
    }

    Output<?> b1p(Train t, DType dt) {
      return t.readAs(t.nonSlots.get("beta1_power"), dt);
    }

    Output<?> b2p(Train t, DType dt) {
      return t.readAs(t.nonSlots.get("beta2_power"), dt);
    }

    GraphOperation applyAdam(Train t, Slotted v, Output<?> grad, boolean nesterov) {
      DType dt = v.var().dtype();
      return in(t.tf.op("ApplyAdam"), v.var().ref(), v.slot("m").ref(), v.slot("v").ref(), b1p(t, dt), b2p(t, dt),
          t.hyper(d("learning_rate"), dt), t.hyper(d("beta1"), dt), t.hyper(d("beta2"), dt), t.hyper(d("epsilon"), dt),
          grad).setAttr("use_locking", false).setAttr("use_nesterov", nesterov).build();
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      return applyAdam(t, v, grad, false);
    }

    /** adam.py {@code _apply_sparse_shared} with {@code state_ops.scatter_add}: NOT lazy. */
    @Override GraphOperation sparse(Train t, Slotted v, Output<?> grad, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?> lrT = t.hyper(d("learning_rate"), dt);
      Output<?> beta1 = t.hyper(d("beta1"), dt);
      Output<?> beta2 = t.hyper(d("beta2"), dt);
      Output<?> eps = t.hyper(d("epsilon"), dt);
      // lr = lr_t * sqrt(1 - beta2_power) / (1 - beta1_power)
      Output<?> lr = t.div(t.mul(lrT, t.tf.unary("Sqrt", t.sub(t.lit(1, dt), b2p(t, dt)))), t.sub(t.lit(1, dt), b1p(t, dt)));
      Var m = v.slot("m");
      Output<?> mScaled = t.mul(grad, t.sub(t.lit(1, dt), beta1));
      GraphOperation mAssign = t.assign(m, t.mul(m.read(), beta1));
      Output<?> mT = t.tf.withControl(List.of(mAssign), () -> t.scatter("ScatterAdd", m, indices, mScaled).output(0));
      Var vs = v.slot("v");
      Output<?> vScaled = t.mul(t.mul(grad, grad), t.sub(t.lit(1, dt), beta2));
      GraphOperation vAssign = t.assign(vs, t.mul(vs.read(), beta2));
      Output<?> vT = t.tf.withControl(List.of(vAssign), () -> t.scatter("ScatterAdd", vs, indices, vScaled).output(0));
      Output<?> vSqrt = t.tf.unary("Sqrt", vT);
      GraphOperation varUpdate = t.assignSub(v.var(), t.div(t.mul(lr, mT), t.add(vSqrt, eps)));
      return group(t, varUpdate, opOf(mT), opOf(vT));
    }

    /** {@code _finish}: beta powers times beta (float32, uncast), after every update. */
    @Override public List<GraphOperation> finish(Train t) {
      Var b1 = t.nonSlots.get("beta1_power");
      Var b2 = t.nonSlots.get("beta2_power");
      List<GraphOperation> ops = new ArrayList<>();
      ops.add(t.assign(b1, t.mul(b1.read(), t.hyperF32(d("beta1")))));
      ops.add(t.assign(b2, t.mul(b2.read(), t.hyperF32(d("beta2")))));
      return ops;
    }

    @Override String denseKernel() {
      return "ApplyAdam(use_nesterov=false); then beta1_power *= beta1, beta2_power *= beta2 (_finish)";
    }

    @Override String sparseKernel() {
      return "python-composed (adam.py _apply_sparse_shared, not lazy) after unique + unsorted_segment_sum:"
          + " lr = lr_t*sqrt(1-beta2_power)/(1-beta1_power); Assign(m, m*beta1); ScatterAdd(m, idx, g*(1-beta1));"
          + " Assign(v, v*beta2); ScatterAdd(v, idx, (g*g)*(1-beta2)); AssignSub(var, lr*m/(sqrt(v)+epsilon)) on ALL rows;"
          + " then beta powers (_finish)";
    }
  }

  /** tf.train.AdadeltaOptimizer (adadelta.py). */
  public static final class Adadelta extends Opt {
    public Adadelta(double lr, double rho, double eps) {
      super("AdadeltaOptimizer", "tf.train.AdadeltaOptimizer", "Adadelta");
      h("learning_rate", lr).h("rho", rho).h("epsilon", eps);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("accum", 0.0), new SlotDef("accum_update", 0.0));
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      return apply(t, "ApplyAdadelta", v.var().ref(), v.slot("accum").ref(), v.slot("accum_update").ref(),
          t.hyper(d("learning_rate"), dt), t.hyper(d("rho"), dt), t.hyper(d("epsilon"), dt), grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      return apply(t, "SparseApplyAdadelta", v.var().ref(), v.slot("accum").ref(), v.slot("accum_update").ref(),
          t.hyper(d("learning_rate"), dt), t.hyper(d("rho"), dt), t.hyper(d("epsilon"), dt), values, indices);
    }

    @Override String denseKernel() {
      return "ApplyAdadelta";
    }

    @Override String sparseKernel() {
      return "SparseApplyAdadelta after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.RMSPropOptimizer (rmsprop.py). Slot order: rms, mg (centered only), momentum. */
  public static final class RMSProp extends Opt {
    public RMSProp(double lr, double decay, double momentum, double eps, boolean centered) {
      super("RMSPropOptimizer", "tf.train.RMSPropOptimizer", "RMSProp");
      h("learning_rate", lr).h("decay", decay).h("momentum", momentum).h("epsilon", eps);
      if (centered) h("centered", true);
    }

    @Override List<SlotDef> slots() {
      List<SlotDef> s = new ArrayList<>();
      s.add(new SlotDef("rms", 1.0));
      if (b("centered")) s.add(new SlotDef("mg", 0.0));
      s.add(new SlotDef("momentum", 0.0));
      return s;
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      Output<?>[] hp = {t.hyper(d("learning_rate"), dt), t.hyper(d("decay"), dt), t.hyper(d("momentum"), dt),
          t.hyper(d("epsilon"), dt)};
      if (b("centered")) {
        return apply(t, "ApplyCenteredRMSProp", v.var().ref(), v.slot("mg").ref(), v.slot("rms").ref(),
            v.slot("momentum").ref(), hp[0], hp[1], hp[2], hp[3], grad);
      }
      return apply(t, "ApplyRMSProp", v.var().ref(), v.slot("rms").ref(), v.slot("momentum").ref(),
          hp[0], hp[1], hp[2], hp[3], grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?>[] hp = {t.hyper(d("learning_rate"), dt), t.hyper(d("decay"), dt), t.hyper(d("momentum"), dt),
          t.hyper(d("epsilon"), dt)};
      if (b("centered")) {
        return apply(t, "SparseApplyCenteredRMSProp", v.var().ref(), v.slot("mg").ref(), v.slot("rms").ref(),
            v.slot("momentum").ref(), hp[0], hp[1], hp[2], hp[3], values, indices);
      }
      return apply(t, "SparseApplyRMSProp", v.var().ref(), v.slot("rms").ref(), v.slot("momentum").ref(),
          hp[0], hp[1], hp[2], hp[3], values, indices);
    }

    @Override String denseKernel() {
      return b("centered") ? "ApplyCenteredRMSProp" : "ApplyRMSProp";
    }

    @Override String sparseKernel() {
      return (b("centered") ? "SparseApplyCenteredRMSProp" : "SparseApplyRMSProp")
          + " after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.FtrlOptimizer (ftrl.py): ApplyFtrl, or ApplyFtrlV2 when l2_shrinkage > 0. */
  public static final class Ftrl extends Opt {
    public Ftrl(double lr, double lrPower, double iav, double l1, double l2, double shrinkage) {
      super("FtrlOptimizer", "tf.train.FtrlOptimizer", "Ftrl");
      h("learning_rate", lr).h("learning_rate_power", lrPower).h("initial_accumulator_value", iav)
          .h("l1_regularization_strength", l1).h("l2_regularization_strength", l2);
      if (shrinkage != 0) h("l2_shrinkage_regularization_strength", shrinkage);
    }

    private boolean v2() {
      return d("l2_shrinkage_regularization_strength", 0.0) > 0.0;
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("accum", d("initial_accumulator_value")), new SlotDef("linear", 0.0));
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      Output<?> lr = t.hyper(d("learning_rate"), dt);
      Output<?> l1 = t.hyper(d("l1_regularization_strength"), dt);
      Output<?> l2 = t.hyper(d("l2_regularization_strength"), dt);
      Output<?> p = t.hyper(d("learning_rate_power"), dt);
      if (v2()) {
        return apply(t, "ApplyFtrlV2", v.var().ref(), v.slot("accum").ref(), v.slot("linear").ref(), grad, lr, l1, l2,
            t.hyper(d("l2_shrinkage_regularization_strength"), dt), p);
      }
      return apply(t, "ApplyFtrl", v.var().ref(), v.slot("accum").ref(), v.slot("linear").ref(), grad, lr, l1, l2, p);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?> lr = t.hyper(d("learning_rate"), dt);
      Output<?> l1 = t.hyper(d("l1_regularization_strength"), dt);
      Output<?> l2 = t.hyper(d("l2_regularization_strength"), dt);
      Output<?> p = t.hyper(d("learning_rate_power"), dt);
      if (v2()) {
        return apply(t, "SparseApplyFtrlV2", v.var().ref(), v.slot("accum").ref(), v.slot("linear").ref(), values,
            indices, lr, l1, l2, t.hyper(d("l2_shrinkage_regularization_strength"), dt), p);
      }
      return apply(t, "SparseApplyFtrl", v.var().ref(), v.slot("accum").ref(), v.slot("linear").ref(), values, indices,
          lr, l1, l2, p);
    }

    @Override String denseKernel() {
      return v2() ? "ApplyFtrlV2 (multiply_linear_by_lr=false)" : "ApplyFtrl (multiply_linear_by_lr=false)";
    }

    @Override String sparseKernel() {
      return (v2() ? "SparseApplyFtrlV2" : "SparseApplyFtrl") + " after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.ProximalGradientDescentOptimizer (proximal_gradient_descent.py). */
  public static final class ProximalGradientDescent extends Opt {
    public ProximalGradientDescent(double lr, double l1, double l2) {
      super("ProximalGradientDescentOptimizer", "tf.train.ProximalGradientDescentOptimizer", "ProximalGradientDescent");
      h("learning_rate", lr).h("l1_regularization_strength", l1).h("l2_regularization_strength", l2);
    }

    @Override List<SlotDef> slots() {
      return List.of();
    }

    // The ref-variable paths pass the float32 hyperparameter tensors uncast (float32 cases only).
    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      return apply(t, "ApplyProximalGradientDescent", v.var().ref(), t.hyperF32(d("learning_rate")),
          t.hyperF32(d("l1_regularization_strength")), t.hyperF32(d("l2_regularization_strength")), grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      return apply(t, "SparseApplyProximalGradientDescent", v.var().ref(), t.hyperF32(d("learning_rate")),
          t.hyperF32(d("l1_regularization_strength")), t.hyperF32(d("l2_regularization_strength")), values, indices);
    }

    @Override String denseKernel() {
      return "ApplyProximalGradientDescent";
    }

    @Override String sparseKernel() {
      return "SparseApplyProximalGradientDescent after unique + unsorted_segment_sum";
    }
  }

  /** tf.train.ProximalAdagradOptimizer (proximal_adagrad.py). */
  public static final class ProximalAdagrad extends Opt {
    public ProximalAdagrad(double lr, double iav, double l1, double l2) {
      super("ProximalAdagradOptimizer", "tf.train.ProximalAdagradOptimizer", "ProximalAdagrad");
      h("learning_rate", lr).h("initial_accumulator_value", iav)
          .h("l1_regularization_strength", l1).h("l2_regularization_strength", l2);
    }

    @Override List<SlotDef> slots() {
      return List.of(new SlotDef("accumulator", d("initial_accumulator_value")));
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      return apply(t, "ApplyProximalAdagrad", v.var().ref(), v.slot("accumulator").ref(), t.hyper(d("learning_rate"), dt),
          t.hyper(d("l1_regularization_strength"), dt), t.hyper(d("l2_regularization_strength"), dt), grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      DType dt = v.var().dtype();
      return apply(t, "SparseApplyProximalAdagrad", v.var().ref(), v.slot("accumulator").ref(),
          t.hyper(d("learning_rate"), dt), t.hyper(d("l1_regularization_strength"), dt),
          t.hyper(d("l2_regularization_strength"), dt), values, indices);
    }

    @Override String denseKernel() {
      return "ApplyProximalAdagrad";
    }

    @Override String sparseKernel() {
      return "SparseApplyProximalAdagrad after unique + unsorted_segment_sum";
    }
  }

  // ================================================================ tf.contrib.opt

  /**
   * DecoupledWeightDecayExtension (weight_decay_optimizers.py): dense {@code var.assign_sub(wd * var)}
   * (the Python float wd meets var, so it is a constant of var's dtype), sparse
   * {@code scatter_add(var, idx, -wd * gather(var, idx))} on the de-duplicated indices; then, under a
   * control dependency, the base optimizer's update.
   */
  static GraphOperation decayDense(Train t, Slotted v, double wd) {
    Var var = v.var();
    return t.assignSub(var, t.mul(t.lit(wd, var.dtype()), var.read()));
  }

  static GraphOperation decaySparse(Train t, Slotted v, Output<?> indices, double wd) {
    Var var = v.var();
    Output<?> update = t.mul(t.lit(-wd, var.dtype()), t.gather(var.read(), indices));
    return t.scatter("ScatterAdd", var, indices, update);
  }

  /** tf.contrib.opt.AdamWOptimizer. */
  public static final class AdamW extends Adam {
    public AdamW(double wd, double lr, double beta1, double beta2, double eps) {
      super("AdamWOptimizer", "tf.contrib.opt.AdamWOptimizer", "AdamW", lr, beta1, beta2, eps);
      // weight_decay is the first constructor argument
      Map<String, Object> h = new LinkedHashMap<>(hyper);
      hyper.clear();
      hyper.put("weight_decay", wd);
      hyper.putAll(h);
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      GraphOperation decay = decayDense(t, v, d("weight_decay"));
      return t.tf.withControl(List.of(decay), () -> super.dense(t, v, grad));
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> grad, Output<?> indices) {
      GraphOperation decay = decaySparse(t, v, indices, d("weight_decay"));
      return t.tf.withControl(List.of(decay), () -> super.sparse(t, v, grad, indices));
    }

    @Override String denseKernel() {
      return "python-composed: AssignSub(var, weight_decay*var), then (control dependency) ApplyAdam; then beta powers";
    }

    @Override String sparseKernel() {
      return "python-composed after unique + unsorted_segment_sum: ScatterAdd(var, idx, -weight_decay*gather(var, idx))"
          + " on the touched rows, then (control dependency) adam.py's non-lazy sparse Adam; then beta powers";
    }
  }

  /** tf.contrib.opt.MomentumWOptimizer. */
  public static final class MomentumW extends Opt {
    private final Momentum base;

    public MomentumW(double wd, double lr, double momentum, boolean nesterov) {
      super("MomentumWOptimizer", "tf.contrib.opt.MomentumWOptimizer", "MomentumW");
      h("weight_decay", wd).h("learning_rate", lr).h("momentum", momentum);
      if (nesterov) h("use_nesterov", true);
      base = new Momentum(lr, momentum, nesterov);
    }

    @Override List<SlotDef> slots() {
      return base.slots();
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      GraphOperation decay = decayDense(t, v, d("weight_decay"));
      return t.tf.withControl(List.of(decay), () -> base.dense(t, v, grad));
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> values, Output<?> indices) {
      GraphOperation decay = decaySparse(t, v, indices, d("weight_decay"));
      return t.tf.withControl(List.of(decay), () -> base.sparse(t, v, values, indices));
    }

    @Override String denseKernel() {
      return "python-composed: AssignSub(var, weight_decay*var), then (control dependency) " + base.denseKernel();
    }

    @Override String sparseKernel() {
      return "python-composed after unique + unsorted_segment_sum: ScatterAdd(var, idx, -weight_decay*gather(var, idx)),"
          + " then (control dependency) SparseApplyMomentum(use_nesterov=" + b("use_nesterov") + ")";
    }
  }

  /** tf.contrib.opt.LazyAdamOptimizer (lazy_adam_optimizer.py); default name "Adam". */
  public static final class LazyAdam extends Adam {
    public LazyAdam(double lr, double beta1, double beta2, double eps) {
      super("LazyAdamOptimizer", "tf.contrib.opt.LazyAdamOptimizer", "Adam", lr, beta1, beta2, eps);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> grad, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?> lrT = t.hyper(d("learning_rate"), dt);
      Output<?> beta1 = t.hyper(d("beta1"), dt);
      Output<?> beta2 = t.hyper(d("beta2"), dt);
      Output<?> eps = t.hyper(d("epsilon"), dt);
      Output<?> lr = t.div(t.mul(lrT, t.tf.unary("Sqrt", t.sub(t.lit(1, dt), b2p(t, dt)))), t.sub(t.lit(1, dt), b1p(t, dt)));
      Var m = v.slot("m");
      GraphOperation mT = t.scatter("ScatterUpdate", m, indices,
          t.add(t.mul(beta1, t.gather(m.read(), indices)), t.mul(t.sub(t.lit(1, dt), beta1), grad)));
      Var vs = v.slot("v");
      GraphOperation vT = t.scatter("ScatterUpdate", vs, indices,
          t.add(t.mul(beta2, t.gather(vs.read(), indices)), t.mul(t.sub(t.lit(1, dt), beta2), t.tf.unary("Square", grad))));
      Output<?> mSlice = t.gather(mT.output(0), indices);
      Output<?> vSlice = t.gather(vT.output(0), indices);
      Output<?> denom = t.add(t.tf.unary("Sqrt", vSlice), eps);
      GraphOperation varUpdate = t.scatter("ScatterSub", v.var(), indices, t.div(t.mul(lr, mSlice), denom));
      return group(t, varUpdate, mT, vT);
    }

    @Override String denseKernel() {
      return "ApplyAdam (LazyAdam's dense path is Adam's); then beta powers";
    }

    @Override String sparseKernel() {
      return "python-composed (lazy_adam_optimizer.py _apply_sparse) after unique + unsorted_segment_sum:"
          + " ScatterUpdate(m, idx, beta1*gather(m)+(1-beta1)*g); ScatterUpdate(v, idx, beta2*gather(v)+(1-beta2)*square(g));"
          + " ScatterSub(var, idx, lr*gather(m)/(sqrt(gather(v))+epsilon)) on touched rows only; then beta powers";
    }
  }

  /**
   * tf.contrib.opt.AdaMaxOptimizer (adamax.py): dense ApplyAdaMax(var, m, v, beta1_power, lr, beta1,
   * beta2, epsilon, grad); sparse composed in Python, touched rows only; Adam's {@code _finish}.
   */
  public static final class AdaMax extends Adam {
    public AdaMax(double lr, double beta1, double beta2, double eps) {
      super("AdamaxOptimizer", "tf.contrib.opt.AdaMaxOptimizer", "AdaMax", lr, beta1, beta2, eps);
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      DType dt = v.var().dtype();
      return apply(t, "ApplyAdaMax", v.var().ref(), v.slot("m").ref(), v.slot("v").ref(), b1p(t, dt),
          t.hyper(d("learning_rate"), dt), t.hyper(d("beta1"), dt), t.hyper(d("beta2"), dt), t.hyper(d("epsilon"), dt),
          grad);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> grad, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?> b1p = b1p(t, dt);
      Output<?> lrT = t.hyper(d("learning_rate"), dt);
      Output<?> beta1 = t.hyper(d("beta1"), dt);
      Output<?> beta2 = t.hyper(d("beta2"), dt);
      Output<?> eps = t.hyper(d("epsilon"), dt);
      Var m = v.slot("m");
      Output<?> mSlice = t.gather(m.read(), indices);
      Output<?> mTSlice = t.add(t.mul(mSlice, beta1), t.mul(grad, t.sub(t.lit(1, dt), beta1)));
      GraphOperation mT = t.tf.withControl(List.of(opOf(mTSlice)), () -> t.scatter("ScatterUpdate", m, indices, mTSlice));
      Var vs = v.slot("v");
      Output<?> vSlice = t.gather(vs.read(), indices);
      Output<?> vTSlice = t.tf.binary("Maximum", t.mul(vSlice, beta2), t.tf.unary("Abs", grad));
      GraphOperation vT = t.tf.withControl(List.of(opOf(vTSlice)), () -> t.scatter("ScatterUpdate", vs, indices, vTSlice));
      // var_slice = -lr_t / (1 - beta1_power) * (m_t_slice / (v_t_slice + epsilon_t))
      Output<?> varSlice = t.mul(t.div(t.tf.unary("Neg", lrT), t.sub(t.lit(1, dt), b1p)),
          t.div(mTSlice, t.add(vTSlice, eps)));
      GraphOperation varUpdate = t.tf.withControl(List.of(opOf(varSlice)),
          () -> t.scatter("ScatterAdd", v.var(), indices, varSlice));
      return group(t, varUpdate, mT, vT);
    }

    @Override String denseKernel() {
      return "ApplyAdaMax; then beta1_power *= beta1, beta2_power *= beta2 (Adam's _finish)";
    }

    @Override String sparseKernel() {
      return "python-composed (contrib adamax.py _apply_sparse_shared) after unique + unsorted_segment_sum:"
          + " m_slice = gather(m)*beta1 + g*(1-beta1) -> ScatterUpdate(m); v_slice = max(gather(v)*beta2, |g|) ->"
          + " ScatterUpdate(v); ScatterAdd(var, idx, -lr/(1-beta1_power) * (m_slice/(v_slice+epsilon))), touched rows only;"
          + " then beta powers";
    }
  }

  /**
   * tf.contrib.opt.NadamOptimizer (nadam_optimizer.py): dense ApplyAdam(use_nesterov=true); sparse
   * composed (m, v decayed on all rows like Adam, var moved on the touched rows only); default name "Adam".
   */
  public static final class Nadam extends Adam {
    public Nadam(double lr, double beta1, double beta2, double eps) {
      super("NadamOptimizer", "tf.contrib.opt.NadamOptimizer", "Adam", lr, beta1, beta2, eps);
    }

    @Override public GraphOperation dense(Train t, Slotted v, Output<?> grad) {
      return applyAdam(t, v, grad, true);
    }

    @Override GraphOperation sparse(Train t, Slotted v, Output<?> grad, Output<?> indices) {
      DType dt = v.var().dtype();
      Output<?> lrT = t.hyper(d("learning_rate"), dt);
      Output<?> beta1 = t.hyper(d("beta1"), dt);
      Output<?> beta2 = t.hyper(d("beta2"), dt);
      Output<?> eps = t.hyper(d("epsilon"), dt);
      Output<?> lr = t.div(t.mul(lrT, t.tf.unary("Sqrt", t.sub(t.lit(1, dt), b2p(t, dt)))), t.sub(t.lit(1, dt), b1p(t, dt)));
      Var m = v.slot("m");
      Output<?> mScaled = t.mul(grad, t.sub(t.lit(1, dt), beta1));
      GraphOperation mAssign = t.assign(m, t.mul(m.read(), beta1));
      Output<?>[] mOut = t.tf.withControl(List.of(mAssign), () -> {
        Output<?> mT = t.scatter("ScatterAdd", m, indices, mScaled).output(0);
        Output<?> mBar = t.add(mScaled, t.mul(beta1, t.gather(mT, indices)));
        return new Output<?>[] {mT, mBar};
      });
      Var vs = v.slot("v");
      Output<?> vScaled = t.mul(t.mul(grad, grad), t.sub(t.lit(1, dt), beta2));
      GraphOperation vAssign = t.assign(vs, t.mul(vs.read(), beta2));
      Output<?> vT = t.tf.withControl(List.of(vAssign), () -> t.scatter("ScatterAdd", vs, indices, vScaled).output(0));
      Output<?> vSqrt = t.tf.unary("Sqrt", t.gather(vT, indices));
      GraphOperation varUpdate = t.scatter("ScatterAdd", v.var(), indices,
          t.div(t.mul(t.tf.unary("Neg", lr), mOut[1]), t.add(vSqrt, eps)));
      return group(t, varUpdate, opOf(mOut[1]), opOf(vT));
    }

    @Override String denseKernel() {
      return "ApplyAdam(use_nesterov=true); then beta powers (Adam's _finish)";
    }

    @Override String sparseKernel() {
      return "python-composed (contrib nadam_optimizer.py _apply_sparse_shared) after unique + unsorted_segment_sum:"
          + " Assign(m, m*beta1); ScatterAdd(m, idx, g*(1-beta1)); m_bar = g*(1-beta1) + beta1*gather(m);"
          + " Assign(v, v*beta2); ScatterAdd(v, idx, (g*g)*(1-beta2));"
          + " ScatterAdd(var, idx, -lr*m_bar/(sqrt(gather(v))+epsilon)) (m, v decay on ALL rows, var moves on touched rows);"
          + " then beta powers";
    }
  }

  static GraphOperation opOf(Output<?> o) {
    return (GraphOperation) o.op();
  }
}
