package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.autodiff.Autodiff;
import descent.compiler.ir.Grad;
import descent.compiler.diag.Span;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.Shape;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The functions a model may call, with TensorFlow 1's names, parameters and defaults. Each entry binds its
 * arguments by {@link Signature} and builds IR; composite ops (sigmoid cross entropy, l2_loss,
 * reduce_logsumexp, bias_add) are built from primitives exactly as TF's Python builds them, so their
 * gradients are TF's too.
 */
final class Ops {
    private interface Impl { Val apply(Args a); }
    private record Entry(Signature sig, Impl impl) {}

    private static final Map<String, Entry> TABLE = new LinkedHashMap<>();



    static boolean isBuiltin(String name) {
        return TABLE.containsKey(name) || OptimizerCatalog.has(name) || TrainFunctions.has(name);
    }

    static Set<String> names() { return TABLE.keySet(); }

    private final Checker c;

    Ops(Checker c) { this.c = c; }

    Val call(Ast.Name fn, Ast.Call call) {
        Entry e = TABLE.get(fn.name());
        if (e == null) {
            java.util.Set<String> all = new java.util.HashSet<>(TABLE.keySet());
            all.addAll(OptimizerCatalog.NAMES);
            all.addAll(TrainFunctions.names());
            String near = Names.closest(fn.name(), all);
            throw c.errors.fail(fn.span(), "unknown function `" + fn.name() + "`",
                    near != null ? "did you mean `" + near + "`?" : "docs/language.md lists the functions");
        }
        Map<String, Ast.Arg> bound = e.sig().bind(call, c.errors);
        if (bound == null) throw new Errors.Abort();
        Args args = new Args(c, e.sig().name(), bound, call.span());
        if (args.has("name") && !(args.val("name") instanceof Val.Str)) {
            throw c.errors.fail(args.span("name"), fn.name() + "'s name must be a string, got " + Val.describe(args.val("name")),
                    "name labels the op, e.g. name=\"logits\"");
        }
        Val v = e.impl().apply(args);
        return v;
    }

    /** Bound arguments of one call, with conversions that report problems at the argument. */
    static final class Args {
        final Checker c;
        final GraphBuilder b;
        final String fn;
        final Map<String, Ast.Arg> bound;
        final Span span;
        private final Map<String, Val> cache = new LinkedHashMap<>();

        Args(Checker c, String fn, Map<String, Ast.Arg> bound, Span span) {
            this.c = c;
            this.b = c.b;
            this.fn = fn;
            this.bound = bound;
            this.span = span;
        }

        boolean has(String p) { return bound.containsKey(p) && !(val(p) instanceof Val.None); }
        Span span(String p) { return bound.containsKey(p) ? bound.get(p).value().span() : span; }

        Val val(String p) {
            if (!bound.containsKey(p)) return new Val.None();
            return cache.computeIfAbsent(p, k -> c.eval(bound.get(k).value()));
        }

        int tensor(String p) { return tensor(p, null); }
        int tensor(String p, DType hint) { return c.tensor(val(p), span(p), hint); }

        double number(String p, double dflt) { return has(p) ? c.number(val(p), span(p), fn + "'s " + p) : dflt; }
        long integer(String p, long dflt) { return has(p) ? c.integer(val(p), span(p), fn + "'s " + p) : dflt; }
        boolean bool(String p, boolean dflt) { return has(p) ? c.bool(val(p), span(p), fn + "'s " + p) : dflt; }
        long[] integers(String p) { return c.integers(val(p), span(p), fn + "'s " + p); }

        /** An axis argument: an integer, a list of integers, or absent (null: all axes). */
        int[] axes(String p) {
            if (!has(p)) return null;
            Val v = val(p);
            if (v instanceof Val.Num) return new int[] {(int) c.integer(v, span(p), fn + "'s " + p)};
            long[] l = c.integers(v, span(p), fn + "'s " + p);
            int[] out = new int[l.length];
            for (int i = 0; i < l.length; i++) out[i] = (int) l[i];
            return out;
        }

        DType dtype(String p, DType dflt) {
            if (!has(p)) return dflt;
            if (val(p) instanceof Val.Type t) return t.dtype();
            if (val(p) instanceof Val.Str s && DType.fromLanguageName(s.value()) != null) return DType.fromLanguageName(s.value());
            throw c.errors.fail(span(p), fn + "'s " + p + " must be a dtype (f32, f64, i32, i64), got " + Val.describe(val(p)), null);
        }

