package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.ast.Ast.*;
import descent.compiler.diag.Span;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.Grad;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.TrainStep.GateMode;
import descent.compiler.train.GradAndVar;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.TrainBuilder;
import descent.compiler.train.optimizers.AdamW;
import descent.compiler.train.optimizers.MomentumW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gives a {@code train NAME { ... }} block its meaning: its statements run against the tf.train API
 * ({@link Optimizer}), building one {@link TrainStep}. Names assigned in the block are local to it.
 */
final class TrainLowering {
    static final Set<String> METHODS = Set.of("minimize", "compute_gradients", "apply_gradients", "get_slot",
            "get_slot_names", "get_name");

    private final Checker c;
    private TrainBuilder tb;

    TrainLowering(Checker c) { this.c = c; }

    TrainStep lower(TrainBlock block) {
        tb = new TrainBuilder(c.b, c.stateRegistry());
        Map<String, Val> locals = c.pushScope();
        List<String> failedLocals = new ArrayList<>();
        try {
            for (Stmt s : block.body()) {
                try {
                    c.b.at(s.span());
                    switch (s) {
                        case Assign a -> {
                            Val v = c.eval(a.value());
                            c.bindLocal(a.targets(), v, a.value().span());
                        }
                        case ExprStmt e -> c.eval(e.expr());
                        default -> c.errors.error(s.span(), "only assignments and calls may appear in a train block", null);
                    }
                } catch (Errors.Abort ignored) {
                    // Reported; go on with the next statement. Uses of the names it failed to bind are not reported again.
                    if (s instanceof Assign a) {
                        for (Ident id : a.targets()) if (!locals.containsKey(id.name()) && c.markFailed(id.name())) failedLocals.add(id.name());
                    }
                }
            }
        } finally {
            c.popScope();
            c.unmarkFailed(failedLocals);
        }
        Map<String, Integer> tensors = new LinkedHashMap<>();
        locals.forEach((k, v) -> { if (v instanceof Val.Tensor t) tensors.put(k, t.node()); });
        TrainStep step = tb.build(block.name().name(), block.name().span(), tensors);
        if (step.updates().isEmpty() && !c.hasErrors()) {
            c.errors.error(block.name().span(), "train block `" + block.name().name() + "` changes no variable",
                    "call opt.minimize(loss) or opt.apply_gradients(gv) in it");
        }
        return step;
    }

    // ---- optimizer constructors

    Val construct(Ast.Name fn, Call call) {
        OptimizerCatalog.Entry e = OptimizerCatalog.TABLE.get(fn.name());
        Map<String, Arg> bound = e.sig().bind(call, c.errors);
        if (bound == null) throw new Errors.Abort();
        Ops.Args args = new Ops.Args(c, fn.name(), bound, call.span());
        OptimizerCatalog.A a = new OptimizerCatalog.A() {
            public Hyper hyper(String p, double dflt) { return args.has(p) ? hyperOf(args, p) : Hyper.of(dflt); }
            public Hyper hyper(String p) { return hyperOf(args, p); }
            public double number(String p, double dflt) { return args.number(p, dflt); }
            public boolean bool(String p, boolean dflt) { return args.bool(p, dflt); }
            public String string(String p, String dflt) { return args.has(p) ? str(args, p) : dflt; }
            public VariableInfo variable(String p) { return args.has(p) ? variableOf(args.val(p), args.span(p)) : null; }
        };
        try {
            return new Val.Optim(e.factory().create(a), fn.name());
        } catch (IrException ex) {
            throw c.errors.fail(call.span(), ex.getMessage(), ex.hint());
        }
    }

    private Hyper hyperOf(Ops.Args a, String p) {
        Val v = a.val(p);
        if (v instanceof Val.Num n) return Hyper.of(n.value());
        if (v instanceof Val.Tensor t) {
            if (c.b.shape(t.node()).rank() != 0 || !c.b.dtype(t.node()).isFloating()) {
                throw c.errors.fail(a.span(p), a.fn + "'s " + p + " must be a floating-point scalar, got " + c.b.type(t.node()),
                        "hyperparameters are numbers or scalar f32 tensors (schedules, fed inputs)");
            }
            return new Hyper.Node(t.node());
        }
        throw c.errors.fail(a.span(p), a.fn + "'s " + p + " must be a number or a scalar tensor, got " + Val.describe(v), null);
    }

    private String str(Ops.Args a, String p) {
        if (a.val(p) instanceof Val.Str s) return s.value();
        if (a.val(p) instanceof Val.None) return null;
        throw c.errors.fail(a.span(p), a.fn + "'s " + p + " must be a string, got " + Val.describe(a.val(p)), null);
    }

