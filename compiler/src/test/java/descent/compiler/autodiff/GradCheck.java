package descent.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.interp.Precision;
import descent.compiler.interp.Session;
import descent.compiler.ir.Model;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A finite-difference check of {@code gradients}. A model declares the inputs, {@code gc_y = <expr>}, a random
 * fixed upstream {@code gc_dy} of y's type and {@code gradients(gc_y, [xs], grad_ys=gc_dy)}; everything runs in
 * {@link Precision#F64} on f64 inputs, so perturbations are exact. Each analytic gradient element is compared
 * with the central difference of {@code s(x) = sum(y * dy)}, step {@code h = 1e-6 * max(1, |x|)}:
 * {@code |analytic - numeric| <= 1e-6 * max(1, |numeric|)}.
 */
final class GradCheck {
    static final double TOL = 1e-6;
    static final double STEP = 1e-6;

    private final String expr;
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final Map<String, String> declared = new LinkedHashMap<>();
    private final List<String> wrt = new ArrayList<>();
    private String gradientOptions = "";

    private GradCheck(String expr) { this.expr = expr; }

    static GradCheck of(String expr) { return new GradCheck(expr); }

    /** An input fed with {@code value}, declared with its dtype and concrete shape. */
    GradCheck in(String name, Tensor value) {
        inputs.put(name, value);
        return this;
    }

    /** An input declared with {@code type} as written in the language (e.g. {@code f64[batch, 3]}). */
    GradCheck in(String name, String type, Tensor value) {
        declared.put(name, type);
        return in(name, value);
    }

    /** The inputs to differentiate; by default every f64 input. */
    GradCheck wrt(String... names) {
        wrt.addAll(List.of(names));
        return this;
    }

    /** Extra keyword arguments of the gradients call, e.g. {@code aggregation_method="EXPERIMENTAL_TREE"}. */
    GradCheck options(String keywordArgs) {
        gradientOptions = ", " + keywordArgs;
        return this;
    }

    /** The model text with the upstream gradient's type filled in. */
    String modelText(String yType) {
        StringBuilder sb = new StringBuilder("model gradcheck\n");
        inputs.forEach((n, t) -> sb.append("input ").append(n).append(": ")
                .append(declared.getOrDefault(n, typeString(t.dtype(), t.shape()))).append('\n'));
        sb.append("gc_y = ").append(expr).append('\n');
        // Fetched for the finite differences: an f32 y would be rounded to float when fetched.
        sb.append("gc_y64 = cast(gc_y, f64)\n");
        if (yType != null) {
            List<String> xs = xs();
            sb.append("input gc_dy: ").append(yType).append('\n');
            sb.append(String.join(", ", xs.stream().map(x -> "gc_g_" + x).toList()))
                    .append(" = gradients(gc_y, ").append(xs.size() == 1 ? xs.get(0) : "[" + String.join(", ", xs) + "]")
                    .append(", grad_ys=gc_dy").append(gradientOptions).append(")\n");
        }
        return sb.toString();
    }

    private List<String> xs() {
        if (!wrt.isEmpty()) return wrt;
        List<String> all = new ArrayList<>();
        inputs.forEach((n, t) -> { if (t.dtype() == DType.F64) all.add(n); });
        return all;
    }

    /** The analytic gradients by input name, after checking each against finite differences. */
    Map<String, double[]> run() {
        Model probe = Compiler.check("gradcheck.descent", modelText(null));
        TensorType yType = probe.graph().type(probe.names().get("gc_y"));
        String text = modelText(yType.dtype() + yType.shape().toString());
        Model model = Compiler.check("gradcheck.descent", text);
        Session session = new Session(model, Precision.F64, 0);

        Map<String, Tensor> feeds = new LinkedHashMap<>(inputs);
        Tensor y0 = session.evaluate(feeds, List.of("gc_y")).get("gc_y");
        Random r = new Random(31L * expr.hashCode() + inputs.keySet().hashCode());
        double[] dy = new double[y0.size()];
        for (int i = 0; i < dy.length; i++) dy[i] = Math.round((r.nextDouble() * 2 - 1) * 1000) / 1000.0;
        feeds.put("gc_dy", Tensor.fromDoubles(y0.dtype(), y0.shape(), dy));

        List<String> xs = xs();
        List<String> fetches = xs.stream().map(x -> "gc_g_" + x).toList();
        Map<String, Tensor> grads = session.evaluate(feeds, fetches);
        Map<String, double[]> out = new LinkedHashMap<>();
        StringBuilder bad = new StringBuilder();
        for (String x : xs) {
            Tensor xv = inputs.get(x);
            Tensor g = grads.get("gc_g_" + x);
            if (g.dtype() != xv.dtype() || !Arrays.equals(g.shape(), xv.shape())) {
                fail("gradient of " + x + " is " + g.dtype() + Tensor.shapeString(g.shape()) + " but " + x + " is "
                        + xv.dtype() + Tensor.shapeString(xv.shape()) + "\n" + text);
            }
            double[] analytic = g.toDoubles();
            double[] numeric = numeric(session, x, dy);
            for (int i = 0; i < analytic.length; i++) {
                double d = Math.abs(analytic[i] - numeric[i]);
                if (!(d <= TOL * Math.max(1, Math.abs(numeric[i])))) {
                    bad.append(String.format("  d/d%s[%d]: analytic %.12g, numeric %.12g (|d| = %.3g)%n",
                            x, i, analytic[i], numeric[i], d));
                }
            }
            out.put(x, analytic);
        }
        if (!bad.isEmpty()) fail("gradients disagree with finite differences for " + expr + ":\n" + bad + "--- model ---\n" + text);
        return out;
    }

    /** Central differences of sum(y * dy) with respect to every element of input {@code x}. */
    private double[] numeric(Session session, String x, double[] dy) {
        double[] base = inputs.get(x).doubles();
        double[] out = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            double h = STEP * Math.max(1, Math.abs(base[i]));
            double plus = objective(session, x, base, i, base[i] + h, dy);
            double minus = objective(session, x, base, i, base[i] - h, dy);
            out[i] = (plus - minus) / ((base[i] + h) - (base[i] - h));
        }
        return out;
    }

    private double objective(Session session, String x, double[] base, int i, double value, double[] dy) {
        double[] p = base.clone();
        p[i] = value;
        Map<String, Tensor> feeds = new LinkedHashMap<>(inputs);
        feeds.put(x, Tensor.of(p, inputs.get(x).shape()));
        double[] y = session.evaluate(feeds, List.of("gc_y64")).get("gc_y64").toDoubles();
        double s = 0;
        for (int k = 0; k < y.length; k++) s += y[k] * dy[k];
        return s;
    }

    static String typeString(DType dtype, int[] shape) {
        StringBuilder sb = new StringBuilder(dtype.languageName()).append('[');
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return sb.append(']').toString();
    }

    // ---- inputs

    /** Random f64 inputs for one check; all draws come from one seeded stream. */
    static final class Gen {
        final Random r;

        Gen(long seed) { r = new Random(seed); }

        private static int size(int[] shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        Tensor range(double lo, double hi, int... shape) {
            double[] d = new double[size(shape)];
            for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r.nextDouble();
            return Tensor.of(d, shape);
        }

        /** Uniform in [-2, 2]. */
        Tensor u(int... shape) { return range(-2, 2, shape); }

        /** Magnitude in [0.1, 2], random sign: away from the kinks at 0 (relu-like, abs) and from poles. */
        Tensor away(int... shape) {
            double[] d = new double[size(shape)];
            for (int i = 0; i < d.length; i++) d[i] = (r.nextBoolean() ? 1 : -1) * (0.1 + 1.9 * r.nextDouble());
            return Tensor.of(d, shape);
        }

        /** In [0.5, 2]: bases of sqrt, log, pow. */
        Tensor pos(int... shape) { return range(0.5, 2, shape); }

        /** Values in [lo, hi] at least {@code margin} away from every point of {@code kinks}. */
        Tensor avoiding(double lo, double hi, double margin, double[] kinks, int... shape) {
            double[] d = new double[size(shape)];
            for (int i = 0; i < d.length; i++) {
                double v;
                boolean ok;
                do {
                    v = lo + (hi - lo) * r.nextDouble();
                    ok = true;
                    for (double k : kinks) ok &= Math.abs(v - k) >= margin;
                } while (!ok);
                d[i] = v;
            }
            return Tensor.of(d, shape);
        }

        /**
         * Tensors whose elements are all distinct from each other (pairwise gaps well above the FD step), for
         * maximum/minimum and reduce_max/min: a shuffled grid over [-2, 2] with a little jitter.
         */
        Tensor[] distinct(int[]... shapes) {
            int n = 0;
            for (int[] s : shapes) n += size(s);
            int slots = Math.max(n, 24);
            double spacing = 4.0 / slots;
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < slots; i++) order.add(i);
            java.util.Collections.shuffle(order, r);
            Tensor[] out = new Tensor[shapes.length];
            int k = 0;
            for (int t = 0; t < shapes.length; t++) {
                double[] d = new double[size(shapes[t])];
                for (int i = 0; i < d.length; i++) {
                    d[i] = -2 + spacing * (order.get(k++) + 0.5 + 0.3 * (r.nextDouble() - 0.5));
                }
                out[t] = Tensor.of(d, shapes[t]);
            }
            return out;
        }

        /** Rows summing to 1 over the last axis (soft labels). */
        Tensor probabilities(int... shape) {
            int c = shape[shape.length - 1];
            double[] d = new double[size(shape)];
            for (int row = 0; row < d.length / c; row++) {
                double sum = 0;
                for (int j = 0; j < c; j++) sum += d[row * c + j] = 0.1 + r.nextDouble();
                for (int j = 0; j < c; j++) d[row * c + j] /= sum;
            }
            return Tensor.of(d, shape);
        }

        Tensor ints(int bound, int... shape) {
            int[] d = new int[size(shape)];
            for (int i = 0; i < d.length; i++) d[i] = r.nextInt(bound);
            return Tensor.of(d, shape);
        }
    }

    static Tensor ids(int[] values, int... shape) { return Tensor.of(values, shape); }
}
