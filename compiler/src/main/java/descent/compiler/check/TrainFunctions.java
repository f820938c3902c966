package descent.compiler.check;

import descent.compiler.ir.Grad;
import descent.compiler.ir.TensorType;
import descent.compiler.train.GradAndVar;
import descent.compiler.train.GradientTransforms;
import descent.compiler.train.Schedules;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learning-rate schedules and gradient transforms as language functions (TF 1 names and parameters).
 * They may be used anywhere; in train blocks they shape hyperparameters and gradient lists.
 */
final class TrainFunctions {
    private interface Impl { Val apply(Ops.Args a); }
    private record Entry(Signature sig, Impl impl) {}
    private static final Map<String, Entry> TABLE = new LinkedHashMap<>();

    static boolean has(String name) { return TABLE.containsKey(name); }
    static java.util.Set<String> names() { return TABLE.keySet(); }

    static Val call(Checker c, Ops.Args a) { return TABLE.get(a.fn).impl().apply(a); }

    static Signature signature(String name) { return TABLE.get(name).sig(); }

    private static void def(String spec, Impl impl) {
        String name = spec.substring(0, spec.indexOf('('));
        String params = spec.substring(spec.indexOf('(') + 1, spec.length() - 1);
        TABLE.put(name, new Entry(Signature.of(name, params.split(",\\s*")), impl));
    }

    /** The schedule's dtype: the learning rate's if it is a f64 tensor, else f32 (TF's default float). */
    private static Schedules schedules(Ops.Args a, String lrParam) {
        DType dt = a.val(lrParam) instanceof Val.Tensor t && a.b.dtype(t.node()) == DType.F64 ? DType.F64 : DType.F32;
        return new Schedules(a.b, dt);
    }

    /** A scalar argument as a node (numbers become f32 constants; the schedule casts). */
    private static int s(Ops.Args a, String p, double dflt) {
        if (!a.has(p)) return a.b.scalar(dflt, DType.F32);
        Val v = a.val(p);
        if (v instanceof Val.Num n) return a.b.scalar(n.value(), DType.F32);
        return a.tensor(p);
    }

    private static int s(Ops.Args a, String p) { return s(a, p, 0); }

    private interface Decay { int apply(Schedules s, int lr, int gs, int steps, int rate, boolean staircase); }

    private static void decay(String name, Decay d) {
        def(name + "(learning_rate, global_step, decay_steps, decay_rate, staircase?, name?)", a -> a.tensorVal(() ->
                d.apply(schedules(a, "learning_rate"), s(a, "learning_rate"), s(a, "global_step"), s(a, "decay_steps"),
                        s(a, "decay_rate"), a.bool("staircase", false))));
    }