    VariableInfo variableOf(Val v, Span span) {
        if (v instanceof Val.Tensor t) {
            VariableInfo info = c.variableAt(t.node());
            if (info != null) return info;
            String n = c.b.node(t.node()).name();
            throw c.errors.fail(span, "Trying to update a Tensor " + (n != null ? "`" + n + "`" : "%" + t.node()),
                    "only variables declared with `var` can be optimized or used as global_step");
        }
        throw c.errors.fail(span, "expected a variable, got " + Val.describe(v), null);
    }

    // ---- methods

    private static final Signature MINIMIZE = Signature.of("minimize", "loss", "global_step?", "var_list?",
            "gate_gradients?", "aggregation_method?", "colocate_gradients_with_ops?", "name?", "grad_loss?", "decay_var_list?");
    private static final Signature COMPUTE = Signature.of("compute_gradients", "loss", "var_list?", "gate_gradients?",
            "aggregation_method?", "colocate_gradients_with_ops?", "grad_loss?");
    private static final Signature APPLY = Signature.of("apply_gradients", "grads_and_vars", "global_step?", "name?",
            "decay_var_list?");
    private static final Signature GET_SLOT = Signature.of("get_slot", "var", "name");
    private static final Signature NO_ARGS_NAMES = Signature.of("get_slot_names");
    private static final Signature NO_ARGS_NAME = Signature.of("get_name");

    Val method(Attr attr, Call call) {
        Val obj = c.eval(attr.object());
        String m = attr.attr().name();
        if (!(obj instanceof Val.Optim o)) {
            throw c.errors.fail(attr.object().span(), Val.describe(obj) + " has no method `" + m + "`",
                    "methods like minimize belong to optimizers: `opt = AdamOptimizer(...)`");
        }
        if (!METHODS.contains(m)) {
            String near = Names.closest(m, METHODS);
            throw c.errors.fail(attr.attr().span(), "optimizers have no method `" + m + "`",
                    near != null ? "did you mean `" + near + "`?" : "methods: " + String.join(", ", METHODS.stream().sorted().toList()));
        }
        Signature sig = switch (m) {
            case "minimize" -> MINIMIZE;
            case "compute_gradients" -> COMPUTE;
            case "apply_gradients" -> APPLY;
            case "get_slot" -> GET_SLOT;
            case "get_slot_names" -> NO_ARGS_NAMES;
            default -> NO_ARGS_NAME;
        };
        Map<String, Arg> bound = sig.bind(call, c.errors);
        if (bound == null) throw new Errors.Abort();
        Ops.Args a = new Ops.Args(c, m, bound, call.span());
        Optimizer opt = o.optimizer();
        try {
            return switch (m) {
                case "minimize" -> {
                    setDecay(opt, a);
                    opt.minimize(tb, loss(a), globalStep(a), options(a), c.trainableVariables());
                    yield new Val.TrainOp();
                }
                case "compute_gradients" -> new Val.Pairs(opt.computeGradients(tb, loss(a), options(a), c.trainableVariables()));
                case "apply_gradients" -> {
                    setDecay(opt, a);
                    opt.applyGradients(tb, pairs(a), globalStep(a));
                    yield new Val.TrainOp();
                }
                case "get_slot" -> {
                    // TF returns None for anything without such a slot, a plain tensor included.
                    VariableInfo v = a.val("var") instanceof Val.Tensor tv ? c.variableAt(tv.node()) : null;
                    String slotName = c.stringArg(a, "name");
                    VariableInfo slot = v == null ? null : opt.getSlot(v, slotName);
                    yield slot == null ? new Val.None() : new Val.Tensor(slot.node());
                }
                case "get_slot_names" -> new Val.Seq(opt.getSlotNames().stream().map(s -> (Val) new Val.Str(s)).toList(), false);
                default -> new Val.Str(opt.getName());
            };
        } catch (IrException e) {
            throw c.errors.fail(call.span(), e.getMessage(), e.hint());
        }
    }

    private int loss(Ops.Args a) {
        int loss = a.tensor("loss");
        if (!c.b.dtype(loss).isFloating()) {
            throw c.errors.fail(a.span("loss"), "Invalid type " + c.b.dtype(loss) + " for loss, expected: [f32, f64].",
                    "the loss must be floating-point; cast it with cast(loss, f32)");
        }
        return loss;
    }

    private VariableInfo globalStep(Ops.Args a) {
        return a.has("global_step") ? variableOf(a.val("global_step"), a.span("global_step")) : null;
    }

