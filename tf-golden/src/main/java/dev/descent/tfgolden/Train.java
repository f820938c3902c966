package dev.descent.tfgolden;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/**
 * TF 1 graph-mode training state built from raw ops: reference variables ({@code VariableV2}, as TF
 * 1's default {@code tf.Variable} is), their {@code Assign} initializers and {@code var/read}
 * snapshots, optimizer slots and non-slot variables, and the hyperparameter tensors as TF 1's Python
 * makes them.
 */
public final class Train {
  /** One variable: its ref output (what Apply and Scatter ops take), its read snapshot, its initializer. */
  public record Var(String name, DType dtype, long[] shape, Output<?> ref, Output<?> read, GraphOperation init) {
    public int size() {
      int n = 1;
      for (long d : shape) n *= (int) d;
      return n;
    }
  }

  /** A trainable variable with its slots (by TF slot name, in {@code _create_slots} order). */
  public record Slotted(Var var, Map<String, Var> slots) {
    public Var slot(String name) {
      Var v = slots.get(name);
      if (v == null) throw new IllegalStateException("no slot " + name + " on " + var.name());
      return v;
    }
  }

  final G tf;
  /** Non-slot variables by name (Adam's beta1_power, beta2_power), created once per graph. */
  final Map<String, Var> nonSlots = new LinkedHashMap<>();
  /** The user's global_step (int64 scalar), or null. */
  public Var globalStep;
  private final List<GraphOperation> inits = new ArrayList<>();

  public Train(G tf) {
    this.tf = tf;
  }

  /**
   * A reference variable initialized to {@code data}: one value per element (a {@code Const}), or a single
   * fill value ({@code Fill}, so a large slot adds no large constant to the graph).
   */
  public Var variable(String name, DType dt, long[] shape, double[] data) {
    int n = 1;
    for (long d : shape) n *= (int) d;
    if (data.length == 1 && n != 1) {
      int[] dims = new int[shape.length];
      for (int i = 0; i < dims.length; i++) dims[i] = (int) shape[i];
      return variable(name, dt, shape, tf.binary("Fill", tf.i32(dims), tf.scalar(dt, data[0])));
    }
    if (data.length != n) throw new IllegalArgumentException(name + ": " + data.length + " values for " + n + " elements");
    return variable(name, dt, shape, tf.constant(dt, shape, data));
  }

  /** A reference variable whose initializer assigns {@code initialValue} (e.g. a placeholder fed at {@link #initialize}). */
  public Var variable(String name, DType dt, long[] shape, Output<?> initialValue) {
    GraphOperation v = tf.named("VariableV2", name)
        .setAttr("dtype", dt.tf).setAttr("shape", G.shapeOf(shape)).build();
    Output<?> ref = v.output(0);
    GraphOperation init = tf.named("Assign", name + "/Assign").addInput(ref).addInput(initialValue)
        .setAttr("validate_shape", true).setAttr("use_locking", true).build();
    Output<?> read = G.out(tf.named("Identity", name + "/read").addInput(ref).build());
    inits.add(init);
    return new Var(name, dt, shape, ref, read, init);
  }

  /** Non-slot variable (float32 scalar: TF 1 creates it from a Python float). */
  Var nonSlot(String name, double init) {
    return nonSlots.computeIfAbsent(name, k -> variable(k, DType.F32, new long[0], new double[] {init}));
  }

  /**
   * A hyperparameter as the optimizer's kernels see it: {@code ops.convert_to_tensor(python_float)}
   * is float32, then {@code math_ops.cast(t, var.dtype.base_dtype)} (a no-op for float32 variables).
   * So float64 variables get float32-rounded hyperparameters, as in TF 1.
   */
  Output<?> hyper(double pyValue, DType varDtype) {
    Output<?> t = tf.scalar(DType.F32, pyValue);
    return varDtype == DType.F32 ? t : tf.cast(t, varDtype);
  }

  /** A hyperparameter tensor before any cast (float32), e.g. Adam's {@code self._beta1_t} in {@code _finish}. */
  Output<?> hyperF32(double pyValue) {
    return tf.scalar(DType.F32, pyValue);
  }

  /** {@code math_ops.cast(v, dt)} of a variable: its read snapshot, cast if the dtype differs. */
  Output<?> readAs(Var v, DType dt) {
    return v.dtype() == dt ? v.read() : tf.cast(v.read(), dt);
  }

  /** A Python int/float literal meeting a tensor of dtype dt ({@code 1 - beta1_t}): a constant of that dtype. */
  Output<?> lit(double v, DType dt) {
    return tf.scalar(dt, v);
  }

  // ---------------------------------------------------------------- ops used by the optimizers

  Output<?> mul(Output<?> a, Output<?> b) {
    return tf.binary("Mul", a, b);
  }

  Output<?> add(Output<?> a, Output<?> b) {
    return tf.binary("AddV2", a, b);
  }

  Output<?> sub(Output<?> a, Output<?> b) {
    return tf.binary("Sub", a, b);
  }

  Output<?> div(Output<?> a, Output<?> b) {
    return tf.binary("RealDiv", a, b);
  }

  Output<?> gather(Output<?> params, Output<?> indices) {
    return tf.gather(params, indices, 0);
  }

  GraphOperation assign(Var v, Output<?> value) {
    return tf.op("Assign").addInput(v.ref()).addInput(value).setAttr("use_locking", false).build();
  }

  GraphOperation assignSub(Var v, Output<?> value) {
    return tf.op("AssignSub").addInput(v.ref()).addInput(value).setAttr("use_locking", false).build();
  }

  GraphOperation scatter(String type, Var v, Output<?> indices, Output<?> updates) {
    return tf.op(type).addInput(v.ref()).addInput(indices).addInput(updates).setAttr("use_locking", false).build();
  }

  // ---------------------------------------------------------------- running

  /** Runs all variable initializers. */
  public void initialize(Session s) {
    initialize(s, Map.of());
  }

  /** Runs all variable initializers (one session.run), feeding the initial values given as placeholders. */
  public void initialize(Session s, Map<Output<?>, Tensor> feeds) {
    Session.Runner r = s.runner();
    feeds.forEach(r::feed);
    for (GraphOperation op : inits) r.addTarget(op);
    r.run().close();
  }

  /** Runs the given target ops (one session.run) with feeds. */
  static void runTargets(Session s, Map<Output<?>, Tensor> feeds, List<GraphOperation> targets) {
    if (targets.isEmpty()) return;
    Session.Runner r = s.runner();
    feeds.forEach(r::feed);
    for (GraphOperation op : targets) r.addTarget(op);
    r.run().close();
  }

  /** Fetches the current values of the given variables (by their read snapshots), in one session.run. */
  static Map<String, TfGolden.Tensorish> values(Session s, List<Var> vars) {
    Session.Runner r = s.runner();
    for (Var v : vars) r.fetch(v.read());
    Map<String, TfGolden.Tensorish> out = new LinkedHashMap<>();
    try (Result res = r.run()) {
      for (int i = 0; i < vars.size(); i++) out.put(vars.get(i).name(), TfGolden.read(res.get(i)));
    }
    return out;
  }
}
