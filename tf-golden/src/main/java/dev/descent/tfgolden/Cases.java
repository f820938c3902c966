package dev.descent.tfgolden;

import static dev.descent.tfgolden.Gens.awayFromZero;
import static dev.descent.tfgolden.Gens.ints;
import static dev.descent.tfgolden.Gens.oneHotLabels;
import static dev.descent.tfgolden.Gens.pick;
import static dev.descent.tfgolden.Gens.softLabels;
import static dev.descent.tfgolden.Gens.u;
import static dev.descent.tfgolden.Gens.unit;
import static dev.descent.tfgolden.Gens.vals;
import static dev.descent.tfgolden.Gens.with;

import dev.descent.tfgolden.G.Axes;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;

/**
 * The golden cases. Each forward graph uses the op types that TF 1's Python API emits for the
 * Descent expression (e.g. {@code a / b} on floats is RealDiv, {@code reduce_logsumexp} is TF 1's
 * max-shifted composition, {@code sigmoid_cross_entropy_with_logits} is TF 1's Select/Log1p/Exp
 * composition, {@code embedding_lookup} is GatherV2 + Identity).
 */
final class Cases {
  private Cases() {}

  /** Tolerances: exact or single-rounding ops; transcendental ops, reductions, matmuls; float64. */
  static final double EXACT = 1e-5;
  static final double TRANS = 1e-4;
  static final double F64 = 1e-10;

  private static final List<Case> L = new ArrayList<>();

  private static Case c(String name, String expr) {
    Case c = new Case(name, expr);
    L.add(c);
    return c;
  }

  static List<Case> all() {
    L.clear();
    binaryOps();
    unaryOps();
    matmuls();
    reductions();
    shapeOps();
    nnOps();
    gathers();
    misc();
    compositions();
    return List.copyOf(L);
  }

  // ------------------------------------------------------------------ binary, with broadcasting

  /** One binary op over the standard broadcasting patterns. */
  private static void binary(String base, String expr, String tfOp, double tol, Case.Gen ga, Case.Gen gb,
      boolean rank3) {
    long[][][] shapes = {
        {{2, 3}, {2, 3}},
        {{2, 3}, {3}},
        {{2, 1}, {1, 3}},
        {{}, {2, 3}},
        {{2, 3}, {}},
    };
    String[] suffix = {"same_shape", "bcast_row", "bcast_outer", "scalar_lhs", "scalar_rhs"};
    for (int i = 0; i < shapes.length; i++) {
      c(base + "_" + suffix[i], expr).f32("a", ga, shapes[i][0]).f32("b", gb, shapes[i][1]).tol(tol)
          .fwd(x -> x.tf.binary(tfOp, x.x("a"), x.x("b")));
    }
    if (rank3) {
      c(base + "_bcast_rank3", expr).f32("a", ga, 2, 1, 3).f32("b", gb, 4, 1).tol(tol)
          .fwd(x -> x.tf.binary(tfOp, x.x("a"), x.x("b")));
    }
  }

