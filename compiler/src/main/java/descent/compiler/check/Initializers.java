package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.ast.Ast.VarDecl;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.Initializer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Resolves a variable's `= ...` into an {@link Initializer}, checking its arguments against the variable. */
final class Initializers {
    private Initializers() {}

    private static final Map<String, Signature> SIGS = Map.of(
            "zeros", Signature.of("zeros"),
            "ones", Signature.of("ones"),
            "constant", Signature.of("constant", "value"),
            "random_uniform", Signature.of("random_uniform", "minval?", "maxval?", "seed?"),
            "random_normal", Signature.of("random_normal", "mean?", "stddev?", "seed?"),
            "truncated_normal", Signature.of("truncated_normal", "mean?", "stddev?", "seed?"),
            "glorot_uniform", Signature.of("glorot_uniform", "seed?"),
            "glorot_normal", Signature.of("glorot_normal", "seed?"),
            "variance_scaling", Signature.of("variance_scaling", "scale?", "mode?", "distribution?", "seed?"));

    static Initializer resolve(Checker c, VarDecl d, TensorType t) {
        Ast.Expr e = d.init();
        if (e == null) return new Initializer.Zeros();
        return switch (e) {
            case Ast.Num n -> constant(c, n, t);
            case Ast.ListExpr l -> new Initializer.Constant(0, values(c, l, t));
            case Ast.Call call -> call(c, call, t);
            default -> throw c.errors.fail(e.span(), "unsupported initializer", "use a number, a list or an initializer call");
        };
    }

    private static Initializer constant(Checker c, Ast.Num n, TensorType t) { return constant(c, n, t, false); }

    /** {@code n}, or {@code -n} when {@code negated} (range-checked as the value it is: -2147483648 fits i32). */
    private static Initializer constant(Checker c, Ast.Num n, TensorType t, boolean negated) {
        checkIntegerLiteral(c, n);
        if (n.isFloat() && !t.dtype().isFloating()) {
            throw c.errors.fail(n.span(), "the number " + n.text() + " cannot initialize an " + t.dtype() + " variable",
                    "write an integer, or declare the variable f32");
        }
        double value = negated ? -n.value() : n.value();
        checkRange(c, value, n.span(), t.dtype());
        return new Initializer.Constant(value, null);
    }

    /**
     * An integer literal beyond ±2^53 is an error wherever it appears: literals are held as doubles, which would
     * round it silently (2^53 + 1 became 2^53). Checked on the literal's own digits.
     */
    static void checkIntegerLiteral(Checker c, Ast.Num n) {
        if (n.isFloat()) return;
        java.math.BigInteger v;
        try {
            v = new java.math.BigInteger(n.text().replace("_", ""));
        } catch (NumberFormatException e) {
            return;
        }
        if (v.abs().compareTo(java.math.BigInteger.ONE.shiftLeft(53)) > 0) {
            throw c.errors.fail(n.span(), n.text() + " is beyond 2^53, the largest integer Descent holds exactly",
                    "integers are exact up to ±9007199254740992 (2^53); for a float, write it as one (1e19)");
        }
    }

    /** Integers must fit their dtype; i64 values are exact up to 2^53, the interpreter's integer range. */
    private static void checkRange(Checker c, double v, descent.compiler.diag.Span span, descent.runtime.DType d) {
        double limit = switch (d) {
            case I32 -> Integer.MAX_VALUE;
            case I64 -> 9007199254740992.0;
            default -> Double.POSITIVE_INFINITY;
        };
        // i32's range is asymmetric: -2147483648 fits, 2147483648 does not.
        if (d == descent.runtime.DType.I32 ? v < Integer.MIN_VALUE || v > Integer.MAX_VALUE : Math.abs(v) > limit) {
            throw c.errors.fail(span, String.format("%.0f does not fit %s", v, d),
                    d == descent.runtime.DType.I32 ? "i32 holds -2147483648..2147483647; declare the variable i64"
                            : "Descent keeps integers exact up to 2^53");
        }
    }