    private Optimizer.GradientOptions options(Ops.Args a) {
        Optimizer.GradientOptions o = Optimizer.GradientOptions.defaults();
        if (a.has("var_list")) o = o.varList(variables(a, "var_list"));
        if (a.has("gate_gradients")) {
            Val g = a.val("gate_gradients");
            GateMode mode = g instanceof Val.Num n && !n.isFloat() ? GateMode.of((long) n.value()) : null;
            if (mode == null) {
                String shown = g instanceof Val.Num n ? Checker.fmtNum(n) : Val.describe(g);
                throw c.errors.fail(a.span("gate_gradients"), "gate_gradients must be one of: Optimizer.GATE_NONE, "
                        + "Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not " + shown, "use GATE_NONE, GATE_OP or GATE_GRAPH");
            }
            o = o.gate(mode);
        }
        if (a.has("aggregation_method")) o = o.aggregation(c.aggregation(a.val("aggregation_method"), a.span("aggregation_method")));
        if (a.has("colocate_gradients_with_ops")) o = o.colocate(a.bool("colocate_gradients_with_ops", false));
        if (a.has("grad_loss")) o = o.gradLoss(a.tensor("grad_loss"));
        return o;
    }

    private List<VariableInfo> variables(Ops.Args a, String p) {
        Val v = a.val(p);
        List<Val> items = v instanceof Val.Seq s ? s.items() : List.of(v);
        List<VariableInfo> out = new ArrayList<>();
        for (Val item : items) out.add(variableOf(item, a.span(p)));
        return out;
    }

    private void setDecay(Optimizer opt, Ops.Args a) {
        Set<String> names = null;
        if (a.has("decay_var_list")) {
            if (!(opt instanceof AdamW) && !(opt instanceof MomentumW)) {
                throw c.errors.fail(a.span("decay_var_list"), "decay_var_list applies only to AdamWOptimizer and MomentumWOptimizer", null);
            }
            names = new LinkedHashSet<>();
            for (VariableInfo v : variables(a, "decay_var_list")) names.add(v.name());
            // TF: `set(decay_var_list) if decay_var_list else False`, and then every variable decays when that is falsy.
            if (names.isEmpty()) names = null;
        }
        if (opt instanceof AdamW w) w.setDecayVarList(names);
        if (opt instanceof MomentumW w) w.setDecayVarList(names);
    }

    private List<GradAndVar> pairs(Ops.Args a) {
        Val v = a.val("grads_and_vars");
        if (v instanceof Val.Pairs p) return p.pairs();
        if (v instanceof Val.Seq s) {
            List<GradAndVar> out = new ArrayList<>();
            for (Val item : s.items()) out.add(pair(item, a.span("grads_and_vars")));
            return out;
        }
        throw c.errors.fail(a.span("grads_and_vars"), "apply_gradients takes (gradient, variable) pairs, got " + Val.describe(v),
                "pass what compute_gradients returned, e.g. `opt.apply_gradients(gv)`");
    }

    private GradAndVar pair(Val item, Span span) {
        if (!(item instanceof Val.Seq s) || s.items().size() != 2) {
            throw c.errors.fail(span, "each entry must be a (gradient, variable) pair, got " + Val.describe(item), null);
        }
        Grad g = switch (s.items().get(0)) {
            case Val.Slices sl -> sl.grad();
            case Val.None n -> Grad.NONE;
            case Val.Tensor t -> new Grad.Dense(t.node());
            default -> throw c.errors.fail(span, "Gradient must be a Tensor, IndexedSlices, or None: "
                    + Val.describe(s.items().get(0)), null);
        };
        return new GradAndVar(g, variableOf(s.items().get(1), span));
    }

    // ---- [(f(g, v), v) for (g, v) in gv]

    Val comprehension(Comprehension comp) {
        Val src = c.eval(comp.source());
        if (!(src instanceof Val.Pairs p)) {
            throw c.errors.fail(comp.source().span(), "comprehensions iterate over (gradient, variable) pairs, got "
                    + Val.describe(src), "use the list compute_gradients returned");
        }
        List<GradAndVar> out = new ArrayList<>();
        for (GradAndVar gv : p.pairs()) {
            if (gv.grad() instanceof Grad.None) {
                out.add(gv); // TF code would fail on None; Descent passes such pairs through untouched.
                continue;
            }
            Map<String, Val> scope = c.pushScope();
            try {
                scope.put(comp.gradVar().name(), TrainFunctions.toVal(gv.grad()));
                scope.put(comp.varVar().name(), new Val.Tensor(gv.var().node()));
                out.add(pair(c.eval(comp.element()), comp.element().span()));
            } finally {
                c.popScope();
            }
        }
        return new Val.Pairs(out);
    }
}
