package descent.compiler.check;

import descent.compiler.ast.Ast;
import descent.compiler.ast.Ast.*;
import descent.compiler.diag.Diagnostics;
import descent.compiler.diag.Source;
import descent.compiler.diag.Span;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Model;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Initializer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stage 2: a parsed program to a typed, shaped {@link Model}. Resolves names, infers dtypes and shapes
 * (through {@link GraphBuilder}), and reports every independent error it finds, one statement at a time.
 */
public final class Checker {
    final GraphBuilder b;
    final Errors errors;
    private final Diagnostics diags;
    private final Map<String, Val> env = new LinkedHashMap<>();
    private final Map<String, Span> definedAt = new HashMap<>();
    /** Names whose definition had an error: uses of them are not reported again (that would be follow-on noise). */
    private final Set<String> failed = new java.util.HashSet<>();
    private final Map<String, Span> trainNames = new HashMap<>();
    private final List<Model.InputInfo> inputs = new ArrayList<>();
    private final List<Model.VariableInfo> variables = new ArrayList<>();
    private final Map<String, Integer> outputs = new LinkedHashMap<>();
    private final List<descent.compiler.ir.TrainStep> trains = new ArrayList<>();
    private final Ops ops = new Ops(this);
    /** Scopes of names local to a train block or comprehension, innermost last. */
    private final java.util.ArrayDeque<Map<String, Val>> scopes = new java.util.ArrayDeque<>();
    private TrainLowering train;

    /** TF's Optimizer.GATE_* and AggregationMethod constants. */
    static final Map<String, Val> CONSTANTS = Map.of(
            "GATE_NONE", new Val.Num(0, false), "GATE_OP", new Val.Num(1, false), "GATE_GRAPH", new Val.Num(2, false),
            "ADD_N", new Val.Str("ADD_N"), "DEFAULT", new Val.Str("DEFAULT"),
            "EXPERIMENTAL_TREE", new Val.Str("EXPERIMENTAL_TREE"),
            "EXPERIMENTAL_ACCUMULATE_N", new Val.Str("EXPERIMENTAL_ACCUMULATE_N"));

    private Checker(Source source) { this(source, new GraphBuilder()); }

    private Checker(Source source, GraphBuilder b) {
        this.b = b;
        this.diags = new Diagnostics(source);
        this.errors = new Errors(diags);
    }

    /**
     * Evaluates one expression of the language over a graph being built elsewhere (the Java API's
     * {@link descent.compiler.api.ModelBuilder#expr}): names in it are {@code bindings}' nodes, functions and operators
     * are the language's, with its checks and messages. Returns the tensor's node, or the nodes of a list or tuple of
     * tensors. Throws a CompileException whose {@link Source} is the expression alone.
     */
    public static List<Integer> expression(GraphBuilder b, String expression, Map<String, Integer> bindings) {
        Source shown = new Source("expression", expression);
        if (expression.isBlank()) {
            throw new descent.compiler.diag.CompileException(shown, List.of(new descent.compiler.diag.Diagnostic(Span.NONE,
                    "the expression is empty", "write one expression of the language, e.g. relu(x @ w + b)")));
        }
        int mark = b.size();
        try {
            return evaluate(b, expression, bindings, shown);
        } catch (RuntimeException e) {
            b.truncate(mark);   // a failed expression leaves the graph as it was
            throw e;
        } catch (StackOverflowError e) {
            b.truncate(mark);
            throw new descent.compiler.diag.CompileException(shown, List.of(new descent.compiler.diag.Diagnostic(Span.NONE,
                    "the expression is nested too deeply to check", "build it from several expressions, naming the parts")));
        }
    }

    /** Whether {@code name} is a built-in function or constant: it cannot name a value. */
    public static boolean isReserved(String name) { return CONSTANTS.containsKey(name) || Ops.isBuiltin(name); }

