package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.diag.Span;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of a callable, with TF's names: binds a call's positional and keyword arguments to them
 * the way Python does, reporting unknown keywords, missing and surplus arguments.
 */
record Signature(String name, List<String> params, Set<String> required) {

    static Signature of(String name, String... params) {
        List<String> ps = new ArrayList<>();
        java.util.Set<String> req = new java.util.LinkedHashSet<>();
        for (String p : params) {
            if (p.endsWith("?")) ps.add(p.substring(0, p.length() - 1));
            else { ps.add(p); req.add(p); }
        }
        return new Signature(name, List.copyOf(ps), Set.copyOf(req));
    }

    /**
     * The parameters that may be given positionally: all but an optional {@code name}, which labels the op
     * and is keyword-only here, so that {@code add(a, b, c)} is reported instead of taking `c` as the name.
     * (A required {@code name}, like get_slot's slot name, stays positional.)
     */
    private List<String> positionalParams() {
        return params.stream().filter(p -> !p.equals("name") || required.contains(p)).toList();
    }

    /** The bound arguments by parameter name, or null after reporting why they do not bind. */
    Map<String, Ast.Arg> bind(Ast.Call call, Errors errors) {
        List<String> positionalParams = positionalParams();
        Map<String, Ast.Arg> out = new LinkedHashMap<>();
        int positional = 0;
        boolean ok = true;
        boolean seenKeyword = false;
        for (Ast.Arg a : call.args()) {
            if (!a.isKeyword()) {
                if (seenKeyword) {
                    String next = positionalParams.stream().filter(p -> !out.containsKey(p)).findFirst().orElse(null);
                    errors.error(a.span(), "positional argument after a keyword argument in " + name + "(...)",
                            next != null ? "give it by name too (`" + next + "=...`), or put positional arguments first"
                                    : "put positional arguments first");
                    ok = false;
                    continue;
                }
                if (positional >= positionalParams.size()) {
                    long given = countPositional(call);
                    errors.error(a.span(), name + "() takes " + arity() + " but " + given + (given == 1 ? " was" : " were") + " given",
                            "call it as " + usage());
                    ok = false;
                    break;
                }
                out.put(positionalParams.get(positional++), a);
            } else {
                seenKeyword = true;
                String k = a.keyword().name();
                if (!params.contains(k)) {
                    String alias = ALIASES.get(k);
                    String near = alias != null && params.contains(alias) ? alias : Names.closest(k, params);
                    errors.error(a.keyword().span(), name + "() got an unexpected keyword argument `" + k + "`",
                            near != null ? "did you mean `" + near + "`?"
                                    : params.isEmpty() ? name + "() takes no arguments" : "parameters: " + String.join(", ", params));
                    ok = false;
                } else if (out.containsKey(k)) {
                    boolean byPosition = !out.get(k).isKeyword();
                    Ast.Expr given = out.get(k).value();
                    String hint = !byPosition ? "give each argument once"
                            : (given instanceof Ast.Name n ? "`" + n.name() + "`" : "a positional argument") + " already gives `" + k
                            + "` by position; call it as " + usage()
                            + (params.get(0).equals("values") ? ", with the tensors in one list, e.g. " + name + "([a, b], axis=1)" : "");
                    errors.error(a.keyword().span(), name + "() got multiple values for argument `" + k + "`", hint);
                    ok = false;
                } else {
                    out.put(k, a);
                }
            }
        }
        if (!ok) return null;
        for (String r : params) {
            if (required.contains(r) && !out.containsKey(r)) {
                Span s = call.span();
                errors.error(s, name + "() is missing the required argument `" + r + "`",
                        "call it as " + usage());
                return null;
            }
        }
        return out;
    }

    /** Other libraries' and older TF's names for a parameter, for "did you mean" (Keras's `lr`, TF 1's `reduction_indices`). */
    private static final Map<String, String> ALIASES = Map.of("lr", "learning_rate", "reduction_indices", "axis",
            "keep_dims", "keepdims", "dim", "axis", "keepdim", "keepdims", "decay", "decay_rate");

    private static long countPositional(Ast.Call call) {
        return call.args().stream().filter(a -> !a.isKeyword()).count();
    }

    private String arity() {
        int n = positionalParams().size();
        if (n == required.size()) return n == 1 ? "1 positional argument" : n + " positional arguments";
        return "at most " + n + " positional argument" + (n == 1 ? "" : "s");
    }

    /** How to call it, e.g. {@code reduce_sum(input_tensor, axis=..., keepdims=...)}; `name` is left out. */
    String usage() {
        List<String> parts = new ArrayList<>();
        int optional = 0;
        for (String p : positionalParams()) {
            if (required.contains(p)) parts.add(p);
            else if (optional++ < 4) parts.add(p + "=...");
        }
        if (optional > 4) parts.add("...");
        return name + "(" + String.join(", ", parts) + ")";
    }
}