    private static double[] values(Checker c, Ast.ListExpr l, TensorType t) {
        List<Double> flat = new ArrayList<>();
        List<Long> nested = nestedShape(l);
        if (nested.size() > 1) {
            List<Long> want = t.shape().dims().stream().map(d -> d.size()).toList();
            if (!nested.equals(want)) {
                throw c.errors.fail(l.span(), "the nested list has shape " + nested + " but the variable is " + t,
                        "nest the values as the shape is, or give them flat in row-major order");
            }
        }
        flatten(c, l, t.dtype(), flat);
        for (double v : flat) checkRange(c, v, l.span(), t.dtype());
        long n = t.shape().staticSize();
        if (flat.size() != n && flat.size() != 1) {
            throw c.errors.fail(l.span(), "the list has " + flat.size() + " values but " + t + " holds " + n,
                    "give one value per element in row-major order, or a single number");
        }
        return flat.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The shape a (possibly nested) list literal spells, [] when ragged (reported by the count check). */
    private static List<Long> nestedShape(Ast.Expr e) {
        if (!(e instanceof Ast.ListExpr l)) return List.of();
        List<Long> inner = l.items().isEmpty() ? List.of() : nestedShape(l.items().get(0));
        for (Ast.Expr item : l.items()) if (!nestedShape(item).equals(inner)) return List.of((long) l.items().size(), -1L);
        List<Long> out = new ArrayList<>();
        out.add((long) l.items().size());
        out.addAll(inner);
        return out;
    }

    private static void flatten(Checker c, Ast.Expr e, DType dtype, List<Double> out) {
        switch (e) {
            case Ast.ListExpr l -> { for (Ast.Expr x : l.items()) flatten(c, x, dtype, out); }
            case Ast.Num n -> {
                checkIntegerLiteral(c, n);
                if (n.isFloat() && !dtype.isFloating()) {
                    throw c.errors.fail(n.span(), "the number " + n.text() + " cannot initialize an " + dtype + " variable", null);
                }
                out.add(n.value());
            }
            case Ast.Unary u when u.operand() instanceof Ast.Num n -> {
                flatten(c, n, dtype, out);
                out.set(out.size() - 1, -out.get(out.size() - 1));
            }
            default -> throw c.errors.fail(e.span(), "initializer lists hold numbers only", null);
        }
    }

    private static Initializer call(Checker c, Ast.Call call, TensorType t) {
        String name = ((Ast.Name) call.callee()).name();
        Signature sig = SIGS.get(name);
        if (sig == null) {
            String near = Names.closest(name, SIGS.keySet());
            throw c.errors.fail(call.callee().span(), "unknown initializer `" + name + "`",
                    near != null ? "did you mean `" + near + "`?" : "initializers: " + String.join(", ", SIGS.keySet().stream().sorted().toList()));
        }
        Map<String, Ast.Arg> args = sig.bind(call, c.errors);
        if (args == null) throw new Errors.Abort();
        Ops.Args a = new Ops.Args(c, name, args, call.span());
        boolean random = !Set.of("zeros", "ones", "constant").contains(name);
        if (random && !t.dtype().isFloating()) {
            throw c.errors.fail(call.callee().span(), name + " needs a floating-point variable, not " + t.dtype(),
                    "declare the variable f32, or initialize it with zeros(), ones() or constant(...)");
        }
        Long seed = a.has("seed") ? a.integer("seed", 0) : null;
        return switch (name) {
            case "zeros" -> new Initializer.Zeros();
            case "ones" -> new Initializer.Ones();
            case "constant" -> {
                Ast.Expr v = args.get("value").value();
                if (v instanceof Ast.ListExpr l) yield new Initializer.Constant(0, values(c, l, t));
                if (v instanceof Ast.Unary u && u.operand() instanceof Ast.Num n) yield constant(c, n, t, true);
                if (v instanceof Ast.Num n) yield constant(c, n, t);
                throw c.errors.fail(v.span(), "constant(...) takes a number or a list of numbers", null);
            }
            case "random_uniform" -> {
                double lo = a.number("minval", 0.0), hi = a.number("maxval", 1.0);
                if (!(hi > lo)) {
                    throw c.errors.fail(call.span(), "random_uniform needs minval < maxval, got " + lo + " and " + hi,
                            "minval is the lower bound and maxval the upper one");
                }
                yield new Initializer.RandomUniform(lo, hi, seed);
            }
            case "random_normal", "truncated_normal" -> {
                double mean = a.number("mean", 0.0), std = a.number("stddev", 1.0);
                if (std < 0) throw c.errors.fail(a.span("stddev"), name + " stddev must not be negative, got " + std, null);
                yield name.equals("random_normal") ? new Initializer.RandomNormal(mean, std, seed)
                        : new Initializer.TruncatedNormal(mean, std, seed);
            }
            case "glorot_uniform" -> new Initializer.VarianceScaling(1.0, "fan_avg", "uniform", seed);
            case "glorot_normal" -> new Initializer.VarianceScaling(1.0, "fan_avg", "truncated_normal", seed);
            case "variance_scaling" -> {
                double scale = a.number("scale", 1.0);
                if (!(scale > 0)) throw c.errors.fail(a.span("scale"), "variance_scaling scale must be positive, got " + scale, null);
                String mode = string(c, a, "mode", "fan_in", Set.of("fan_in", "fan_out", "fan_avg"));
                String dist = string(c, a, "distribution", "truncated_normal",
                        Set.of("truncated_normal", "untruncated_normal", "normal", "uniform"));
                yield new Initializer.VarianceScaling(scale, mode, dist, seed);
            }
            default -> throw new IllegalStateException(name);
        };
    }

    private static String string(Checker c, Ops.Args a, String p, String dflt, Set<String> allowed) {
        if (!a.has(p)) return dflt;
        if (a.val(p) instanceof Val.Str s && allowed.contains(s.value())) return s.value();
        throw c.errors.fail(a.span(p), "variance_scaling " + p + " must be one of " + allowed.stream().sorted().map(x -> "\"" + x + "\"").toList(),
                null);
    }
}