        List<Integer> tensors(String p) {
            Val v = val(p);
            if (!(v instanceof Val.Seq s)) {
                throw c.errors.fail(span(p), fn + "'s " + p + " must be a list of tensors like [a, b], got " + Val.describe(v), null);
            }
            DType hint = s.items().stream().filter(x -> x instanceof Val.Tensor).map(x -> b.dtype(((Val.Tensor) x).node()))
                    .findFirst().orElse(null);
            List<Integer> out = new ArrayList<>();
            for (Val item : s.items()) out.add(c.tensor(item, span(p), hint));
            return out;
        }

        Val tensorVal(java.util.function.IntSupplier step) {
            b.at(span);
            return new Val.Tensor(c.guard(span, step));
        }

        /** Like {@link #tensorVal}, but a type or shape error is reported at {@code at} (usually one argument). */
        Val tensorValAt(Span at, java.util.function.IntSupplier step) {
            b.at(span);
            return new Val.Tensor(c.guard(at, step));
        }

        /** Reports a non-floating tensor argument at the argument (an op's float-only input). */
        int floatTensor(String p) {
            int x = tensor(p);
            if (!b.dtype(x).isFloating()) {
                throw c.errors.fail(span(p), fn + "'s " + p + " must be floating-point, got " + b.type(x),
                        "use cast(" + p + ", f32) to convert integers");
            }
            return x;
        }
    }

    private static void def(String spec, Impl impl) {
        String name = spec.substring(0, spec.indexOf('('));
        String params = spec.substring(spec.indexOf('(') + 1, spec.length() - 1);
        Signature sig = Signature.of(name, params.isEmpty() ? new String[0] : params.split(",\\s*"));
        TABLE.put(name, new Entry(sig, impl));
    }

    private static void unary(String name, String param, UnaryFn fn, boolean anyNumber) {
        def(name + "(" + param + ", name?)", a -> {
            int x = a.tensor(param);
            return a.tensorValAt(a.span(param), () -> anyNumber ? a.b.unaryAnyNumber(fn, x) : a.b.unary(fn, x));
        });
    }

    private static void binary(String name, BinaryFn fn) {
        def(name + "(x, y, name?)", a -> new Val.Tensor(a.c.binaryOp(fn, a.val("x"), a.span("x"), a.val("y"), a.span("y"), a.span)));
    }

    private static void reduce(String name, ReduceFn fn) {
        def(name + "(input_tensor, axis?, keepdims?, name?)", a -> {
            int x = a.tensor("input_tensor");
            int[] axes = a.axes("axis");
            boolean keep = a.bool("keepdims", false);
            return a.tensorValAt(a.span("axis"), () -> a.b.reduce(fn, x, axes, keep));
        });
    }

