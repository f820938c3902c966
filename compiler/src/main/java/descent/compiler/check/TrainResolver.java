package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.ast.Ast.*;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.Model;
import java.util.HashSet;
import java.util.Set;

/**
 * Resolves the names in a train block and finds the loss it optimizes. The block's full meaning
 * (optimizers, slots, updates) is the optimizer stage's; here every name must resolve and every called
 * function and method must exist, so typos are caught at `descent check`.
 */
final class TrainResolver {
    static final Set<String> METHODS = Set.of("minimize", "compute_gradients", "apply_gradients", "get_slot",
            "get_slot_names", "get_name", "variables");
    static final Set<String> CONSTANTS = Set.of("GATE_NONE", "GATE_OP", "GATE_GRAPH", "ADD_N", "DEFAULT",
            "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N");

    private final Checker c;
    private final Set<String> locals = new HashSet<>();
    private int loss = -1;
    private Aggregation aggregation = Aggregation.DEFAULT;

    TrainResolver(Checker c) { this.c = c; }

    Model.TrainInfo resolve(TrainBlock t) {
        for (Stmt s : t.body()) {
            try {
                switch (s) {
                    case Assign a -> {
                        expr(a.value(), Set.of());
                        for (Ident id : a.targets()) {
                            if (c.topLevelNames().contains(id.name())) {
                                c.errors.error(id.span(), "`" + id.name() + "` is already defined outside the train block",
                                        "choose a new name for values local to the block");
                            }
                            locals.add(id.name());
                        }
                    }
                    case ExprStmt e -> expr(e.expr(), Set.of());
                    default -> c.errors.error(s.span(), "only assignments and calls may appear in a train block", null);
                }
            } catch (Errors.Abort ignored) {
                // Reported; go on.
            }
        }
        return new Model.TrainInfo(t.name().name(), t.name().span(), loss, aggregation);
    }

    private void expr(Expr e, Set<String> scope) {
        switch (e) {
            case Name n -> {
                if (!(scope.contains(n.name()) || locals.contains(n.name()) || c.topLevelNames().contains(n.name())
                        || CONSTANTS.contains(n.name()))) {
                    Set<String> all = new HashSet<>(c.topLevelNames());
                    all.addAll(locals);
                    all.addAll(scope);
                    all.addAll(CONSTANTS);
                    String near = Names.closest(n.name(), all);
                    c.errors.error(n.span(), "undefined name `" + n.name() + "`",
                            near != null ? "did you mean `" + near + "`?" : "names must be defined before the train block uses them");
                }
            }
            case Call call -> {
                switch (call.callee()) {
                    case Name fn -> {
                        if (!Ops.isBuiltin(fn.name())) {
                            Set<String> all = new HashSet<>(Ops.names());
                            all.addAll(Ops.TRAIN_FUNCTIONS);
                            String near = Names.closest(fn.name(), all);
                            c.errors.error(fn.span(), "unknown function `" + fn.name() + "`",
                                    near != null ? "did you mean `" + near + "`?" : "docs/language.md lists the functions and optimizers");
                        }
                    }
                    case Attr at -> {
                        expr(at.object(), scope);
                        String m = at.attr().name();
                        if (!METHODS.contains(m)) {
                            String near = Names.closest(m, METHODS);
                            c.errors.error(at.attr().span(), "optimizers have no method `" + m + "`",
                                    near != null ? "did you mean `" + near + "`?" : "methods: " + String.join(", ", METHODS.stream().sorted().toList()));
                        } else if (m.equals("minimize") || m.equals("compute_gradients")) {
                            findLoss(call, scope);
                        }
                    }
                    default -> c.errors.error(call.callee().span(), "only functions and optimizer methods can be called", null);
                }
                for (Arg a : call.args()) expr(a.value(), scope);
            }
            case Attr at -> expr(at.object(), scope);
            case Unary u -> expr(u.operand(), scope);
            case Binary bin -> { expr(bin.left(), scope); expr(bin.right(), scope); }
            case ListExpr l -> l.items().forEach(x -> expr(x, scope));
            case TupleExpr t -> t.items().forEach(x -> expr(x, scope));
            case Comprehension comp -> {
                expr(comp.source(), scope);
                Set<String> inner = new HashSet<>(scope);
                inner.add(comp.gradVar().name());
                inner.add(comp.varVar().name());
                expr(comp.element(), inner);
            }
            default -> { }
        }
    }

    /** The loss of the first minimize/compute_gradients call, when it is a tensor of the model. */
    private void findLoss(Call call, Set<String> scope) {
        if (loss >= 0) return;
        Ast.Expr lossExpr = null;
        for (Arg a : call.args()) {
            if (a.isKeyword() && a.keyword().name().equals("loss")) lossExpr = a.value();
            if (a.isKeyword() && a.keyword().name().equals("aggregation_method")) {
                aggregation = c.aggregation(new Val.Str(a.value() instanceof Name n ? n.name()
                        : a.value() instanceof Str s ? s.value() : "?"), a.value().span());
            }
        }
        if (lossExpr == null && !call.args().isEmpty() && !call.args().get(0).isKeyword()) lossExpr = call.args().get(0).value();
        if (lossExpr instanceof Name n && !locals.contains(n.name()) && !scope.contains(n.name())
                && c.topLevelNames().contains(n.name())) {
            Val v = c.eval(n);
            if (v instanceof Val.Tensor t) {
                if (!c.b.type(t.node()).dtype().isFloating()) {
                    c.errors.error(n.span(), "the loss `" + n.name() + "` is " + c.b.type(t.node()) + "; it must be floating-point",
                            "cast it, e.g. cast(loss, f32)");
                } else {
                    loss = t.node();
                }
            }
        }
    }

}
