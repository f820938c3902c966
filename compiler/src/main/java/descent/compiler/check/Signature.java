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

    /** The bound arguments by parameter name, or null after reporting why they do not bind. */
    Map<String, Ast.Arg> bind(Ast.Call call, Errors errors) {
        Map<String, Ast.Arg> out = new LinkedHashMap<>();
        int positional = 0;
        boolean ok = true;
        boolean seenKeyword = false;
        for (Ast.Arg a : call.args()) {
            if (!a.isKeyword()) {
                if (seenKeyword) {
                    errors.error(a.span(), "positional argument after a keyword argument in " + name + "(...)",
                            "put positional arguments first");
                    ok = false;
                    continue;
                }
                if (positional >= params.size()) {
                    errors.error(a.span(), name + "() takes " + arity() + " but " + countPositional(call) + " were given",
                            "parameters: " + String.join(", ", params));
                    ok = false;
                    break;
                }
                out.put(params.get(positional++), a);
            } else {
                seenKeyword = true;
                String k = a.keyword().name();
                if (!params.contains(k)) {
                    String near = Names.closest(k, params);
                    errors.error(a.keyword().span(), name + "() got an unexpected keyword argument `" + k + "`",
                            near != null ? "did you mean `" + near + "`?" : "parameters: " + String.join(", ", params));
                    ok = false;
                } else if (out.containsKey(k)) {
                    errors.error(a.keyword().span(), name + "() got multiple values for argument `" + k + "`", null);
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

    private static long countPositional(Ast.Call call) {
        return call.args().stream().filter(a -> !a.isKeyword()).count();
    }

    private String arity() {
        int n = params.size();
        return n == 1 ? "1 positional argument" : "at most " + n + " positional arguments";
    }

    String usage() {
        List<String> parts = new ArrayList<>();
        for (String p : params) parts.add(required.contains(p) ? p : p + "=...");
        return name + "(" + String.join(", ", parts) + ")";
    }
}