    static {
        binary("add", BinaryFn.ADD);
        binary("subtract", BinaryFn.SUB);
        binary("multiply", BinaryFn.MUL);
        binary("divide", BinaryFn.DIV);
        binary("maximum", BinaryFn.MAX);
        binary("minimum", BinaryFn.MIN);
        binary("pow", BinaryFn.POW);
        binary("squared_difference", BinaryFn.SQUARED_DIFFERENCE);

        unary("negative", "x", UnaryFn.NEG, true);
        unary("abs", "x", UnaryFn.ABS, true);
        unary("sign", "x", UnaryFn.SIGN, true);
        unary("square", "x", UnaryFn.SQUARE, true);
        unary("sqrt", "x", UnaryFn.SQRT, false);
        unary("rsqrt", "x", UnaryFn.RSQRT, false);
        unary("exp", "x", UnaryFn.EXP, false);
        unary("log", "x", UnaryFn.LOG, false);
        unary("log1p", "x", UnaryFn.LOG1P, false);
        unary("reciprocal", "x", UnaryFn.RECIPROCAL, false);
        unary("relu", "features", UnaryFn.RELU, false);
        unary("relu6", "features", UnaryFn.RELU6, false);
        unary("elu", "features", UnaryFn.ELU, false);
        unary("selu", "features", UnaryFn.SELU, false);
        unary("softplus", "features", UnaryFn.SOFTPLUS, false);
        unary("softsign", "features", UnaryFn.SOFTSIGN, false);
        unary("sigmoid", "x", UnaryFn.SIGMOID, false);
        unary("tanh", "x", UnaryFn.TANH, false);
        def("leaky_relu(features, alpha?, name?)", a -> {
            int x = a.tensor("features");
            double alpha = a.number("alpha", 0.2);
            return a.tensorVal(() -> a.b.leakyRelu(x, alpha));
        });

        def("matmul(a, b, transpose_a?, transpose_b?, name?)", a -> {
            int x = a.tensor("a"), y = a.tensor("b");
            boolean ta = a.bool("transpose_a", false), tb = a.bool("transpose_b", false);
            return a.tensorVal(() -> a.b.matmul(x, y, ta, tb));
        });

        reduce("reduce_sum", ReduceFn.SUM);
        reduce("reduce_mean", ReduceFn.MEAN);
        reduce("reduce_max", ReduceFn.MAX);
        reduce("reduce_min", ReduceFn.MIN);
        def("reduce_logsumexp(input_tensor, axis?, keepdims?, name?)", a -> {
            int x = a.tensor("input_tensor");
            int[] axes = a.axes("axis");
            boolean keep = a.bool("keepdims", false);
            return a.tensorVal(() -> descent.compiler.ir.Composites.reduceLogSumExp(a.b, x, axes, keep));
        });

        def("reshape(tensor, shape, name?)", a -> {
            int x = a.tensor("tensor");
            long[] spec = a.integers("shape");
            return a.tensorValAt(a.span("shape"), () -> a.b.reshape(x, a.b.reshapeTarget(x, spec)));
        });
        def("transpose(a, perm?, name?)", a -> {
            int x = a.tensor("a");
            int[] perm = a.axes("perm");
            return a.tensorValAt(a.span("perm"), () -> a.b.transpose(x, perm));
        });
        def("expand_dims(input, axis, name?)", a -> {
            int x = a.tensor("input");
            int axis = (int) a.integer("axis", 0);
            return a.tensorVal(() -> {
                Shape s = a.b.shape(x);
                int ax = axis < 0 ? axis + s.rank() + 1 : axis;
                if (ax < 0 || ax > s.rank()) {
                    throw new descent.compiler.ir.IrException("expand_dims axis " + axis + " is out of range for a rank-"
                            + s.rank() + " tensor", "axes run from " + (-s.rank() - 1) + " to " + s.rank());
                }
                List<Dim> dims = new ArrayList<>(s.dims());
                dims.add(ax, Dim.of(1));
                return a.b.reshape(x, new Shape(dims));
            });
        });
        def("squeeze(input, axis?, name?)", a -> {
            int x = a.tensor("input");
            int[] axes = a.axes("axis");
            return a.tensorValAt(a.span("axis"), () -> {
                Shape s = a.b.shape(x);
                List<Integer> drop = axes == null ? null : GraphBuilder.normalizeAxes(axes, s.rank(), "squeeze");
                List<Dim> dims = new ArrayList<>();
                for (int i = 0; i < s.rank(); i++) {
                    boolean one = s.dim(i).isOne();
                    if (drop == null ? one : drop.contains(i)) {
                        if (!one) {
                            throw new descent.compiler.ir.IrException("cannot squeeze axis " + i + " of " + s + ": its size is "
                                    + s.dim(i) + ", not 1", "only axes of size 1 can be squeezed");
                        }
                    } else dims.add(s.dim(i));
                }
                return a.b.reshape(x, new Shape(dims));
            });
        });
        def("concat(values, axis, name?)", a -> {
            List<Integer> xs = a.tensors("values");
            int axis = (int) a.integer("axis", 0);
            return a.tensorValAt(a.span("values"), () -> a.b.concat(xs, axis));
        });
        def("slice(input_, begin, size, name?)", a -> {
            int x = a.tensor("input_");
            long[] begin = a.integers("begin"), size = a.integers("size");
            return a.tensorValAt(a.span("begin").to(a.span("size")), () -> a.b.slice(x, begin, size));
        });
        def("tile(input, multiples, name?)", a -> {
            int x = a.tensor("input");
            long[] m = a.integers("multiples");
            return a.tensorValAt(a.span("multiples"), () -> a.b.tile(x, m));
        });

        def("softmax(logits, axis?, name?)", a -> lastAxis(a, "softmax", false));
        def("log_softmax(logits, axis?, name?)", a -> lastAxis(a, "log_softmax", true));
        def("softmax_cross_entropy_with_logits(labels, logits, dim?, name?)", a -> {
            int logits = a.floatTensor("logits");
            int labels = a.tensor("labels", a.b.dtype(logits));
            if (a.has("dim") && a.integer("dim", -1) != -1 && a.integer("dim", -1) != a.b.shape(logits).rank() - 1) {
                throw a.c.errors.fail(a.span("dim"), "softmax_cross_entropy_with_logits supports only the last axis (dim=-1)",
                        "transpose so the classes are last");
            }
            return a.tensorValAt(a.span("labels"), () -> a.b.softmaxXent(labels, logits));
        });
        def("sparse_softmax_cross_entropy_with_logits(labels, logits, name?)", a -> {
            int logits = a.floatTensor("logits");
            int labels = a.tensor("labels", DType.I32);
            return a.tensorValAt(a.span("labels"), () -> a.b.sparseSoftmaxXent(labels, logits));
        });
        def("sigmoid_cross_entropy_with_logits(labels, logits, name?)", a -> {
            int x = a.floatTensor("logits");
            int z = a.tensor("labels", a.b.dtype(x));
            return a.tensorValAt(a.span("labels"), () -> descent.compiler.ir.Composites.sigmoidCrossEntropyWithLogits(a.b, z, x));
        });
        def("l2_loss(t, name?)", a -> {
            int x = a.floatTensor("t");
            return a.tensorVal(() -> descent.compiler.ir.Composites.l2Loss(a.b, x));
        });
        def("bias_add(value, bias, data_format?, name?)", a -> {
            int x = a.tensor("value");
            int bias = a.tensor("bias", a.b.dtype(x));
            if (a.has("data_format") && !(a.val("data_format") instanceof Val.Str f && f.value().startsWith("N") && f.value().endsWith("C"))) {
                throw a.c.errors.fail(a.span("data_format"), "bias_add supports only channels-last data (data_format=\"NHWC\")",
                        "transpose so the channels are last");
            }
            return a.tensorValAt(a.span("bias"), () -> descent.compiler.ir.Composites.biasAdd(a.b, x, bias));
        });

        def("gather(params, indices, axis?, name?)", a -> {
            int p = a.tensor("params");
            int i = a.tensor("indices", DType.I32);
            int axis = (int) a.integer("axis", 0);
            return a.tensorValAt(a.b.dtype(i).isFloating() ? a.span("indices") : a.span, () -> a.b.gather(p, i, axis));
        });
        def("embedding_lookup(params, ids, name?)", a -> {
            int p = a.tensor("params");
            int i = a.tensor("ids", DType.I32);
            return a.tensorValAt(a.b.dtype(i).isFloating() ? a.span("ids") : a.span, () -> a.b.gather(p, i, 0));
        });
        def("one_hot(indices, depth, on_value?, off_value?, axis?, dtype?, name?)", a -> {
            int i = a.tensor("indices", DType.I32);
            long depth = a.integer("depth", 0);
            double on = a.number("on_value", 1.0), off = a.number("off_value", 0.0);
            long axis = a.integer("axis", -1);
            DType dt = a.dtype("dtype", DType.F32);
            if (!dt.isFloating() && (on != Math.rint(on) || off != Math.rint(off))) {
                throw a.c.errors.fail(a.span("dtype"), "one_hot with dtype " + dt + " needs integer on_value and off_value, got "
                        + on + " and " + off, "use dtype=f32, or integer values");
            }
            if (axis != -1 && axis != a.b.shape(i).rank()) {
                throw a.c.errors.fail(a.span("axis"), "one_hot supports only the last axis (-1)", "transpose the result instead");
            }
            return a.tensorValAt(a.span("indices"), () -> a.b.oneHot(i, (int) depth, on, off, dt));
        });
        def("cast(x, dtype, name?)", a -> {
            DType dt = a.dtype("dtype", null);
            // A literal becomes a constant of the dtype asked for (TF: cast(3000000000, i64) is an int64); a float
            // literal cast to an integer dtype is first a float.
            if (a.val("x") instanceof Val.Num n && dt != null) {
                DType as = n.isFloat() && !dt.isFloating() ? DType.F64 : dt;
                int x = a.tensor("x", as);
                return a.tensorVal(() -> as == dt ? a.b.identity(x) : a.b.cast(x, dt));
            }
            int x = a.tensor("x");
            return a.tensorVal(() -> a.b.cast(x, dt));
        });
        def("identity(input, name?)", a -> {
            int x = a.tensor("input");
            return a.tensorVal(() -> a.b.identity(x));
        });
        def("stop_gradient(input, name?)", a -> {
            int x = a.tensor("input");
            return a.tensorVal(() -> a.b.stopGradient(x));
        });
        def("gradients(ys, xs, grad_ys?, aggregation_method?, unconnected_gradients?, name?)", Ops::gradients);
    }