    private static List<Integer> evaluate(GraphBuilder b, String expression, Map<String, Integer> bindings, Source shown) {
        // An assignment's target on a line of its own: the expression keeps its own line and column numbers, one line down.
        Source parsed = new Source("expression", "__expression =\n" + expression);
        Program p;
        try {
            p = descent.compiler.ast.Parser.parse(parsed);
        } catch (descent.compiler.diag.CompileException e) {
            throw new descent.compiler.diag.CompileException(shown, e.diagnostics().stream().map(Checker::lineUp).toList());
        }
        Checker c = new Checker(parsed, b);
        if (p.statements().size() != 1 || !(p.statements().getFirst() instanceof Assign a) || a.targets().size() != 1) {
            throw new descent.compiler.diag.CompileException(shown, List.of(new descent.compiler.diag.Diagnostic(Span.NONE,
                    "expected one expression, got " + p.statements().size() + " statements", "declarations and assignments have methods of their own")));
        }
        for (var e : bindings.entrySet()) {
            String name = e.getKey();
            String clash = CONSTANTS.containsKey(name) ? "a built-in constant" : Ops.isBuiltin(name) ? "a built-in function" : null;
            if (clash != null) {
                throw new descent.compiler.diag.CompileException(shown, List.of(new descent.compiler.diag.Diagnostic(Span.NONE,
                        "`" + name + "` is " + clash + " and cannot name a value", "choose another name, e.g. `" + name + "_value`")));
            }
            c.env.put(name, new Val.Tensor(e.getValue()));
        }
        List<Integer> nodes = new ArrayList<>();
        try {
            Val v = c.eval(a.value());
            if (v instanceof Val.Tensor t) nodes.add(t.node());
            else if (v instanceof Val.Seq s && !s.items().isEmpty() && s.items().stream().allMatch(i -> i instanceof Val.Tensor)) {
                for (Val i : s.items()) nodes.add(((Val.Tensor) i).node());
            } else {
                c.errors.error(a.value().span(), "the expression is " + Val.describe(v) + ", not a tensor",
                        v instanceof Val.Num ? "a constant tensor is cast(3.0, f32), say, or ModelBuilder.constant" : null);
            }
        } catch (Errors.Abort reported) {
            // in the diagnostics
        }
        try {
            c.diags.throwIfAny();
        } catch (descent.compiler.diag.CompileException e) {
            throw new descent.compiler.diag.CompileException(shown, e.diagnostics().stream().map(Checker::lineUp).toList());
        }
        return nodes;
    }

    private static descent.compiler.diag.Diagnostic lineUp(descent.compiler.diag.Diagnostic d) {
        Span s = d.span();
        // Line 1 is the hidden assignment's: a span there points at no part of the expression.
        return new descent.compiler.diag.Diagnostic(s.isKnown() && s.line() > 1 ? new Span(s.line() - 1, s.column(), s.length()) : Span.NONE,
                d.message(), d.hint());
    }

    /** Checks {@code program}; throws a CompileException with every diagnostic if anything is wrong. */
    public static Model check(Source source, Program program) {
        Checker c = new Checker(source);
        Model m = c.run(program, defaultName(source.name()));
        c.diags.throwIfAny();
        return m;
    }

    private static String defaultName(String file) {
        String base = file.replaceAll(".*[/\\\\]", "");
        int dot = base.indexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }

    private Model run(Program p, String fallbackName) {
        // Train blocks are lowered after the model (as TF builds train ops on a finished graph), so the
        // forward graph is one prefix of the nodes and each block's backward pass and updates follow it.
        List<Stmt> ordered = new ArrayList<>();
        for (Stmt s : p.statements()) if (!(s instanceof TrainBlock)) ordered.add(s);
        for (Stmt s : p.statements()) if (s instanceof TrainBlock) ordered.add(s);
        for (Stmt s : ordered) {
            try {
                b.at(s.span());
                statement(s);
            } catch (Errors.Abort ignored) {
                // Reported; go on with the next statement, treating the names it defines as known.
                switch (s) {
                    case InputDecl d -> failed.add(d.name().name());
                    case VarDecl d -> failed.add(d.name().name());
                    case Assign a -> a.targets().forEach(t -> failed.add(t.name()));
                    default -> { }
                }
            } catch (StackOverflowError e) {
                errors.error(s.span(), "this statement is nested too deeply to check",
                        "split very long or deeply nested expressions into several assignments");
            }
        }
        Map<String, Integer> names = new LinkedHashMap<>();
        env.forEach((k, v) -> { if (v instanceof Val.Tensor t) names.put(k, t.node()); });
        return new Model(p.modelName() != null ? p.modelName() : fallbackName, b.build(), inputs, variables, outputs,
                names, trains);
    }

