package descent.compiler.autodiff;

import static descent.compiler.autodiff.GradCheck.ids;

import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every op of the language, differentiated symbolically and checked against central finite differences
 * ({@link GradCheck}): elementwise ops over every broadcasting pattern, matmul in all transpose variants,
 * reductions with axis variants and keepdims, shape ops, the neural-network ops, gathers, casts and
 * chained expressions. Inputs stay away from kinks (|x| >= 0.1 for relu-like ops, distinct values for
 * maximum/minimum and reduce_max/min, positive bases for sqrt/log/pow).
 */
class GradientCheckTest {

    private record Case(String name, Function<GradCheck.Gen, GradCheck> build) {}

    private final List<Case> cases = new ArrayList<>();

    private void add(String name, Function<GradCheck.Gen, GradCheck> build) { cases.add(new Case(name, build)); }

    private Stream<DynamicTest> tests() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            GradCheck.Gen g = new GradCheck.Gen(c.name().hashCode());
            c.build().apply(g).run();
        }));
    }

    private static int[] s(int... dims) { return dims; }

    // ------------------------------------------------------------------ elementwise binary, with broadcasting

    /** a's shape, b's shape: same, row, outer, scalar lhs, scalar rhs, rank 3 against rank 2. */
    private static final int[][][] PATTERNS = {
            {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{}, {2, 3}}, {{2, 3}, {}}, {{2, 1, 3}, {4, 1}},
    };
    private static final String[] PATTERN_NAMES = {"same_shape", "bcast_row", "bcast_outer", "scalar_lhs", "scalar_rhs",
            "bcast_rank3"};

    private interface Pair { Tensor[] make(GradCheck.Gen g, int[] a, int[] b); }

    private void binary(String name, String expr, Pair inputs) {
        for (int p = 0; p < PATTERNS.length; p++) {
            int[] sa = PATTERNS[p][0], sb = PATTERNS[p][1];
            add(name + "_" + PATTERN_NAMES[p], g -> {
                Tensor[] ab = inputs.make(g, sa, sb);
                return GradCheck.of(expr).in("a", ab[0]).in("b", ab[1]);
            });
        }
    }

    @TestFactory
    Stream<DynamicTest> binaryOps() {
        Pair uu = (g, a, b) -> new Tensor[] {g.u(a), g.u(b)};
        Pair divisor = (g, a, b) -> new Tensor[] {g.u(a), g.away(b)};
        Pair distinct = (g, a, b) -> g.distinct(a, b);
        Pair power = (g, a, b) -> new Tensor[] {g.pos(a), g.u(b)};
        binary("add", "add(a, b)", uu);
        binary("plus", "a + b", uu);
        binary("subtract", "subtract(a, b)", uu);
        binary("minus", "a - b", uu);
        binary("multiply", "multiply(a, b)", uu);
        binary("times", "a * b", uu);
        binary("divide", "divide(a, b)", divisor);
        binary("slash", "a / b", divisor);
        binary("maximum", "maximum(a, b)", distinct);
        binary("minimum", "minimum(a, b)", distinct);
        binary("pow", "pow(a, b)", power);
        binary("star_star", "a ** b", power);
        binary("squared_difference", "squared_difference(a, b)", uu);
        // Negative bases with integer exponents: d/da only (d/db needs log(a), which TF zeroes for a <= 0).
        add("pow_negative_base_integer_exponent", g -> GradCheck.of("pow(a, b)")
                .in("a", g.away(2, 3)).in("b", Tensor.of(new double[] {2, 3, -1, 4, 1, -2}, 2, 3)).wrt("a"));
        add("pow_literal_exponent", g -> GradCheck.of("a ** 3 + 2.0 ** a").in("a", g.u(2, 3)));
        add("literals_both_sides", g -> GradCheck.of("2.0 * a - a / 4.0 + 1.5 / b - (3.0 - b)")
                .in("a", g.u(3)).in("b", g.away(3)));
        return tests();
    }

    // ------------------------------------------------------------------ elementwise unary

    private void unary(String fn, Function<GradCheck.Gen, Tensor> x) {
        add(fn, g -> GradCheck.of(fn + "(x)").in("x", x.apply(g)));
        add(fn + "_rank3", g -> GradCheck.of(fn + "(x)").in("x", reshape(x.apply(g), 2, 1, 3)));
    }

    private static Tensor reshape(Tensor t, int... shape) { return Tensor.of(t.doubles(), shape); }

    @TestFactory
    Stream<DynamicTest> unaryOps() {
        unary("negative", g -> g.u(2, 3));
        unary("abs", g -> g.away(2, 3));
        unary("sign", g -> g.away(2, 3));
        unary("square", g -> g.u(2, 3));
        unary("sqrt", g -> g.pos(2, 3));
        unary("rsqrt", g -> g.pos(2, 3));
        unary("exp", g -> g.u(2, 3));
        unary("log", g -> g.pos(2, 3));
        unary("log1p", g -> g.range(-0.5, 2, 2, 3));
        unary("reciprocal", g -> g.away(2, 3));
        unary("relu", g -> g.away(2, 3));
        unary("relu6", g -> g.avoiding(-2, 8, 0.1, new double[] {0, 6}, 2, 3));
        unary("elu", g -> g.away(2, 3));
        unary("selu", g -> g.away(2, 3));
        unary("leaky_relu", g -> g.away(2, 3));
        unary("softplus", g -> g.range(-5, 5, 2, 3));
        unary("softsign", g -> g.u(2, 3));
        unary("sigmoid", g -> g.range(-5, 5, 2, 3));
        unary("tanh", g -> g.range(-3, 3, 2, 3));
        unary("identity", g -> g.u(2, 3));
        add("unary_minus", g -> GradCheck.of("-x").in("x", g.u(2, 3)));
        add("leaky_relu_alpha_0_01", g -> GradCheck.of("leaky_relu(x, alpha=0.01)").in("x", g.away(2, 3)));
        add("leaky_relu_alpha_1_5", g -> GradCheck.of("leaky_relu(features=x, alpha=1.5)").in("x", g.away(2, 3)));
        add("relu6_above_six", g -> GradCheck.of("relu6(x)").in("x", Tensor.of(new double[] {6.5, 7, -1, 3, 5.5, 0.5}, 6)));
        add("softplus_wide", g -> GradCheck.of("softplus(x)").in("x", Tensor.of(new double[] {-30, -10, -0.5, 10, 20, 30}, 6)));
        add("sigmoid_wide", g -> GradCheck.of("sigmoid(x)").in("x", Tensor.of(new double[] {-20, -8, 0.5, 8, 20, 1}, 6)));
        return tests();
    }

    // ------------------------------------------------------------------ matmul

    @TestFactory
    Stream<DynamicTest> matmuls() {
        add("matmul", g -> GradCheck.of("matmul(a, b)").in("a", g.u(2, 3)).in("b", g.u(3, 4)));
        add("matmul_transpose_a", g -> GradCheck.of("matmul(a, b, transpose_a=true)").in("a", g.u(3, 2)).in("b", g.u(3, 4)));
        add("matmul_transpose_b", g -> GradCheck.of("matmul(a, b, transpose_b=true)").in("a", g.u(2, 3)).in("b", g.u(4, 3)));
        add("matmul_transpose_both", g -> GradCheck.of("matmul(a, b, transpose_a=true, transpose_b=true)")
                .in("a", g.u(3, 2)).in("b", g.u(4, 3)));
        add("matmul_operator", g -> GradCheck.of("a @ b").in("a", g.u(3, 4)).in("b", g.u(4, 2)));
        add("matmul_row_col", g -> GradCheck.of("matmul(a, b)").in("a", g.u(1, 5)).in("b", g.u(5, 1)));
        add("matmul_col_row", g -> GradCheck.of("a @ b").in("a", g.u(4, 1)).in("b", g.u(1, 3)));
        add("matmul_self_gram", g -> GradCheck.of("matmul(a, a, transpose_b=true)").in("a", g.u(3, 2)));
        add("matmul_chain", g -> GradCheck.of("a @ b @ c").in("a", g.u(2, 3)).in("b", g.u(3, 3)).in("c", g.u(3, 2)));
        return tests();
    }

    // ------------------------------------------------------------------ reductions

    @TestFactory
    Stream<DynamicTest> reductions() {
        String[][] variants = {
                {"all", "", "2,3"},
                {"all_keepdims", ", keepdims=true", "2,2,2"},
                {"axis0", ", axis=0", "3,2"},
                {"axis1", ", axis=1", "2,3"},
                {"axis1_keepdims", ", axis=1, keepdims=true", "2,3"},
                {"axis1_keepdims_false", ", axis=1, keepdims=false", "3,4"},
                {"axis_neg1", ", axis=-1", "2,2,3"},
                {"axes_0_2", ", axis=[0, 2]", "2,3,2"},
                {"axes_0_2_keepdims", ", axis=[0, 2], keepdims=true", "2,3,2"},
                {"axes_list_all", ", axis=[0, 1]", "3,2"},
                {"rank1", ", axis=0", "5"},
        };
        for (String fn : new String[] {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_logsumexp"}) {
            for (String[] v : variants) {
                int[] shape = Stream.of(v[2].split(",")).mapToInt(Integer::parseInt).toArray();
                boolean extremum = fn.equals("reduce_max") || fn.equals("reduce_min");
                add(fn + "_" + v[0], g -> GradCheck.of(fn + "(x" + v[1] + ")")
                        .in("x", extremum ? g.distinct(shape)[0] : g.u(shape)));
            }
        }
        add("reduce_logsumexp_large_values", g -> GradCheck.of("reduce_logsumexp(x, axis=1)")
                .in("x", Tensor.of(new double[] {100, 99.5, 90, -50, -60, -50.5}, 2, 3)));
        add("reduce_sum_keyword_input", g -> GradCheck.of("reduce_sum(input_tensor=x, axis=[1])").in("x", g.u(2, 3)));
        return tests();
    }

    // ------------------------------------------------------------------ shapes

    @TestFactory
    Stream<DynamicTest> shapeOps() {
        add("reshape_2_neg1", g -> GradCheck.of("reshape(x, [2, -1])").in("x", g.u(2, 3, 2)));
        add("reshape_flatten", g -> GradCheck.of("reshape(x, [-1])").in("x", g.u(2, 3)));
        add("reshape_to_rank3", g -> GradCheck.of("reshape(x, [3, 2, 1])").in("x", g.u(6)));
        add("reshape_to_scalar", g -> GradCheck.of("reshape(x, [])").in("x", g.u(1, 1)));
        add("transpose_default", g -> GradCheck.of("transpose(x)").in("x", g.u(2, 3, 4)));
        add("transpose_2d", g -> GradCheck.of("transpose(x, perm=[1, 0])").in("x", g.u(2, 3)));
        add("transpose_102", g -> GradCheck.of("transpose(x, perm=[1, 0, 2])").in("x", g.u(2, 3, 2)));
        add("transpose_201", g -> GradCheck.of("transpose(x, perm=[2, 0, 1])").in("x", g.u(2, 3, 4)));
        add("expand_dims_0", g -> GradCheck.of("expand_dims(x, axis=0)").in("x", g.u(2, 3)));
        add("expand_dims_1", g -> GradCheck.of("expand_dims(x, 1)").in("x", g.u(2, 3)));
        add("expand_dims_neg1", g -> GradCheck.of("expand_dims(x, axis=-1)").in("x", g.u(2, 3)));
        add("squeeze_all", g -> GradCheck.of("squeeze(x)").in("x", g.u(2, 1, 3, 1)));
        add("squeeze_axis1", g -> GradCheck.of("squeeze(x, axis=[1])").in("x", g.u(2, 1, 3)));
        add("squeeze_axis_neg1", g -> GradCheck.of("squeeze(x, axis=-1)").in("x", g.u(2, 3, 1)));
        add("concat_axis0", g -> GradCheck.of("concat([a, b, c], axis=0)").in("a", g.u(1, 3)).in("b", g.u(2, 3)).in("c", g.u(1, 3)));
        add("concat_axis1", g -> GradCheck.of("concat([a, b, c], axis=1)").in("a", g.u(2, 1)).in("b", g.u(2, 2)).in("c", g.u(2, 3)));
        add("concat_axis_neg1_rank3", g -> GradCheck.of("concat([a, b], axis=-1)").in("a", g.u(2, 2, 1)).in("b", g.u(2, 2, 2)));
        add("concat_axis1_rank3", g -> GradCheck.of("concat([a, b], axis=1)").in("a", g.u(2, 1, 2)).in("b", g.u(2, 3, 2)));
        add("concat_single", g -> GradCheck.of("concat([a], axis=0)").in("a", g.u(2, 3)));
        add("concat_same_twice", g -> GradCheck.of("concat([a, a * 2.0], axis=1)").in("a", g.u(2, 3)));
        add("slice_2d", g -> GradCheck.of("slice(x, [0, 1], [2, 2])").in("x", g.u(3, 4)));
        add("slice_size_neg1", g -> GradCheck.of("slice(x, [1, 0], [-1, 3])").in("x", g.u(3, 4)));
        add("slice_rank3", g -> GradCheck.of("slice(x, [0, 1, 0], [2, 1, 2])").in("x", g.u(2, 3, 2)));
        add("tile_2_1", g -> GradCheck.of("tile(x, [2, 1])").in("x", g.u(2, 3)));
        add("tile_3_2", g -> GradCheck.of("tile(x, [3, 2])").in("x", g.u(1, 3)));
        add("tile_rank3", g -> GradCheck.of("tile(x, [1, 3, 2])").in("x", g.u(2, 1, 2)));
        return tests();
    }

    // ------------------------------------------------------------------ neural-network ops

    @TestFactory
    Stream<DynamicTest> nnOps() {
        for (String fn : new String[] {"softmax", "log_softmax"}) {
            add(fn, g -> GradCheck.of(fn + "(x)").in("x", g.u(2, 4)));
            add(fn + "_rank1", g -> GradCheck.of(fn + "(x)").in("x", g.u(5)));
            add(fn + "_rank3", g -> GradCheck.of(fn + "(x)").in("x", g.u(2, 2, 3)));
            add(fn + "_axis_neg1", g -> GradCheck.of(fn + "(logits=x, axis=-1)").in("x", g.u(3, 2)));
            add(fn + "_large_logits", g -> GradCheck.of(fn + "(x)")
                    .in("x", Tensor.of(new double[] {80, 79, -80, 0, 50, 50.5, 49, -10}, 2, 4)));
        }
        add("softmax_xent", g -> GradCheck.of("softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", g.probabilities(3, 4)).in("z", g.u(3, 4)).wrt("z"));
        add("softmax_xent_rank1", g -> GradCheck.of("softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", g.probabilities(4)).in("z", g.u(4)).wrt("z"));
        add("softmax_xent_rank3", g -> GradCheck.of("softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", g.probabilities(2, 2, 3)).in("z", g.u(2, 2, 3)).wrt("z"));
        add("sparse_softmax_xent", g -> GradCheck.of("sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", ids(new int[] {0, 3, 3}, 3)).in("z", g.u(3, 4)));
        add("sparse_softmax_xent_i64", g -> GradCheck.of("sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", Tensor.of(new long[] {2, 0, 1, 2}, 4)).in("z", g.u(4, 3)));
        add("sparse_softmax_xent_rank2_labels", g -> GradCheck.of("sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", ids(new int[] {1, 0, 2, 2}, 2, 2)).in("z", g.u(2, 2, 3)));
        add("sigmoid_xent", g -> GradCheck.of("sigmoid_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", g.range(0, 1, 2, 3)).in("z", g.u(2, 3)).wrt("z"));
        add("sigmoid_xent_wide", g -> GradCheck.of("sigmoid_cross_entropy_with_logits(labels=l, logits=z)")
                .in("l", Tensor.of(new double[] {1, 0, 1, 0, 0.5, 0.5}, 6))
                .in("z", Tensor.of(new double[] {-30, 30, 20, -20, 5, -5}, 6)).wrt("z"));
        add("l2_loss", g -> GradCheck.of("l2_loss(x)").in("x", g.u(2, 3)));
        add("l2_loss_rank1", g -> GradCheck.of("l2_loss(t=x)").in("x", g.u(5)));
        add("bias_add", g -> GradCheck.of("bias_add(x, b)").in("x", g.u(2, 3)).in("b", g.u(3)));
        add("bias_add_rank3", g -> GradCheck.of("bias_add(value=x, bias=b)").in("x", g.u(2, 2, 3)).in("b", g.u(3)));
        return tests();
    }

    // ------------------------------------------------------------------ gather / embedding_lookup

    @TestFactory
    Stream<DynamicTest> gathers() {
        add("gather_duplicates", g -> GradCheck.of("gather(params, indices)")
                .in("params", g.u(5, 3)).in("indices", ids(new int[] {1, 3, 1, 0}, 4)));
        add("gather_axis1", g -> GradCheck.of("gather(params, indices, axis=1)")
                .in("params", g.u(2, 5)).in("indices", ids(new int[] {4, 0, 4}, 3)));
        add("gather_axis1_rank3", g -> GradCheck.of("gather(params, indices, axis=1)")
                .in("params", g.u(2, 3, 2)).in("indices", ids(new int[] {2, 0, 2, 1}, 4)));
        add("gather_axis1_indices_2d", g -> GradCheck.of("gather(params, indices, axis=1)")
                .in("params", g.u(2, 4)).in("indices", ids(new int[] {3, 3, 0, 1}, 2, 2)));
        add("gather_axis_neg1", g -> GradCheck.of("gather(params, indices, axis=-1)")
                .in("params", g.u(3, 4)).in("indices", ids(new int[] {0, 0, 2}, 3)));
        add("gather_indices_2d", g -> GradCheck.of("gather(params, indices)")
                .in("params", g.u(4, 2)).in("indices", ids(new int[] {0, 2, 2, 2}, 2, 2)));
        add("gather_i64_indices", g -> GradCheck.of("gather(params, indices)")
                .in("params", g.u(3, 2)).in("indices", Tensor.of(new long[] {2, 2, 0}, 3)));
        add("gather_rank1_params", g -> GradCheck.of("gather(params, indices)")
                .in("params", g.u(5)).in("indices", ids(new int[] {4, 1, 4, 4}, 4)));
        add("embedding_lookup_duplicates", g -> GradCheck.of("embedding_lookup(params, ids)")
                .in("params", g.u(6, 4)).in("ids", ids(new int[] {2, 5, 2, 0, 2}, 5)));
        add("embedding_lookup_ids_2d", g -> GradCheck.of("embedding_lookup(params, ids)")
                .in("params", g.u(5, 3)).in("ids", ids(new int[] {1, 4, 1, 3, 3, 0}, 2, 3)));
        add("embedding_lookup_twice_same_table", g -> GradCheck.of(
                        "reduce_sum(embedding_lookup(params, a) * embedding_lookup(params, b), axis=1)")
                .in("params", g.u(4, 3)).in("a", ids(new int[] {0, 2, 2}, 3)).in("b", ids(new int[] {2, 3, 0}, 3)));
        add("gather_sliced_and_dense", g -> GradCheck.of(
                        "reduce_sum(gather(params, a) * gather(params, b, axis=0)) + reduce_sum(params * params)")
                .in("params", g.u(4, 3)).in("a", ids(new int[] {1, 1}, 2)).in("b", ids(new int[] {3, 1}, 2)));
        add("gather_mixed_index_dtypes", g -> GradCheck.of(
                        "reduce_sum(gather(params, a) * gather(params, b), axis=1)")
                .in("params", g.u(4, 3)).in("a", ids(new int[] {0, 2, 2}, 3)).in("b", Tensor.of(new long[] {2, 3, 0}, 3)));
        add("gather_then_dense_use", g -> GradCheck.of("gather(params, ids) * 3.0 + reduce_sum(params * params, axis=0)")
                .in("params", g.u(4, 3)).in("ids", ids(new int[] {3, 0, 3}, 3)));
        return tests();
    }

    // ------------------------------------------------------------------ casts and chained expressions

    @TestFactory
    Stream<DynamicTest> castsAndChains() {
        add("cast_f64_f32_f64", g -> GradCheck.of("cast(cast(x, f32), f64) * x").in("x", g.u(2, 3)));
        add("cast_to_f32_output", g -> GradCheck.of("tanh(cast(x, f32)) * 2.0").in("x", g.u(2, 3)));
        add("cast_keyword_dtype", g -> GradCheck.of("cast(x=square(x), dtype=f32)").in("x", g.u(4)));
        add("mse_dense", g -> GradCheck.of("reduce_mean(square(matmul(x, w) + b - y))")
                .in("x", g.u(4, 3)).in("w", g.u(3, 2)).in("b", g.u(2)).in("y", g.u(4, 2)));
        add("mlp_softmax_xent", g -> GradCheck.of(
                        "reduce_mean(softmax_cross_entropy_with_logits(labels=l, logits=matmul(relu(matmul(x, w1) + b1), w2) + b2))")
                .in("x", g.u(4, 3)).in("w1", g.u(3, 5)).in("b1", g.range(-0.5, 0.5, 5)).in("w2", g.u(5, 3))
                .in("b2", g.range(-0.5, 0.5, 3)).in("l", g.probabilities(4, 3)).wrt("x", "w1", "b1", "w2", "b2"));
        add("dense_sparse_softmax_xent", g -> GradCheck.of(
                        "reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=l, logits=matmul(x, w) + b))")
                .in("x", g.u(4, 3)).in("w", g.u(3, 5)).in("b", g.u(5)).in("l", ids(new int[] {4, 0, 2, 4}, 4)));
        add("dense_sigmoid_xent", g -> GradCheck.of(
                        "reduce_mean(sigmoid_cross_entropy_with_logits(labels=l, logits=matmul(x, w) + b))")
                .in("x", g.u(4, 3)).in("w", g.u(3, 2)).in("b", g.u(2)).in("l", g.range(0, 1, 4, 2)).wrt("x", "w", "b"));
        add("fan_out_tanh_times_sigmoid", g -> GradCheck.of("reduce_sum(tanh(x) * sigmoid(x), axis=1)").in("x", g.u(2, 3)));
        add("fan_out_many_consumers", g -> GradCheck.of("x * x * x + exp(-x) - softplus(x) / (1.0 + square(x)) + x")
                .in("x", g.u(3, 2)));
        add("logsumexp_minus_max", g -> GradCheck.of("reduce_logsumexp(x, axis=1) - reduce_max(x, axis=1)")
                .in("x", g.distinct(s(2, 3))[0]));
        add("attention", g -> GradCheck.of("matmul(softmax(matmul(q, k, transpose_b=true) / 2.0), v)")
                .in("q", g.u(3, 2)).in("k", g.u(4, 2)).in("v", g.u(4, 2)));
        add("layer_norm_like", g -> GradCheck.of(
                        "(x - reduce_mean(x, axis=-1, keepdims=true)) * rsqrt(reduce_mean(squared_difference(x, "
                                + "reduce_mean(x, axis=-1, keepdims=true)), axis=-1, keepdims=true) + 0.001) * gamma + beta")
                .in("x", g.u(3, 4)).in("gamma", g.u(4)).in("beta", g.u(4)));
        add("embedding_dot", g -> GradCheck.of("reduce_sum(embedding_lookup(params, ids) * w, axis=1) + gather(bias, ids)")
                .in("params", g.u(4, 3)).in("ids", ids(new int[] {3, 1, 3}, 3)).in("w", g.u(3)).in("bias", g.u(4)));
        add("shapes_chain", g -> GradCheck.of(
                        "reduce_sum(tile(expand_dims(slice(transpose(x), [1, 0], [2, -1]), 0), [2, 1, 1]) * "
                                + "reshape(slice(concat([x, x], axis=0), [1, 0], [2, -1]), [2, 2, 2]), axis=[0, 1])")
                .in("x", g.u(2, 4)));
        add("pow_and_log", g -> GradCheck.of("pow(x, y) * log(x) + sqrt(x) ** y").in("x", g.pos(2, 3)).in("y", g.u(2, 3)));
        add("maximum_of_tanh", g -> {
            Tensor[] ab = g.distinct(s(2, 3), s(1, 3));
            return GradCheck.of("maximum(tanh(a), b) * minimum(a, b)").in("a", ab[0]).in("b", ab[1]);
        });
        add("identity_and_stop_free_paths", g -> GradCheck.of("identity(x) * identity(identity(x))").in("x", g.u(3)));
        return tests();
    }
}