    private static Val lastAxis(Args a, String op, boolean log) {
        int x = a.tensor("logits");
        if (a.has("axis")) {
            long axis = a.integer("axis", -1);
            int rank = a.b.shape(x).rank();
            if (axis != -1 && axis != rank - 1) {
                throw a.c.errors.fail(a.span("axis"), op + " supports only the last axis", "transpose so the classes are last");
            }
        }
        return a.tensorVal(() -> log ? a.b.logSoftmax(x) : a.b.softmax(x));
    }

    /** {@code tf.gradients}: a list of gradients (a single one when xs is a single tensor). */
    private static Val gradients(Args a) {
        boolean single = !(a.val("xs") instanceof Val.Seq);
        List<Integer> ys = a.val("ys") instanceof Val.Seq ? a.tensors("ys") : List.of(a.tensor("ys"));
        List<Integer> xs = single ? List.of(a.tensor("xs")) : a.tensors("xs");
        List<Integer> gradYs = null;
        if (a.has("grad_ys")) {
            if (a.val("grad_ys") instanceof Val.Seq seq) {
                // Each literal takes its own y's dtype, as a single one does.
                gradYs = new ArrayList<>();
                for (int i = 0; i < seq.items().size(); i++) {
                    gradYs.add(a.c.tensor(seq.items().get(i), a.span("grad_ys"), a.b.dtype(ys.get(Math.min(i, ys.size() - 1)))));
                }
            } else {
                gradYs = List.of(a.tensor("grad_ys", a.b.dtype(ys.get(0))));
            }
            if (gradYs.size() != ys.size()) {
                throw a.c.errors.fail(a.span("grad_ys"), "grad_ys has " + gradYs.size() + " entries for " + ys.size() + " ys",
                        "give one gradient per y");
            }
            for (int i = 0; i < ys.size(); i++) {
                if (!a.b.type(gradYs.get(i)).equals(a.b.type(ys.get(i)))) {
                    throw a.c.errors.fail(a.span("grad_ys"), "grad_ys[" + i + "] is " + a.b.type(gradYs.get(i))
                            + " but ys[" + i + "] is " + a.b.type(ys.get(i)), "each grad_y has the type of its y");
                }
            }
        }
        for (int y : ys) {
            if (!a.b.dtype(y).isFloating()) {
                throw a.c.errors.fail(a.span("ys"), "cannot differentiate " + a.b.type(y), "ys must be floating-point tensors");
            }
        }
        Aggregation agg = a.has("aggregation_method") ? a.c.aggregation(a.val("aggregation_method"), a.span("aggregation_method"))
                : Aggregation.DEFAULT;
        String unconnected = "none";
        if (a.has("unconnected_gradients")) {
            unconnected = a.val("unconnected_gradients") instanceof Val.Str s ? s.value() : "?";
            if (!unconnected.equals("none") && !unconnected.equals("zero")) {
                throw a.c.errors.fail(a.span("unconnected_gradients"), "unconnected_gradients must be \"none\" or \"zero\"", null);
            }
        }
        List<Integer> gy = gradYs;
        a.b.at(a.span);
        List<Grad> grads = List.of();
        try {
            grads = Autodiff.gradients(a.b, ys, gy, xs, agg);
        } catch (descent.compiler.ir.IrException e) {
            throw a.c.errors.fail(a.span, e.getMessage(), e.hint());
        }
        List<Val> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            Grad g = grads.get(i);
            if (g instanceof Grad.None) {
                if (unconnected.equals("zero")) {
                    out.add(new Val.Tensor(a.b.constant(0.0, a.b.type(xs.get(i)))));
                    continue;
                }
                Ast.Expr xsArg = a.bound.get("xs").value(), ysArg = a.bound.get("ys").value();
                if (xsArg instanceof Ast.ListExpr l && i < l.items().size()) xsArg = l.items().get(i);
                String x = xsArg instanceof Ast.Name n ? "`" + n.name() + "`" : "xs[" + i + "]";
                String y = ysArg instanceof Ast.Name n ? "`" + n.name() + "`" : "ys";
                throw a.c.errors.fail(xsArg.span(), x + " does not affect " + y + ": its gradient is None",
                        "differentiate with respect to tensors " + y + " is computed from, or pass unconnected_gradients=\"zero\" to get zeros");
            }
            out.add(new Val.Tensor(g.toDense(a.b)));
        }
        return single ? out.get(0) : new Val.Seq(out, false);
    }
}