    private void statement(Stmt s) {
        switch (s) {
            case InputDecl d -> {
                declare(d.name());
                TensorType t = type(d.type(), true);
                int id = b.input(d.name().name(), t);
                b.name(id, d.name().name());
                env.put(d.name().name(), new Val.Tensor(id));
                inputs.add(new Model.InputInfo(d.name().name(), id, t, d.name().span()));
            }
            case VarDecl d -> {
                declare(d.name());
                TensorType t = type(d.type(), false);
                Initializer init = Initializers.resolve(this, d, t);
                boolean trainable = true;
                for (Arg a : d.attributes()) {
                    switch (a.keyword().name()) {
                        case "trainable" -> trainable = bool(eval(a.value()), a.value().span(), "trainable");
                        default -> errors.error(a.keyword().span(), "unknown variable attribute `" + a.keyword().name() + "`",
                                Names.closest(a.keyword().name(), Set.of("trainable")) != null
                                        ? "did you mean `trainable`?" : "variables take `trainable=true|false`");
                    }
                }
                int id = b.variable(d.name().name(), t);
                b.name(id, d.name().name());
                env.put(d.name().name(), new Val.Tensor(id));
                variables.add(new Model.VariableInfo(d.name().name(), id, t, init, trainable, d.name().span()));
            }
            case Assign a -> {
                Val v = eval(a.value());
                bindTargets(a.targets(), v, a.value().span());
            }
            case OutputDecl o -> {
                for (Ident id : o.names()) {
                    Val v = env.get(id.name());
                    if (v == null && failed.contains(id.name())) {
                        continue; // its definition's error was reported
                    } else if (v == null) {
                        errors.error(id.span(), "undefined name `" + id.name() + "`", suggest(id.name()));
                    } else if (!(v instanceof Val.Tensor t)) {
                        errors.error(id.span(), "`" + id.name() + "` is " + Val.describe(v) + ", not a tensor",
                                "outputs are tensors the model computes");
                    } else if (outputs.containsKey(id.name())) {
                        errors.error(id.span(), "`" + id.name() + "` is already an output", null);
                    } else {
                        outputs.put(id.name(), t.node());
                    }
                }
            }
            case TrainBlock t -> {
                Span first = trainNames.putIfAbsent(t.name().name(), t.name().span());
                if (first != null) {
                    errors.error(t.name().span(), "train block `" + t.name().name() + "` is already defined on line " + first.line(),
                            "give each train block its own name");
                }
                train = new TrainLowering(this);
                try {
                    trains.add(train.lower(t));
                } finally {
                    train = null;
                }
            }
            case ExprStmt e -> throw errors.fail(e.span(), "an expression on its own does nothing here",
                    "assign it to a name: `y = ...`");
        }
    }

    private void bindTargets(List<Ident> targets, Val v, Span valueSpan) {
        if (targets.size() == 1) {
            define(targets.get(0), v);
            return;
        }
        if (!(v instanceof Val.Seq seq) || seq.items().size() != targets.size()) {
            throw errors.fail(valueSpan, "cannot unpack " + Val.describe(v)
                    + (v instanceof Val.Seq s ? " of " + s.items().size() + " values" : "") + " into " + targets.size() + " names",
                    "the right side must give exactly one value per name");
        }
        for (int i = 0; i < targets.size(); i++) define(targets.get(i), seq.items().get(i));
    }

    private void define(Ident id, Val v) {
        declare(id);
        if (v instanceof Val.Tensor t && b.node(t.node()).name() == null) b.name(t.node(), id.name());
        env.put(id.name(), v);
    }

    private void declare(Ident id) {
        String n = id.name();
        if (CONSTANTS.containsKey(n)) {
            throw errors.fail(id.span(), "`" + n + "` is a built-in constant and cannot be redefined", "choose another name");
        }
        if (Ops.isBuiltin(n)) {
            throw errors.fail(id.span(), "`" + n + "` is a built-in function and cannot be redefined",
                    "choose another name, e.g. `" + n + "_out`");
        }
        if (env.containsKey(n)) {
            Span first = definedAt.get(n);
            throw errors.fail(id.span(), "`" + n + "` is already defined" + (first != null ? " on line " + first.line() : ""),
                    "every name is defined once; give this one a new name, e.g. `" + n + "2`");
        }
        definedAt.put(n, id.span());
    }

    boolean hasErrors() { return diags.hasErrors(); }

    Map<String, Val> pushScope() {
        Map<String, Val> scope = new LinkedHashMap<>();
        scopes.addLast(scope);
        return scope;
    }