  private static void binaryOps() {
    binary("add", "a + b", "AddV2", EXACT, u(), u(), true);
    binary("sub", "a - b", "Sub", EXACT, u(), u(), true);
    binary("mul", "a * b", "Mul", EXACT, u(), u(), true);
    binary("div", "a / b", "RealDiv", EXACT, u(), awayFromZero(0.5, 2), true);
    binary("maximum", "maximum(a, b)", "Maximum", EXACT, u(), u(), false);
    binary("minimum", "minimum(a, b)", "Minimum", EXACT, u(), u(), false);
    binary("pow", "pow(a, b)", "Pow", TRANS, u(0.2, 2), u(-2, 2), false);
    binary("squared_difference", "squared_difference(a, b)", "SquaredDifference", EXACT, u(), u(), true);

    // f64 variants.
    c("add_f64_bcast_row", "a + b").f64("a", u(), 2, 3).f64("b", u(), 3).tol(F64)
        .fwd(x -> x.tf.binary("AddV2", x.x("a"), x.x("b")));
    c("mul_f64_bcast_outer", "a * b").f64("a", u(), 3, 1).f64("b", u(), 1, 2).tol(F64)
        .fwd(x -> x.tf.binary("Mul", x.x("a"), x.x("b")));
    c("div_f64_same_shape", "a / b").f64("a", u(), 2, 3).f64("b", awayFromZero(0.5, 2), 2, 3).tol(F64)
        .fwd(x -> x.tf.binary("RealDiv", x.x("a"), x.x("b")));

    // Ties: TF gives the whole gradient to a (maximum: a >= b; minimum: a <= b).
    Case.Gen ta = vals(1.5, -0.25, 0.0, 2.0, -1.0, 0.75);
    Case.Gen tb = vals(1.5, 0.5, 0.0, -2.0, -1.0, 1.25);
    c("maximum_ties", "maximum(a, b)").f32("a", ta, 2, 3).f32("b", tb, 2, 3)
        .fwd(x -> x.tf.binary("Maximum", x.x("a"), x.x("b")));
    c("minimum_ties", "minimum(a, b)").f32("a", ta, 2, 3).f32("b", tb, 2, 3)
        .fwd(x -> x.tf.binary("Minimum", x.x("a"), x.x("b")));
    // Broadcast ties: b [3] ties with some elements of each row; b's gradient sums the non-tied rows.
    c("maximum_ties_bcast_row", "maximum(a, b)")
        .f32("a", vals(0.5, 1.0, -1.0, 0.5, 2.0, -1.0), 2, 3).f32("b", vals(0.5, 1.0, -1.0), 3)
        .fwd(x -> x.tf.binary("Maximum", x.x("a"), x.x("b")));
    c("minimum_ties_bcast_row", "minimum(a, b)")
        .f32("a", vals(0.5, 1.0, -1.0, 0.5, 2.0, -1.5), 2, 3).f32("b", vals(0.5, 1.0, -1.0), 3)
        .fwd(x -> x.tf.binary("Minimum", x.x("a"), x.x("b")));
    // relu-like: maximum(x, 0) with a scalar zero and exact zeros in x.
    c("maximum_scalar_zero_ties", "maximum(a, b)")
        .f32("a", vals(-1.0, 0.0, 1.0, 0.0, -0.5, 2.0), 2, 3).f32("b", vals(0.0))
        .fwd(x -> x.tf.binary("Maximum", x.x("a"), x.x("b")));

    // pow: negative bases with integer-valued exponents; TF's d/db uses log(a) only where a > 0 (else 0).
    c("pow_negative_base_int_exponent", "pow(a, b)")
        .f32("a", vals(-2.0, -1.5, -0.5, -1.0, 1.5, -1.25), 2, 3)
        .f32("b", vals(2.0, 3.0, -1.0, 4.0, 2.0, -2.0), 2, 3).tol(TRANS)
        .fwd(x -> x.tf.binary("Pow", x.x("a"), x.x("b")));
    c("pow_negative_base_scalar_exponent", "pow(a, b)")
        .f32("a", vals(-2.0, -0.5, 0.75, -1.25, 1.5, -1.0), 2, 3).f32("b", vals(3.0)).tol(TRANS)
        .fwd(x -> x.tf.binary("Pow", x.x("a"), x.x("b")));
    // a == 0 with positive integer exponents (1 gives d/da = 1, 2 and 3 give 0; d/db = 0 at a = 0).
    c("pow_zero_base", "pow(a, b)")
        .f32("a", vals(0.0, 0.0, 0.0, 1.5, -2.0, 0.5), 2, 3)
        .f32("b", vals(1.0, 2.0, 3.0, 0.5, 2.0, 0.0), 2, 3).tol(TRANS)
        .fwd(x -> x.tf.binary("Pow", x.x("a"), x.x("b")));
  }

  // ------------------------------------------------------------------ unary

  private static void unary(String name, String fn, String tfOp, double tol, Case.Gen g, long... shape) {
    c(name, fn + "(x)").f32("x", g, shape).tol(tol).fwd(x -> x.tf.unary(tfOp, x.x("x")));
  }