    static {
        decay("exponential_decay", Schedules::exponentialDecay);
        decay("inverse_time_decay", Schedules::inverseTimeDecay);
        decay("natural_exp_decay", Schedules::naturalExpDecay);
        def("piecewise_constant(x, boundaries, values, name?)", a -> {
            int x = a.tensor("x");
            List<Integer> bounds = numbers(a, "boundaries", a.b.dtype(x));
            List<Integer> values = numbers(a, "values", DType.F32);
            return a.tensorVal(() -> new Schedules(a.b, a.b.dtype(values.get(0))).piecewiseConstant(x, bounds, values));
        });
        def("polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate?, power?, cycle?, name?)",
                a -> a.tensorVal(() -> schedules(a, "learning_rate").polynomialDecay(s(a, "learning_rate"), s(a, "global_step"),
                        s(a, "decay_steps"), s(a, "end_learning_rate", 0.0001), s(a, "power", 1.0), a.bool("cycle", false))));
        def("cosine_decay(learning_rate, global_step, decay_steps, alpha?, name?)", a -> a.tensorVal(() ->
                schedules(a, "learning_rate").cosineDecay(s(a, "learning_rate"), s(a, "global_step"), s(a, "decay_steps"),
                        s(a, "alpha", 0.0))));
        def("cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul?, m_mul?, alpha?, name?)",
                a -> a.tensorVal(() -> schedules(a, "learning_rate").cosineDecayRestarts(s(a, "learning_rate"),
                        s(a, "global_step"), s(a, "first_decay_steps"), s(a, "t_mul", 2.0), s(a, "m_mul", 1.0), s(a, "alpha", 0.0))));
        def("linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods?, alpha?, beta?, name?)",
                a -> a.tensorVal(() -> schedules(a, "learning_rate").linearCosineDecay(s(a, "learning_rate"),
                        s(a, "global_step"), s(a, "decay_steps"), s(a, "num_periods", 0.5), s(a, "alpha", 0.0),
                        s(a, "beta", 0.001))));

        def("clip_by_value(t, clip_value_min, clip_value_max, name?)", a -> {
            if (a.val("t") instanceof Val.Slices s) {
                // TF clips an IndexedSlices' values and keeps its indices: each slice on its own, before duplicates are summed.
                Grad.Sliced g = s.grad();
                int lo = a.tensor("clip_value_min", a.b.dtype(g.values())), hi = a.tensor("clip_value_max", a.b.dtype(g.values()));
                a.b.at(a.span);
                return a.c.guardResult(a.span, () -> new Val.Slices(new Grad.Sliced(
                        GradientTransforms.clipByValue(a.b, g.values(), lo, hi), g.indices(), g.denseShape())));
            }
            int t = perSlice(a, a.tensor("t"), "t");
            int lo = a.tensor("clip_value_min", a.b.dtype(t)), hi = a.tensor("clip_value_max", a.b.dtype(t));
            return a.tensorVal(() -> GradientTransforms.clipByValue(a.b, t, lo, hi));
        });
        def("clip_by_norm(t, clip_norm, axes?, name?)", a -> {
            if (a.val("t") instanceof Val.Slices s) {
                Grad.Sliced g = s.grad();
                int clip = scalarLike(a, "clip_norm", g.values());
                int[] axes = a.has("axes") ? slicesAxes(a, g) : null;
                a.b.at(a.span);
                return a.c.guardResult(a.span, () -> new Val.Slices(new Grad.Sliced(
                        GradientTransforms.clipByNorm(a.b, g.values(), clip, axes), g.indices(), g.denseShape())));
            }
            int t = perSlice(a, a.tensor("t"), "t");
            int clip = scalarLike(a, "clip_norm", t);
            int[] axes = a.axes("axes");
            return a.tensorVal(() -> GradientTransforms.clipByNorm(a.b, t, clip, axes));
        });
        def("clip_by_average_norm(t, clip_norm, name?)", a -> {
            int t = a.tensor("t");
            int clip = scalarLike(a, "clip_norm", t);
            return a.tensorVal(() -> GradientTransforms.clipByAverageNorm(a.b, t, clip));
        });
        def("global_norm(t_list, name?)", a -> {
            List<Grad> list = gradList(a, "t_list");
            return a.tensorVal(() -> GradientTransforms.globalNorm(a.b, list));
        });
        def("clip_by_global_norm(t_list, clip_norm, use_norm?, name?)", a -> {
            List<Grad> list = gradList(a, "t_list");
            int clip = a.tensor("clip_norm", DType.F32);
            int use = a.has("use_norm") ? a.tensor("use_norm", DType.F32) : -1;
            a.b.at(a.span);
            GradientTransforms.Clipped r = a.c.guardResult(a.span, () -> GradientTransforms.clipByGlobalNorm(a.b, list, clip, use));
            Val clipped;
            if (a.val("t_list") instanceof Val.Pairs p) {
                List<GradAndVar> out = new ArrayList<>();
                for (int i = 0; i < p.pairs().size(); i++) out.add(new GradAndVar(r.list().get(i), p.pairs().get(i).var()));
                clipped = new Val.Pairs(out);
            } else {
                List<Val> out = new ArrayList<>();
                for (Grad g : r.list()) out.add(toVal(g));
                clipped = new Val.Seq(out, false);
            }
            return new Val.Seq(List.of(clipped, new Val.Tensor(r.norm())), true);
        });
        def("random_normal_like(t, mean?, stddev?, seed?, name?)", a -> {
            int t = a.tensor("t");
            double mean = a.number("mean", 0.0), std = a.number("stddev", 1.0);
            long seed = a.has("seed") ? a.integer("seed", 0) : (long) a.span.line() * 1_000_003L + a.span.column();
            TensorType type = a.b.type(t);
            if (!type.dtype().isFloating()) {
                throw a.c.errors.fail(a.span("t"), "random_normal_like needs a floating-point tensor, got " + type, null);
            }
            return a.tensorVal(() -> a.b.randomNormal(type, seed, mean, std));
        });
    }

    static {
        def("IndexedSlices(values, indices, dense_shape)", a -> {
            int values = a.tensor("values");
            int indices = a.tensor("indices", DType.I32);
            long[] dense = a.integers("dense_shape");
            return a.c.guardResult(a.span, () -> {
                if (a.b.dtype(indices).isFloating()) {
                    throw new descent.compiler.ir.IrException("IndexedSlices indices must be integers, got " + a.b.type(indices), null);
                }
                descent.compiler.ir.Shape denseShape = descent.compiler.ir.Shape.of(dense);
                List<descent.compiler.ir.Dim> expect = new ArrayList<>(a.b.shape(indices).dims());
                expect.addAll(denseShape.dims().subList(Math.min(1, denseShape.rank()), denseShape.rank()));
                if (denseShape.rank() < 1 || !a.b.shape(values).equals(new descent.compiler.ir.Shape(expect))) {
                    throw new descent.compiler.ir.IrException("IndexedSlices values " + a.b.shape(values) + " do not fit indices "
                            + a.b.shape(indices) + " and dense_shape " + denseShape,
                            "values have the indices' shape followed by dense_shape without its first dimension");
                }
                return new Val.Slices(new Grad.Sliced(values, indices, denseShape));
            });
        });
    }