    void popScope() { scopes.removeLast(); }

    /** Binds names in the innermost scope (a train block's locals); they may not shadow model names. */
    void bindLocal(List<Ident> targets, Val v, Span valueSpan) {
        List<Val> values;
        if (targets.size() == 1) values = List.of(v);
        else if (v instanceof Val.Seq seq && seq.items().size() == targets.size()) values = seq.items();
        else throw errors.fail(valueSpan, "cannot unpack " + Val.describe(v)
                + (v instanceof Val.Seq s ? " of " + s.items().size() + " values" : "") + " into " + targets.size() + " names",
                "the right side must give exactly one value per name");
        for (int i = 0; i < targets.size(); i++) {
            Ident id = targets.get(i);
            if (env.containsKey(id.name()) || Ops.isBuiltin(id.name()) || CONSTANTS.containsKey(id.name())) {
                throw errors.fail(id.span(), "`" + id.name() + "` is already defined outside the train block",
                        "choose a new name for values local to the block");
            }
            Val value = values.get(i);
            if (value instanceof Val.Tensor t && b.node(t.node()).name() == null) b.name(t.node(), id.name());
            scopes.getLast().put(id.name(), value);
        }
    }

    /** Creates optimizer state (slots, beta powers) with TF's unique naming. */
    descent.compiler.train.StateRegistry stateRegistry() {
        return (requested, type, init, role, primary, slotName) -> {
            Set<String> taken = new java.util.HashSet<>(env.keySet());
            for (Model.VariableInfo v : variables) taken.add(v.name());
            String name = requested;
            for (int i = 1; taken.contains(name); i++) name = requested + "_" + i;
            int id = b.variable(name, type);
            b.name(id, name);
            Model.VariableInfo info = new Model.VariableInfo(name, id, type, init, false, b.node(id).span(), role, primary, slotName);
            variables.add(info);
            return info;
        };
    }

    Model.VariableInfo variableAt(int node) {
        for (Model.VariableInfo v : variables) if (v.node() == node && v.role() == Model.VariableInfo.Role.VARIABLE) return v;
        return null;
    }

    /** TF's default var_list: the trainable model variables, in declaration order. */
    List<Model.VariableInfo> trainableVariables() {
        return variables.stream().filter(v -> v.role() == Model.VariableInfo.Role.VARIABLE && v.trainable()).toList();
    }

    String stringArg(Ops.Args a, String p) {
        if (a.val(p) instanceof Val.Str s) return s.value();
        throw errors.fail(a.span(p), a.fn + "'s " + p + " must be a string like \"m\", got " + Val.describe(a.val(p)), null);
    }

    static String fmtNum(Val.Num n) { return n.isFloat() ? String.valueOf(n.value()) : String.valueOf((long) n.value()); }

    <T> T guardResult(Span span, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (IrException e) {
            throw errors.fail(span, e.getMessage(), e.hint());
        }
    }

    /** The variables declared so far that optimizers update. */

    /** Marks a name whose definition failed (true if it was not marked yet); a train block unmarks its locals after. */
    boolean markFailed(String name) { return failed.add(name); }

    void unmarkFailed(java.util.Collection<String> names) { failed.removeAll(names); }

    // ---- types

    /** The longest array HotSpot allocates (the JDK's own ArraysSupport.SOFT_MAX_ARRAY_LENGTH). */
    static final long MAX_ELEMENTS = descent.compiler.ir.GraphBuilder.MAX_ELEMENTS;

    private TensorType type(TypeExpr t, boolean allowSymbolic) {
        List<Dim> dims = new ArrayList<>();
        for (DimExpr d : t.dims()) {
            if (d.isSymbolic()) {
                if (!allowSymbolic) {
                    throw errors.fail(d.span(), "variable shapes must be static, but `" + d.symbol() + "` is symbolic",
                            "symbolic dimensions (like `batch`) belong to inputs; give the variable a size");
                }
                dims.add(Dim.sym(d.symbol()));
            } else {
                if (d.size() > Integer.MAX_VALUE) {
                    throw errors.fail(d.span(), "dimension is too large: at most " + Integer.MAX_VALUE, null);
                }
                dims.add(Dim.of(d.size()));
            }
        }
        TensorType type = new TensorType(t.dtype(), new Shape(dims));
        // Checked here too, before the graph sees it, to point at the type the user wrote.
        if (descent.compiler.ir.GraphBuilder.tooLarge(type)) {
            throw errors.fail(t.span(), type + " has more elements than a tensor can hold (" + MAX_ELEMENTS + ")",
                    "tensors are Java arrays, indexed by int; use smaller dimensions or several variables");
        }
        return type;
    }