  private static void unaryOps() {
    unary("negative", "negative", "Neg", EXACT, u(), 2, 3);
    unary("abs", "abs", "Abs", EXACT, with(u(), 1, 0.0, 4, 0.0), 2, 3);
    unary("abs_rank3_zeros", "abs", "Abs", EXACT, with(u(), 0, 0.0, 5, -0.0, 7, 0.0), 2, 2, 2);
    unary("sign", "sign", "Sign", EXACT, with(u(), 0, 0.0, 3, 0.0), 2, 3);
    unary("square", "square", "Square", EXACT, u(), 2, 3);
    unary("square_rank1", "square", "Square", EXACT, u(-3, 3), 5);
    unary("sqrt", "sqrt", "Sqrt", EXACT, u(0.05, 4), 2, 3);
    unary("sqrt_exact_squares", "sqrt", "Sqrt", EXACT, vals(0.25, 1.0, 4.0, 2.25, 9.0, 0.01), 2, 3);
    unary("rsqrt", "rsqrt", "Rsqrt", EXACT, u(0.05, 4), 2, 3);
    unary("exp", "exp", "Exp", TRANS, u(), 2, 3);
    unary("exp_wide", "exp", "Exp", TRANS, vals(-10.0, -5.0, 0.0, 3.0, 8.0, 12.0), 6);
    unary("log", "log", "Log", TRANS, u(0.05, 4), 2, 3);
    unary("log_one", "log", "Log", TRANS, vals(1.0, 0.001, 1000.0, 2.718, 0.5, 1.001), 2, 3);
    unary("log1p", "log1p", "Log1p", TRANS, u(-0.9, 2), 2, 3);
    unary("log1p_small", "log1p", "Log1p", TRANS, vals(1e-6, -1e-6, 1e-3, 0.0, -0.5, 1e-8), 6);
    unary("reciprocal", "reciprocal", "Reciprocal", EXACT, awayFromZero(0.25, 2), 2, 3);
    unary("reciprocal_positive", "reciprocal", "Reciprocal", EXACT, u(0.1, 3), 4);
    unary("relu", "relu", "Relu", EXACT, with(u(), 1, 0.0, 3, 0.0), 2, 3);
    unary("relu_at_zero", "relu", "Relu", EXACT, vals(0.0, -0.0, 1e-7, -1e-7, 0.0, 1.0), 6);
    unary("relu6", "relu6", "Relu6", EXACT, with(u(-2, 8), 0, 0.0, 3, 6.0), 2, 3);
    unary("relu6_kinks", "relu6", "Relu6", EXACT, vals(-1.0, 0.0, 0.5, 5.999, 6.0, 7.5, 3.0, 6.001), 8);
    unary("elu", "elu", "Elu", TRANS, with(u(), 2, 0.0), 2, 3);
    unary("elu_both_sides", "elu", "Elu", TRANS, vals(-3.0, -1.0, -1e-3, 0.0, 1e-3, 2.0), 6);
    unary("selu", "selu", "Selu", TRANS, with(u(), 2, 0.0), 2, 3);
    unary("selu_both_sides", "selu", "Selu", TRANS, vals(-3.0, -1.0, -1e-3, 0.0, 1e-3, 2.0), 6);
    c("leaky_relu", "leaky_relu(x, alpha=0.2)").f32("x", with(u(), 1, 0.0), 2, 3)
        .fwd(x -> x.tf.leakyRelu(x.x("x"), 0.2f));
    c("leaky_relu_alpha_0_01", "leaky_relu(x, alpha=0.01)")
        .f32("x", vals(-2.0, -0.5, 0.0, 0.5, 2.0, -1e-3), 6)
        .fwd(x -> x.tf.leakyRelu(x.x("x"), 0.01f));
    unary("softplus", "softplus", "Softplus", TRANS, u(), 2, 3);
    unary("softplus_wide", "softplus", "Softplus", TRANS, vals(-30.0, -10.0, 0.0, 10.0, 20.0, 30.0), 6);
    unary("softsign", "softsign", "Softsign", TRANS, with(u(), 0, 0.0), 2, 3);
    unary("sigmoid", "sigmoid", "Sigmoid", TRANS, u(), 2, 3);
    unary("sigmoid_wide", "sigmoid", "Sigmoid", TRANS, vals(-20.0, -8.0, 0.0, 8.0, 20.0, 0.5), 6);
    unary("tanh", "tanh", "Tanh", TRANS, u(), 2, 3);
    unary("tanh_wide", "tanh", "Tanh", TRANS, vals(-10.0, -3.0, 0.0, 3.0, 10.0, 0.01), 6);
    c("tanh_f64", "tanh(x)").f64("x", u(), 2, 3).tol(F64).fwd(x -> x.tf.unary("Tanh", x.x("x")));
    c("exp_f64", "exp(x)").f64("x", u(), 2, 3).tol(F64).fwd(x -> x.tf.unary("Exp", x.x("x")));
    unary("identity", "identity", "Identity", EXACT, u(), 2, 3);
  }

  // ------------------------------------------------------------------ matmul

  private static void mm(String name, String expr, long[] a, long[] b, boolean ta, boolean tb, double tol) {
    c(name, expr).f32("a", u(), a).f32("b", u(), b).tol(tol)
        .fwd(x -> x.tf.matmul(x.x("a"), x.x("b"), ta, tb));
  }

  private static void matmuls() {
    mm("matmul", "matmul(a, b)", new long[] {2, 3}, new long[] {3, 4}, false, false, TRANS);
    mm("matmul_transpose_a", "matmul(a, b, transpose_a=true)", new long[] {3, 2}, new long[] {3, 4}, true, false, TRANS);
    mm("matmul_transpose_b", "matmul(a, b, transpose_b=true)", new long[] {2, 3}, new long[] {4, 3}, false, true, TRANS);
    mm("matmul_transpose_both", "matmul(a, b, transpose_a=true, transpose_b=true)", new long[] {3, 2},
        new long[] {4, 3}, true, true, TRANS);
    mm("matmul_explicit_false", "matmul(a, b, transpose_a=false, transpose_b=false)", new long[] {4, 2},
        new long[] {2, 3}, false, false, TRANS);
    mm("matmul_operator", "a @ b", new long[] {3, 4}, new long[] {4, 2}, false, false, TRANS);
    mm("matmul_row_col", "matmul(a, b)", new long[] {1, 5}, new long[] {5, 1}, false, false, TRANS);
    mm("matmul_col_row", "matmul(a, b)", new long[] {4, 1}, new long[] {1, 3}, false, false, TRANS);
    mm("matmul_8x16x8", "matmul(a, b)", new long[] {8, 16}, new long[] {16, 8}, false, false, TRANS);
    c("matmul_f64", "matmul(a, b)").f64("a", u(), 2, 3).f64("b", u(), 3, 2).tol(F64)
        .fwd(x -> x.tf.matmul(x.x("a"), x.x("b"), false, false));
  }