    static Val toVal(Grad g) {
        return switch (g) {
            case Grad.Dense d -> new Val.Tensor(d.node());
            case Grad.Sliced s -> new Val.Slices(s);
            case Grad.None n -> new Val.None();
        };
    }

    /** A list of gradients: (gradient, variable) pairs, or a list of tensors / IndexedSlices / None. */
    private static List<Grad> gradList(Ops.Args a, String p) {
        Val v = a.val(p);
        List<Grad> out = new ArrayList<>();
        if (v instanceof Val.Pairs pairs) {
            for (GradAndVar gv : pairs.pairs()) {
                if (gv.grad() instanceof Grad.Dense d) perSlice(a, d.node(), p);
                out.add(gv.grad());
            }
            return out;
        }
        if (v instanceof Val.Seq seq) {
            for (Val item : seq.items()) {
                out.add(switch (item) {
                    case Val.Slices s -> s.grad();
                    case Val.None n -> Grad.NONE;
                    default -> new Grad.Dense(perSlice(a, a.c.tensor(item, a.span(p), null), p));
                });
            }
            return out;
        }
        throw a.c.errors.fail(a.span(p), a.fn + "'s " + p + " must be a list of tensors or (gradient, variable) pairs, got "
                + Val.describe(v), null);
    }

    /**
     * {@code axes} of an IndexedSlices' values as TF numbers them: TF's values are [n, dense_shape[1:]...] (the ids
     * flattened), Descent's have the ids' own shape in front, so TF's axis 0 is every ids axis and axis i ≥ 1 the
     * i-th dimension of a row.
     */
    private static int[] slicesAxes(Ops.Args a, Grad.Sliced g) {
        int rank = g.denseShape().rank(), idsRank = a.b.shape(g.indices()).rank();
        List<Integer> out = new ArrayList<>();
        for (int axis : a.axes("axes")) {
            if (axis < -rank || axis >= rank) {
                throw a.c.errors.fail(a.span("axes"), "clip_by_norm's axes: axis " + axis + " is out of range for an IndexedSlices whose values have rank "
                        + rank + " (TF numbers them [slices, the row's dimensions...])", null);
            }
            int x = axis < 0 ? axis + rank : axis;
            if (x == 0) for (int i = 0; i < idsRank; i++) out.add(i);
            else out.add(idsRank - 1 + x);
        }
        return out.stream().distinct().mapToInt(Integer::intValue).toArray();
    }

    /**
     * {@code node}, unless it is an IndexedSlices summed densely because its lookups' ids have no joined shape
     * ({@link descent.compiler.ir.GraphBuilder#densifiedSlices(int)}): TF clips and measures such a gradient slice
     * by slice, before repeated ids are summed, which the dense sum no longer can.
     */
    private static int perSlice(Ops.Args a, int node, String p) {
        String shapes = a.b.densifiedSlices(node);
        if (shapes == null) return node;
        throw a.c.errors.fail(a.span(p), a.fn + " of an IndexedSlices that TensorFlow concatenates from lookups with ids of shapes "
                + shapes + ": Descent has no dimension for that concatenation and holds the gradient summed densely, so it cannot "
                + "clip or measure each slice as TensorFlow does", "give every lookup of the table ids of one shape, or ids whose "
                + "dimensions after the first are fixed (i32[batch, 20] and i32[batch])");
    }

    private static int scalarLike(Ops.Args a, String p, int like) {
        int x = a.tensor(p, a.b.dtype(like));
        return a.b.dtype(x) == a.b.dtype(like) ? x : a.b.cast(x, a.b.dtype(like));
    }

    private static List<Integer> numbers(Ops.Args a, String p, DType dtype) {
        Val v = a.val(p);
        if (!(v instanceof Val.Seq s) || s.items().isEmpty()) {
            throw a.c.errors.fail(a.span(p), a.fn + "'s " + p + " must be a non-empty list", null);
        }
        List<Integer> out = new ArrayList<>();
        for (Val item : s.items()) out.add(a.c.tensor(item, a.span(p), dtype));
        return out;
    }

}