    // ---- expressions

    Val eval(Expr e) {
        b.at(e.span());
        return switch (e) {
            case Num n -> {
                Initializers.checkIntegerLiteral(this, n);
                yield new Val.Num(n.value(), n.isFloat());
            }
            case Str s -> new Val.Str(s.value());
            case Bool bo -> new Val.Bool(bo.value());
            case NoneLit n -> new Val.None();
            case DTypeLit d -> new Val.Type(d.dtype());
            case Name n -> lookup(n);
            case Unary u -> {
                Val v = eval(u.operand());
                if (v instanceof Val.Num num) yield new Val.Num(-num.value(), num.isFloat());
                int x = tensor(v, u.operand().span(), null);
                b.at(u.span());
                yield new Val.Tensor(guard(u.span(), () -> b.unaryAnyNumber(UnaryFn.NEG, x)));
            }
            case Binary bin -> binary(bin);
            case Call c -> call(c);
            case Attr a -> throw errors.fail(a.span(), "`." + a.attr().name() + "` is not a value; optimizers have methods to call",
                    "call it, e.g. `opt." + a.attr().name() + "(...)`");
            case ListExpr l -> new Val.Seq(l.items().stream().map(this::eval).toList(), false);
            case TupleExpr t -> new Val.Seq(t.items().stream().map(this::eval).toList(), true);
            case Comprehension c -> {
                if (train == null) {
                    throw errors.fail(c.span(), "comprehensions over gradient lists belong in train blocks",
                            "write `[(f(g, v), v) for (g, v) in gv]` inside `train NAME { ... }`");
                }
                yield train.comprehension(c);
            }
        };
    }

    private Val lookup(Name n) {
        for (java.util.Iterator<Map<String, Val>> it = scopes.descendingIterator(); it.hasNext(); ) {
            Val local = it.next().get(n.name());
            if (local != null) return local;
        }
        Val v = env.get(n.name());
        if (v != null) return v;
        if (CONSTANTS.containsKey(n.name())) return CONSTANTS.get(n.name());
        if (failed.contains(n.name())) throw new Errors.Abort(); // already reported where it was defined
        if (Ops.isBuiltin(n.name())) {
            throw errors.fail(n.span(), "`" + n.name() + "` is a function; call it", "write `" + n.name() + "(...)`");
        }
        throw errors.fail(n.span(), "undefined name `" + n.name() + "`", suggest(n.name()));
    }

    String suggest(String name) {
        Set<String> all = new java.util.HashSet<>(env.keySet());
        for (Map<String, Val> s : scopes) all.addAll(s.keySet());
        all.addAll(CONSTANTS.keySet());
        String near = Names.closest(name, all);
        if (near == null && name.matches("[A-Z][A-Z0-9_]*")) {
            return "the constants are GATE_NONE, GATE_OP, GATE_GRAPH (gate_gradients) and ADD_N, DEFAULT, EXPERIMENTAL_TREE,"
                    + " EXPERIMENTAL_ACCUMULATE_N (aggregation_method)";
        }
        return near != null ? "did you mean `" + near + "`?" : "names must be declared (input, var or `=`) before use";
    }

    private Val binary(Binary e) {
        Val l = eval(e.left()), r = eval(e.right());
        if (l instanceof Val.Num x && r instanceof Val.Num y && !e.op().equals("@")) return fold(e, x, y);
        if (e.op().equals("@")) {
            int a = tensor(l, e.left().span(), null), c = tensor(r, e.right().span(), null);
            b.at(e.span());
            return new Val.Tensor(guard(e.span(), () -> b.matmul(a, c, false, false)));
        }
        BinaryFn fn = switch (e.op()) {
            case "+" -> BinaryFn.ADD;
            case "-" -> BinaryFn.SUB;
            case "*" -> BinaryFn.MUL;
            case "/" -> BinaryFn.DIV;
            case "**" -> BinaryFn.POW;
            default -> throw new IllegalStateException(e.op());
        };
        return new Val.Tensor(binaryOp(fn, l, e.left().span(), r, e.right().span(), e.span()));
    }