  // ------------------------------------------------------------------ reductions

  private static String axisArg(Axes ax) {
    if (ax.scalar() != null) return ", axis=" + ax.scalar();
    if (ax.list() != null) {
      StringBuilder sb = new StringBuilder(", axis=[");
      for (int i = 0; i < ax.list().length; i++) sb.append(i > 0 ? ", " : "").append(ax.list()[i]);
      return sb.append("]").toString();
    }
    return "";
  }

  private static Output<?> reduceOp(G tf, String fn, Output<?> x, Axes ax, boolean keep) {
    return switch (fn) {
      case "reduce_sum" -> tf.reduce("Sum", x, ax, keep);
      case "reduce_mean" -> tf.reduce("Mean", x, ax, keep);
      case "reduce_max" -> tf.reduce("Max", x, ax, keep);
      case "reduce_min" -> tf.reduce("Min", x, ax, keep);
      case "reduce_logsumexp" -> logsumexp(tf, x, ax, keep);
      default -> throw new IllegalArgumentException(fn);
    };
  }

  /**
   * TF 1's reduce_logsumexp (math_ops.py): raw_max = reduce_max(x, axis, keepdims=True); my_max =
   * stop_gradient(where(is_finite(raw_max), raw_max, zeros_like(raw_max))); result =
   * log(reduce_sum(exp(x - my_max), axis, keepdims)); if not keepdims: my_max = reshape(my_max,
   * shape(result)); result + my_max.
   */
  static Output<?> logsumexp(G tf, Output<?> x, Axes ax, boolean keep) {
    Output<?> rawMax = tf.reduce("Max", x, ax, true);
    Output<?> myMax = tf.unary("StopGradient",
        tf.select(tf.unary("IsFinite", rawMax), rawMax, tf.unary("ZerosLike", rawMax)));
    Output<?> result = tf.unary("Log", tf.reduce("Sum", tf.unary("Exp", tf.binary("Sub", x, myMax)), ax, keep));
    if (!keep) myMax = tf.binary("Reshape", myMax, tf.shape(result));
    return tf.binary("Add", result, myMax);
  }

  private static void red(String name, String fn, Axes ax, Boolean keep, Case.Gen g, double tol, long... shape) {
    boolean k = keep != null && keep;
    String expr = fn + "(x" + axisArg(ax) + (keep == null ? "" : ", keepdims=" + keep) + ")";
    c(name, expr).f32("x", g, shape).tol(tol).fwd(x -> reduceOp(x.tf, fn, x.x("x"), ax, k));
  }

  private static void reductions() {
    for (String fn : new String[] {"reduce_sum", "reduce_mean"}) {
      red(fn + "_axis1", fn, Axes.of(1), null, u(), TRANS, 2, 3);
      red(fn + "_axis0_keepdims", fn, Axes.of(0), true, u(), TRANS, 2, 3);
      red(fn + "_axis1_keepdims_false", fn, Axes.of(1), false, u(), TRANS, 3, 4);
      red(fn + "_axis_neg1", fn, Axes.of(-1), null, u(), TRANS, 2, 2, 3);
      red(fn + "_axes_0_2", fn, Axes.list(0, 2), null, u(), TRANS, 2, 3, 2);
      red(fn + "_axes_0_2_keepdims", fn, Axes.list(0, 2), true, u(), TRANS, 2, 3, 2);
      red(fn + "_all", fn, Axes.all(), null, u(), TRANS, 2, 3);
      red(fn + "_all_keepdims", fn, Axes.all(), true, u(), TRANS, 2, 2, 2);
      red(fn + "_axes_list_all", fn, Axes.list(0, 1), null, u(), TRANS, 3, 2);
    }
    red("reduce_sum_f64_axis0", "reduce_sum", Axes.of(0), null, u(), F64, 3, 2);

    // Max/min: with no ties, and with deliberate ties (TF splits the gradient equally among ties).
    Case.Gen maxTies = vals(
        1.0, 3.0, 3.0, -1.0,    // two maxima
        2.0, 2.0, 2.0, 2.0,     // all four tied
        -0.5, 0.25, -2.0, 0.0); // no tie
    Case.Gen minTies = vals(
        1.0, -3.0, 2.0, -3.0,   // two minima
        0.5, 0.5, 0.5, 1.0,     // three tied
        -0.5, 0.25, -2.0, 0.0); // no tie
    for (String fn : new String[] {"reduce_max", "reduce_min"}) {
      Case.Gen ties = fn.equals("reduce_max") ? maxTies : minTies;
      red(fn + "_axis1", fn, Axes.of(1), null, u(), EXACT, 2, 3);
      red(fn + "_axis0_keepdims", fn, Axes.of(0), true, u(), EXACT, 3, 2);
      red(fn + "_all", fn, Axes.all(), null, u(), EXACT, 2, 3);
      red(fn + "_axes_0_2", fn, Axes.list(0, 2), null, u(), EXACT, 2, 3, 2);
      red(fn + "_ties_axis1", fn, Axes.of(1), null, ties, EXACT, 3, 4);
      red(fn + "_ties_axis1_keepdims", fn, Axes.of(1), true, ties, EXACT, 3, 4);
      red(fn + "_ties_axis0", fn, Axes.of(0), null, ties, EXACT, 3, 4);
      red(fn + "_ties_all", fn, Axes.all(), null,
          fn.equals("reduce_max") ? vals(1.5, -1.0, 1.5, 0.0, 1.5, 1.0) : vals(-1.5, 1.0, -1.5, 0.0, -1.5, 1.0),
          EXACT, 2, 3);
    }

    String lse = "reduce_logsumexp";
    red(lse + "_axis1", lse, Axes.of(1), null, u(), TRANS, 2, 3);
    red(lse + "_axis1_keepdims", lse, Axes.of(1), true, u(), TRANS, 2, 3);
    red(lse + "_axis0", lse, Axes.of(0), null, u(), TRANS, 3, 2);
    red(lse + "_all", lse, Axes.all(), null, u(), TRANS, 2, 3);
    red(lse + "_axes_0_2", lse, Axes.list(0, 2), null, u(), TRANS, 2, 3, 2);
    red(lse + "_large_values", lse, Axes.of(1), null, vals(100.0, 100.0, 90.0, -50.0, -60.0, -50.0), TRANS, 2, 3);
    red(lse + "_ties", lse, Axes.of(1), null, vals(1.0, 1.0, 1.0, 0.5, 2.0, 2.0), TRANS, 2, 3);
  }

