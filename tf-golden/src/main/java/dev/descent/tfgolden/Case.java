package dev.descent.tfgolden;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Output;

/**
 * One golden case: a Descent expression, its inputs (with how their data are made), and the TF graph
 * that computes the same thing with the op types TF 1's Python front end would emit.
 */
final class Case {
  /** Makes {@code n} input values from the case's random stream. */
  interface Gen {
    double[] make(Random r, int n);
  }

  /** Builds the forward graph from the input placeholders; returns the output. */
  interface Fwd {
    Output<?> build(Ctx c);
  }

  record Input(String name, DType dtype, long[] shape, Gen gen, boolean grad) {
    int size() {
      int n = 1;
      for (long d : shape) n *= (int) d;
      return n;
    }
  }

  /**
   * A node whose gradient TF's C++ registry lacks (SparseSoftmaxCrossEntropyWithLogits), so its
   * gradient is built in Java from TF ops by TF 1's Python rule: {@code expand_dims(grad_loss, -1) *
   * backprop}, where {@code backprop} is the op's own second output.
   */
  record SparseXentRule(Output<?> loss, Output<?> logits, Output<?> backprop) {}

  /** What a forward builder sees. */
  static final class Ctx {
    final G tf;
    final Map<String, Output<?>> in;
    SparseXentRule sparseRule;

    Ctx(G tf, Map<String, Output<?>> in) {
      this.tf = tf;
      this.in = in;
    }

    Output<?> x(String name) {
      Output<?> o = in.get(name);
      if (o == null) throw new IllegalArgumentException("no input " + name);
      return o;
    }
  }

  final String name;
  final String expr;
  final List<Input> inputs = new ArrayList<>();
  double tolerance = 1e-5;
  Fwd fwd;

  Case(String name, String expr) {
    this.name = name;
    this.expr = expr;
  }

  Case in(String name, DType dt, Gen gen, long... shape) {
    inputs.add(new Input(name, dt, shape, gen, dt.isFloat()));
    return this;
  }

  Case f32(String name, Gen gen, long... shape) {
    return in(name, DType.F32, gen, shape);
  }

  /** A float input that TF 1 gives no gradient (labels under stop_gradient, etc.). */
  Case f32NoGrad(String name, Gen gen, long... shape) {
    inputs.add(new Input(name, DType.F32, shape, gen, false));
    return this;
  }

  Case f64(String name, Gen gen, long... shape) {
    return in(name, DType.F64, gen, shape);
  }

  Case i32(String name, Gen gen, long... shape) {
    return in(name, DType.I32, gen, shape);
  }

  Case i64(String name, Gen gen, long... shape) {
    return in(name, DType.I64, gen, shape);
  }

  Case tol(double t) {
    this.tolerance = t;
    return this;
  }

  Case fwd(Fwd f) {
    this.fwd = f;
    return this;
  }

  /** The per-case seed: 42 mixed with the case name's hash, so adding cases never shifts others. */
  long seed() {
    return 42L * 1_000_003L + name.hashCode();
  }

  Map<String, Input> inputMap() {
    Map<String, Input> m = new LinkedHashMap<>();
    for (Input i : inputs) m.put(i.name, i);
    return m;
  }
}