    /** An elementwise binary op; literals take the dtype of the tensor they meet. */
    int binaryOp(BinaryFn fn, Val l, Span ls, Val r, Span rs, Span at) {
        DType hint = l instanceof Val.Tensor t ? b.dtype(t.node()) : r instanceof Val.Tensor t ? b.dtype(t.node()) : null;
        if (hint == null && (isFloatNum(l) || isFloatNum(r))) hint = DType.F32;
        int a = tensor(l, ls, hint), c = tensor(r, rs, hint);
        b.at(at);
        return guard(at, () -> b.binary(fn, a, c));
    }

    /**
     * Arithmetic on two literals is a literal, as in Python: 1 / 2 is 0.5, 2 ** 3 is the integer 8. Literals are held
     * as doubles, so integer results are exact up to 2^53 and beyond it an error, as integer literals are; what Python
     * refuses (division by zero, a negative number to a fractional power) or cannot hold in a double is an error too.
     */
    private Val.Num fold(Binary e, Val.Num x, Val.Num y) {
        double a = x.value(), c = y.value();
        boolean isFloat = x.isFloat() || y.isFloat() || e.op().equals("/") || e.op().equals("**") && c < 0;
        if (e.op().equals("/") && c == 0) throw errors.fail(e.span(), "division by zero", "Python refuses it too; write the number you mean");
        if (e.op().equals("**") && a == 0 && c < 0) {
            throw errors.fail(e.span(), "0 cannot be raised to a negative power", "Python refuses it too; write the number you mean");
        }
        double v = switch (e.op()) {
            case "+" -> a + c;
            case "-" -> a - c;
            case "*" -> a * c;
            case "/" -> a / c;
            default -> Math.pow(a, c);
        };
        if (Double.isNaN(v)) {
            throw errors.fail(e.span(), "(" + fmtNum(x) + ") ** " + fmtNum(y) + " is not a real number", "a negative base needs an integer exponent");
        }
        if (Double.isInfinite(v)) {
            throw errors.fail(e.span(), "the constant " + fmtNum(x) + " " + e.op() + " " + fmtNum(y) + " is too large: it would be infinity",
                    "the largest double is about 1.8e308, the largest f32 3.4e38");
        }
        if (!isFloat) {
            java.math.BigInteger exact = switch (e.op()) {
                case "+" -> java.math.BigInteger.valueOf((long) a).add(java.math.BigInteger.valueOf((long) c));
                case "-" -> java.math.BigInteger.valueOf((long) a).subtract(java.math.BigInteger.valueOf((long) c));
                case "*" -> java.math.BigInteger.valueOf((long) a).multiply(java.math.BigInteger.valueOf((long) c));
                // |a| >= 2 and c > 60 is past 2^60: no need to compute it. 0, 1 and -1 to any power are exact doubles.
                default -> Math.abs(a) <= 1 ? java.math.BigInteger.valueOf((long) v)
                        : c > 60 ? null : java.math.BigInteger.valueOf((long) a).pow((int) c);
            };
            if (exact == null || exact.abs().compareTo(java.math.BigInteger.ONE.shiftLeft(53)) > 0) {
                throw errors.fail(e.span(), "the constant " + fmtNum(x) + " " + e.op() + " " + fmtNum(y) + " is beyond 2^53, the largest integer"
                        + " Descent holds exactly", "integers are exact up to ±9007199254740992 (2^53); for a float, write one operand as a float");
            }
            return new Val.Num(exact.doubleValue(), false);   // Math.pow is within an ulp, not exact
        }
        return new Val.Num(v, isFloat);
    }

    private static boolean isFloatNum(Val v) { return v instanceof Val.Num n && n.isFloat(); }

    private Val call(Call c) {
        if (c.callee() instanceof Attr attr) {
            if (train == null) {
                throw errors.fail(c.callee().span(), "optimizer methods such as `." + attr.attr().name() + "(...)` belong in train blocks",
                        "write them inside `train NAME { ... }`");
            }
            return train.method(attr, c);
        }
        if (!(c.callee() instanceof Name fn)) {
            throw errors.fail(c.callee().span(), "only named functions can be called here", null);
        }
        if (env.containsKey(fn.name())) {
            throw errors.fail(fn.span(), "`" + fn.name() + "` is " + Val.describe(env.get(fn.name())) + ", not a function", null);
        }
        if (failed.contains(fn.name())) throw new Errors.Abort(); // its definition's error was reported
        if (OptimizerCatalog.has(fn.name())) {
            if (train == null) {
                throw errors.fail(fn.span(), "`" + fn.name() + "` can only be used inside a train block",
                        "write it in `train NAME { ... }`");
            }
            return train.construct(fn, c);
        }
        if (TrainFunctions.has(fn.name())) {
            java.util.Map<String, Arg> bound = TrainFunctions.signature(fn.name()).bind(c, errors);
            if (bound == null) throw new Errors.Abort();
            return TrainFunctions.call(this, new Ops.Args(this, fn.name(), bound, c.span()));
        }
        return ops.call(fn, c);
    }