  // ------------------------------------------------------------------ shapes

  private static void shapeOps() {
    c("reshape_2_neg1", "reshape(x, [2, -1])").f32("x", u(), 2, 3, 2)
        .fwd(x -> x.tf.reshape(x.x("x"), 2, -1));
    c("reshape_flatten", "reshape(x, [-1])").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.reshape(x.x("x"), -1));
    c("reshape_to_rank3", "reshape(x, [3, 2, 1])").f32("x", u(), 6)
        .fwd(x -> x.tf.reshape(x.x("x"), 3, 2, 1));
    c("reshape_neg1_first", "reshape(x, [-1, 4])").f32("x", u(), 2, 2, 2)
        .fwd(x -> x.tf.reshape(x.x("x"), -1, 4));

    c("transpose_2d", "transpose(x, perm=[1, 0])").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.transpose(x.x("x"), 1, 0));
    c("transpose_rank3_102", "transpose(x, perm=[1, 0, 2])").f32("x", u(), 2, 3, 2)
        .fwd(x -> x.tf.transpose(x.x("x"), 1, 0, 2));
    c("transpose_rank3_201", "transpose(x, perm=[2, 0, 1])").f32("x", u(), 2, 3, 4)
        .fwd(x -> x.tf.transpose(x.x("x"), 2, 0, 1));
    c("transpose_rank3_021", "transpose(x, perm=[0, 2, 1])").f32("x", u(), 3, 2, 4)
        .fwd(x -> x.tf.transpose(x.x("x"), 0, 2, 1));

    c("expand_dims_axis0", "expand_dims(x, axis=0)").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.expandDims(x.x("x"), 0));
    c("expand_dims_axis1", "expand_dims(x, axis=1)").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.expandDims(x.x("x"), 1));
    c("expand_dims_axis_neg1", "expand_dims(x, axis=-1)").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.expandDims(x.x("x"), -1));

    c("squeeze_axis1", "squeeze(x, axis=[1])").f32("x", u(), 2, 1, 3)
        .fwd(x -> x.tf.squeeze(x.x("x"), 1));
    c("squeeze_axes_0_2", "squeeze(x, axis=[0, 2])").f32("x", u(), 1, 3, 1)
        .fwd(x -> x.tf.squeeze(x.x("x"), 0, 2));
    c("squeeze_axis_neg1", "squeeze(x, axis=[-1])").f32("x", u(), 2, 3, 1)
        .fwd(x -> x.tf.squeeze(x.x("x"), -1));

    c("concat_axis0_three", "concat([a, b, c], axis=0)")
        .f32("a", u(), 1, 3).f32("b", u(), 2, 3).f32("c", u(), 1, 3)
        .fwd(x -> x.tf.concat(0, x.x("a"), x.x("b"), x.x("c")));
    c("concat_axis1_three", "concat([a, b, c], axis=1)")
        .f32("a", u(), 2, 1).f32("b", u(), 2, 2).f32("c", u(), 2, 3)
        .fwd(x -> x.tf.concat(1, x.x("a"), x.x("b"), x.x("c")));
    c("concat_axis_neg1_rank3", "concat([a, b], axis=-1)")
        .f32("a", u(), 2, 2, 1).f32("b", u(), 2, 2, 2)
        .fwd(x -> x.tf.concat(-1, x.x("a"), x.x("b")));
    c("concat_axis1_rank3", "concat([a, b, c], axis=1)")
        .f32("a", u(), 2, 1, 2).f32("b", u(), 2, 2, 2).f32("c", u(), 2, 1, 2)
        .fwd(x -> x.tf.concat(1, x.x("a"), x.x("b"), x.x("c")));

    c("slice_2d", "slice(x, [0, 1], [2, 2])").f32("x", u(), 3, 4)
        .fwd(x -> x.tf.slice(x.x("x"), new int[] {0, 1}, new int[] {2, 2}));
    c("slice_size_neg1", "slice(x, [1, 0], [-1, 3])").f32("x", u(), 3, 4)
        .fwd(x -> x.tf.slice(x.x("x"), new int[] {1, 0}, new int[] {-1, 3}));
    c("slice_rank3", "slice(x, [0, 1, 0], [2, 1, 2])").f32("x", u(), 2, 3, 2)
        .fwd(x -> x.tf.slice(x.x("x"), new int[] {0, 1, 0}, new int[] {2, 1, 2}));

    c("tile_2_1", "tile(x, [2, 1])").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.tile(x.x("x"), 2, 1));
    c("tile_3_2", "tile(x, [3, 2])").f32("x", u(), 1, 3)
        .fwd(x -> x.tf.tile(x.x("x"), 3, 2));
    c("tile_rank3", "tile(x, [1, 3, 2])").f32("x", u(), 2, 1, 2)
        .fwd(x -> x.tf.tile(x.x("x"), 1, 3, 2));
  }

  // ------------------------------------------------------------------ nn

  static Output<?> softmaxXent(G tf, Output<?> labels, Output<?> logits) {
    // TF 1 nn.softmax_cross_entropy_with_logits: labels = stop_gradient(labels), then the fused op.
    GraphOperation op = tf.op("SoftmaxCrossEntropyWithLogits")
        .addInput(logits).addInput(tf.unary("StopGradient", labels)).build();
    return op.output(0);
  }

  static Output<?> sparseXent(Case.Ctx c, Output<?> labels, Output<?> logits) {
    GraphOperation op = c.tf.op("SparseSoftmaxCrossEntropyWithLogits").addInput(logits).addInput(labels).build();
    c.sparseRule = new Case.SparseXentRule(op.output(0), logits, op.output(1));
    return op.output(0);
  }

  private static void nnOps() {
    c("softmax", "softmax(x)").f32("x", u(), 2, 4).tol(TRANS).fwd(x -> x.tf.unary("Softmax", x.x("x")));
    c("softmax_rank3", "softmax(x)").f32("x", u(), 2, 2, 3).tol(TRANS).fwd(x -> x.tf.unary("Softmax", x.x("x")));
    c("softmax_large_logits", "softmax(x)").f32("x", vals(80.0, 79.0, -80.0, 0.0, 50.0, 50.0, 50.0, -10.0), 2, 4)
        .tol(TRANS).fwd(x -> x.tf.unary("Softmax", x.x("x")));
    c("log_softmax", "log_softmax(x)").f32("x", u(), 2, 4).tol(TRANS).fwd(x -> x.tf.unary("LogSoftmax", x.x("x")));
    c("log_softmax_rank3", "log_softmax(x)").f32("x", u(), 2, 2, 3).tol(TRANS)
        .fwd(x -> x.tf.unary("LogSoftmax", x.x("x")));
    c("log_softmax_large_logits", "log_softmax(x)")
        .f32("x", vals(80.0, 79.0, -80.0, 0.0, 50.0, 50.0, 50.0, -10.0), 2, 4)
        .tol(TRANS).fwd(x -> x.tf.unary("LogSoftmax", x.x("x")));
    c("softmax_f64", "softmax(x)").f64("x", u(), 2, 3).tol(F64).fwd(x -> x.tf.unary("Softmax", x.x("x")));

    c("softmax_xent_soft_labels", "softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .f32NoGrad("l", softLabels(4), 3, 4).f32("z", u(), 3, 4).tol(TRANS)
        .fwd(x -> softmaxXent(x.tf, x.x("l"), x.x("z")));
    c("softmax_xent_one_hot_labels", "softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .f32NoGrad("l", oneHotLabels(5), 2, 5).f32("z", u(), 2, 5).tol(TRANS)
        .fwd(x -> softmaxXent(x.tf, x.x("l"), x.x("z")));
    c("softmax_xent_large_logits", "softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .f32NoGrad("l", vals(0.25, 0.25, 0.5, 0.0, 0.0, 1.0), 2, 3)
        .f32("z", vals(90.0, -90.0, 0.0, 60.0, 60.0, -30.0), 2, 3).tol(TRANS)
        .fwd(x -> softmaxXent(x.tf, x.x("l"), x.x("z")));

    c("sparse_softmax_xent", "sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .i32("l", ints(0, 4), 3).f32("z", u(), 3, 4).tol(TRANS)
        .fwd(x -> sparseXent(x, x.x("l"), x.x("z")));
    c("sparse_softmax_xent_i64_labels", "sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .i64("l", vals(2, 0, 1, 2), 4).f32("z", u(), 4, 3).tol(TRANS)
        .fwd(x -> sparseXent(x, x.x("l"), x.x("z")));
    c("sparse_softmax_xent_large_logits", "sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
        .i32("l", vals(1, 0), 2).f32("z", vals(90.0, -90.0, 0.0, 60.0, 60.0, -30.0), 2, 3).tol(TRANS)
        .fwd(x -> sparseXent(x, x.x("l"), x.x("z")));

    c("sigmoid_xent", "sigmoid_cross_entropy_with_logits(labels=l, logits=z)")
        .f32NoGrad("l", unit(), 2, 3).f32("z", with(u(), 4, 0.0), 2, 3).tol(TRANS)
        .fwd(x -> x.tf.sigmoidXent(x.x("l"), x.x("z")));
    c("sigmoid_xent_binary_labels_wide", "sigmoid_cross_entropy_with_logits(labels=l, logits=z)")
        .f32NoGrad("l", vals(1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5), 8)
        .f32("z", vals(-30.0, 30.0, 30.0, -30.0, 0.0, 0.0, 5.0, -5.0), 8).tol(TRANS)
        .fwd(x -> x.tf.sigmoidXent(x.x("l"), x.x("z")));

    c("l2_loss", "l2_loss(x)").f32("x", u(), 2, 3).tol(TRANS).fwd(x -> x.tf.unary("L2Loss", x.x("x")));
    c("l2_loss_rank1", "l2_loss(x)").f32("x", u(), 5).tol(TRANS).fwd(x -> x.tf.unary("L2Loss", x.x("x")));

    c("bias_add", "bias_add(x, b)").f32("x", u(), 2, 3).f32("b", u(), 3)
        .fwd(x -> x.tf.binary("BiasAdd", x.x("x"), x.x("b")));
    c("bias_add_rank3", "bias_add(x, b)").f32("x", u(), 2, 2, 3).f32("b", u(), 3)
        .fwd(x -> x.tf.binary("BiasAdd", x.x("x"), x.x("b")));
  }

  // ------------------------------------------------------------------ gather / embedding / one_hot

  private static void gathers() {
    c("gather_duplicates", "gather(params, indices)")
        .f32("params", u(), 5, 3).i32("indices", vals(1, 3, 1, 0), 4)
        .fwd(x -> x.tf.gather(x.x("params"), x.x("indices"), 0));
    c("gather_axis1", "gather(params, indices, axis=1)")
        .f32("params", u(), 2, 5).i32("indices", vals(4, 0, 4), 3)
        .fwd(x -> x.tf.gather(x.x("params"), x.x("indices"), 1));
    c("gather_indices_2d", "gather(params, indices)")
        .f32("params", u(), 4, 2).i32("indices", vals(0, 2, 2, 2), 2, 2)
        .fwd(x -> x.tf.gather(x.x("params"), x.x("indices"), 0));
    c("gather_i64_indices", "gather(params, indices)")
        .f32("params", u(), 3, 2).i64("indices", vals(2, 2, 0), 3)
        .fwd(x -> x.tf.gather(x.x("params"), x.x("indices"), 0));
    c("gather_axis1_rank3", "gather(params, indices, axis=1)")
        .f32("params", u(), 2, 3, 2).i32("indices", vals(2, 0, 2, 1), 4)
        .fwd(x -> x.tf.gather(x.x("params"), x.x("indices"), 1));

    // TF 1 embedding_lookup with one params tensor: identity(gather(params, ids)); gradient densified.
    c("embedding_lookup_duplicates", "embedding_lookup(params, ids)")
        .f32("params", u(), 6, 4).i32("ids", vals(2, 5, 2, 0, 2), 5)
        .fwd(x -> x.tf.unary("Identity", x.tf.gather(x.x("params"), x.x("ids"), 0)));
    c("embedding_lookup_ids_2d", "embedding_lookup(params, ids)")
        .f32("params", u(), 5, 3).i32("ids", vals(1, 4, 1, 3, 3, 0), 2, 3)
        .fwd(x -> x.tf.unary("Identity", x.tf.gather(x.x("params"), x.x("ids"), 0)));

    c("one_hot", "one_hot(indices, depth=4)").i32("indices", vals(0, 3, 1, 1, 2), 5)
        .fwd(x -> x.tf.oneHot(x.x("indices"), 4));
    c("one_hot_out_of_range", "one_hot(indices, depth=4)").i32("indices", vals(-1, 4, 2, 7), 4)
        .fwd(x -> x.tf.oneHot(x.x("indices"), 4));
    c("one_hot_2d", "one_hot(indices, depth=3)").i32("indices", vals(0, 2, 1, 0), 2, 2)
        .fwd(x -> x.tf.oneHot(x.x("indices"), 3));
  }

  // ------------------------------------------------------------------ cast etc.

  private static void misc() {
    c("cast_f32_to_f64", "cast(x, f64)").f32("x", u(), 2, 3)
        .fwd(x -> x.tf.cast(x.x("x"), DType.F64));
    c("cast_f64_to_f32", "cast(x, f32)").f64("x", vals(0.1, -1.23456789012, 2.5, 1e-10, -3.0, 0.333333333333), 2, 3)
        .fwd(x -> x.tf.cast(x.x("x"), DType.F32));
    c("cast_i32_to_f32", "cast(x, f32)").i32("x", vals(-3, 0, 7, 2), 4)
        .fwd(x -> x.tf.cast(x.x("x"), DType.F32));
    c("cast_f32_to_i32", "cast(x, i32)").f32("x", vals(-1.7, -0.5, 0.0, 0.5, 1.7, 2.999), 6)
        .fwd(x -> x.tf.cast(x.x("x"), DType.I32));
  }

  // ------------------------------------------------------------------ small compositions (chain rule)

  private static void compositions() {
    c("mse_dense", "reduce_mean(square(matmul(x, w) + b - y))")
        .f32("x", u(), 4, 3).f32("w", u(), 3, 2).f32("b", u(), 2).f32("y", u(), 4, 2).tol(TRANS)
        .fwd(x -> {
          G tf = x.tf;
          Output<?> pred = tf.binary("AddV2", tf.matmul(x.x("x"), x.x("w"), false, false), x.x("b"));
          return tf.reduce("Mean", tf.unary("Square", tf.binary("Sub", pred, x.x("y"))), Axes.all(), false);
        });
    c("mlp_softmax_xent",
        "reduce_mean(softmax_cross_entropy_with_logits(labels=l, logits=matmul(relu(matmul(x, w1) + b1), w2) + b2))")
        .f32("x", u(), 4, 3).f32("w1", u(-1, 1), 3, 5).f32("b1", u(-0.5, 0.5), 5).f32("w2", u(-1, 1), 5, 3)
        .f32("b2", u(-0.5, 0.5), 3).f32NoGrad("l", oneHotLabels(3), 4, 3).tol(TRANS)
        .fwd(x -> {
          G tf = x.tf;
          Output<?> h = tf.unary("Relu", tf.binary("AddV2", tf.matmul(x.x("x"), x.x("w1"), false, false), x.x("b1")));
          Output<?> logits = tf.binary("AddV2", tf.matmul(h, x.x("w2"), false, false), x.x("b2"));
          return tf.reduce("Mean", softmaxXent(tf, x.x("l"), logits), Axes.all(), false);
        });
    c("dense_sparse_softmax_xent",
        "reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=l, logits=matmul(x, w) + b))")
        .f32("x", u(), 4, 3).f32("w", u(), 3, 5).f32("b", u(), 5).i32("l", ints(0, 5), 4).tol(TRANS)
        .fwd(x -> {
          G tf = x.tf;
          Output<?> logits = tf.binary("AddV2", tf.matmul(x.x("x"), x.x("w"), false, false), x.x("b"));
          return tf.reduce("Mean", sparseXent(x, x.x("l"), logits), Axes.all(), false);
        });
    c("dense_sigmoid_xent", "reduce_mean(sigmoid_cross_entropy_with_logits(labels=l, logits=matmul(x, w) + b))")
        .f32("x", u(), 4, 3).f32("w", u(), 3, 2).f32("b", u(), 2).f32NoGrad("l", pick(0.0, 1.0), 4, 2).tol(TRANS)
        .fwd(x -> {
          G tf = x.tf;
          Output<?> logits = tf.binary("AddV2", tf.matmul(x.x("x"), x.x("w"), false, false), x.x("b"));
          return tf.reduce("Mean", tf.sigmoidXent(x.x("l"), logits), Axes.all(), false);
        });
    c("fan_out_tanh_times_sigmoid", "reduce_sum(tanh(x) * sigmoid(x), axis=1)")
        .f32("x", u(), 2, 3).tol(TRANS)
        .fwd(x -> x.tf.reduce("Sum", x.tf.binary("Mul", x.tf.unary("Tanh", x.x("x")), x.tf.unary("Sigmoid", x.x("x"))),
            Axes.of(1), false));
    c("embedding_dot", "reduce_sum(embedding_lookup(params, ids) * w, axis=1)")
        .f32("params", u(), 4, 3).i32("ids", vals(3, 1, 3), 3).f32("w", u(), 3).tol(TRANS)
        .fwd(x -> {
          G tf = x.tf;
          Output<?> e = tf.unary("Identity", tf.gather(x.x("params"), x.x("ids"), 0));
          return tf.reduce("Sum", tf.binary("Mul", e, x.x("w")), Axes.of(1), false);
        });
    c("logsumexp_minus_max", "reduce_logsumexp(x, axis=1) - reduce_max(x, axis=1)")
        .f32("x", vals(0.5, 2.0, 2.0, -1.0, 1.0, -0.25), 2, 3).tol(TRANS)
        .fwd(x -> x.tf.binary("Sub", logsumexp(x.tf, x.x("x"), Axes.of(1), false),
            x.tf.reduce("Max", x.x("x"), Axes.of(1), false)));
  }
}