    // ---- conversions used by the op library

    /** {@code v} as a tensor node; a literal becomes a constant of dtype {@code hint} (or its own default). */
    int tensor(Val v, Span span, DType hint) {
        return switch (v) {
            case Val.Tensor t -> t.node();
            case Val.Num n -> {
                DType d = hint != null ? hint : n.isFloat() ? DType.F32 : DType.I32;
                if (n.isFloat() && !d.isFloating()) {
                    throw errors.fail(span, "the number " + fmt(n.value()) + " cannot be used with " + d + " tensors",
                            "integer tensors take integer literals; cast the tensor with cast(x, f32) for float arithmetic");
                }
                // A literal must hold its value in the dtype it takes: i32 would wrap, f32 would round to infinity.
                if (d == DType.I32 && (n.value() < Integer.MIN_VALUE || n.value() > Integer.MAX_VALUE)) {
                    throw errors.fail(span, "the number " + fmtNum(n) + " does not fit i32", "i32 holds -2147483648..2147483647; use i64 tensors");
                }
                if (d == DType.F32 && Float.isInfinite((float) n.value()) && !Double.isInfinite(n.value())) {
                    throw errors.fail(span, "the number " + fmtNum(n) + " is too large for f32: it would be infinity",
                            "the largest f32 is about 3.4e38; use f64 tensors for larger values");
                }
                yield b.scalar(n.value(), d);
            }
            case Val.Bool bo -> throw errors.fail(span, "expected a tensor, got a boolean", null);
            case Val.Slices s -> s.grad().toDense(b);
            default -> throw errors.fail(span, "expected a tensor, got " + Val.describe(v), null);
        };
    }

    boolean bool(Val v, Span span, String what) {
        if (v instanceof Val.Bool bo) return bo.value();
        throw errors.fail(span, what + " must be true or false, got " + Val.describe(v), null);
    }

    double number(Val v, Span span, String what) {
        if (v instanceof Val.Num n) return n.value();
        throw errors.fail(span, what + " must be a number, got " + Val.describe(v), null);
    }

    long integer(Val v, Span span, String what) {
        if (v instanceof Val.Num n && !n.isFloat()) return (long) n.value();
        if (v instanceof Val.Num n) {
            throw errors.fail(span, what + " must be an integer, got " + fmt(n.value()), "write it without a decimal point");
        }
        throw errors.fail(span, what + " must be an integer, got " + Val.describe(v), null);
    }

    long[] integers(Val v, Span span, String what) {
        if (v instanceof Val.Seq s) {
            long[] out = new long[s.items().size()];
            for (int i = 0; i < out.length; i++) out[i] = integer(s.items().get(i), span, what);
            return out;
        }
        throw errors.fail(span, what + " must be a list of integers like [2, 3], got " + Val.describe(v), null);
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) + ".0" : String.valueOf(v);
    }

    /** Runs a builder step, turning a type or shape error into a diagnostic at {@code span}. */
    int guard(Span span, java.util.function.IntSupplier step) {
        try {
            return step.getAsInt();
        } catch (IrException e) {
            throw errors.fail(span, e.getMessage(), e.hint());
        }
    }

    Aggregation aggregation(Val v, Span span) {
        if (v instanceof Val.None) return Aggregation.DEFAULT;
        String name = v instanceof Val.Str s ? s.value() : v instanceof Val.Opaque o ? o.what() : null;
        Aggregation a = name == null ? null : Aggregation.fromName(name);
        if (a == null) {
            throw errors.fail(span, "Invalid aggregation_method specified " + (name != null ? name : Val.describe(v)) + ".",
                    "use ADD_N, DEFAULT, EXPERIMENTAL_TREE or EXPERIMENTAL_ACCUMULATE_N");
        }
        return a;
    }
}
