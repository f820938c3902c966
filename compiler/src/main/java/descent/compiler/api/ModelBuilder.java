package descent.compiler.api;

import descent.compiler.diag.Span;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Composites;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Model;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.UnaryFn;
import descent.compiler.train.StateRegistry;
import descent.runtime.DType;
import descent.runtime.Initializer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The Java graph API: builds the same IR a model file does (the language front end builds through the
 * same {@link GraphBuilder} and {@link descent.compiler.train.Optimizer}), so a model written in Java
 * trains, prints and schedules exactly like its model-file twin.
 * <pre>{@code
 * ModelBuilder g = new ModelBuilder("logreg");
 * Operand x = g.input("x", DType.F32, "batch", 4);
 * Operand w = g.variable("w", DType.F32, new Initializer.Zeros(), 4, 1);
 * Operand loss = g.reduceMean(g.square(x.matmul(w)));
 * g.train("step", t -> t.minimize(Optimizers.gradientDescent(0.5), loss));
 * Model m = g.build();
 * }</pre>
 * Type and shape errors throw {@link descent.compiler.ir.IrException} with the same message a model file gets.
 */
public final class ModelBuilder {
    final GraphBuilder b = new GraphBuilder();
    private final String name;
    private final List<Model.InputInfo> inputs = new ArrayList<>();
    final List<Model.VariableInfo> variables = new ArrayList<>();
    private final Map<String, Integer> outputs = new LinkedHashMap<>();
    private final Map<String, Integer> names = new LinkedHashMap<>();
    private final List<Runnable> trainBlocks = new ArrayList<>();
    private final List<TrainStep> trains = new ArrayList<>();

    public ModelBuilder(String name) { this.name = name; }

    // ---- declarations

    /** An input; each dimension is an Integer/Long (static) or a String (symbolic, e.g. "batch"). */
    public Operand input(String name, DType dtype, Object... dims) {
        TensorType t = new TensorType(require(dtype, "dtype"), shape(dims));
        int id = b.input(name, t);
        b.name(id, declare(name));
        inputs.add(new Model.InputInfo(name, id, t, Span.NONE));
        return new Operand(this, id);
    }

    public Operand variable(String name, DType dtype, Initializer init, long... dims) { return variable(name, dtype, init, true, dims); }

    public Operand variable(String name, DType dtype, Initializer init, boolean trainable, long... dims) {
        for (long d : dims) if (d < 0) throw new IrException("a dimension cannot be negative, got " + d, null);
        TensorType t = new TensorType(require(dtype, "dtype"), Shape.of(dims));
        checkInitializer(name, require(init, "initializer"), t);
        int id = b.variable(name, t);
        b.name(id, declare(name));
        variables.add(new Model.VariableInfo(name, id, t, init, trainable, Span.NONE));
        return new Operand(this, id);
    }

    /** Names a value, as an assignment in a model file does. */
    public Operand name(String name, Operand t) {
        int node = n(t);
        if (b.node(node).name() == null) b.name(node, declare(name));
        else declare(name);
        names.put(name, node);
        return t;
    }

    /** An output; {@code t} may already carry the name (an input, a variable, a value named before), as in `output x`. */
    public void output(String name, Operand t) {
        int node = n(t);
        if (!name.equals(b.node(node).name()) && !Integer.valueOf(node).equals(names.get(name))) name(name, t);
        if (outputs.containsKey(name)) throw new IrException("`" + name + "` is already an output", null);
        outputs.put(name, node);
    }

    /** A train block, lowered when {@link #build} runs (after the whole model, as in a model file). */
    public void train(String name, Consumer<TrainBlock> body) {
        require(body, "train body");
        if (!trainNames.add(identifier(name, "a train block's name"))) throw new IrException("train block `" + name + "` is already defined", null);
        trainBlocks.add(() -> {
            TrainBlock block = new TrainBlock(this, name);
            body.accept(block);
            trains.add(block.finish());
        });
    }

    /**
     * The model so far. It is a snapshot: declarations and train blocks added to this builder afterwards do not change
     * it. A train block whose body threw is not run again by a later build.
     */
    public Model build() {
        for (java.util.Iterator<Runnable> it = trainBlocks.iterator(); it.hasNext(); ) {
            Runnable r = it.next();
            it.remove();
            r.run();
        }
        Map<String, Integer> all = new LinkedHashMap<>();
        for (Model.InputInfo i : inputs) all.put(i.name(), i.node());
        for (Model.VariableInfo v : variables) if (v.role() == Model.VariableInfo.Role.VARIABLE) all.put(v.name(), v.node());
        all.putAll(names);
        return new Model(name, b.build(), List.copyOf(inputs), List.copyOf(variables),
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs)), java.util.Collections.unmodifiableMap(all),
                List.copyOf(trains));
    }

    // ---- ops (TF 1 names; the rest of the language's ops build through GraphBuilder the same way)

    public Operand constant(double value, DType dtype) { return t(b.scalar(value, dtype)); }
    public Operand add(Operand x, Operand y) { return t(b.binary(BinaryFn.ADD, n(x), n(y))); }
    public Operand sub(Operand x, Operand y) { return t(b.binary(BinaryFn.SUB, n(x), n(y))); }
    public Operand mul(Operand x, Operand y) { return t(b.binary(BinaryFn.MUL, n(x), n(y))); }
    public Operand div(Operand x, Operand y) { return t(b.binary(BinaryFn.DIV, n(x), n(y))); }
    public Operand maximum(Operand x, Operand y) { return t(b.binary(BinaryFn.MAX, n(x), n(y))); }
    public Operand matmul(Operand x, Operand y) { return matmul(x, y, false, false); }
    public Operand matmul(Operand x, Operand y, boolean transposeA, boolean transposeB) {
        return t(b.matmul(n(x), n(y), transposeA, transposeB));
    }
    public Operand relu(Operand x) { return t(b.unary(UnaryFn.RELU, n(x))); }
    public Operand sigmoid(Operand x) { return t(b.unary(UnaryFn.SIGMOID, n(x))); }
    public Operand tanh(Operand x) { return t(b.unary(UnaryFn.TANH, n(x))); }
    public Operand exp(Operand x) { return t(b.unary(UnaryFn.EXP, n(x))); }
    public Operand log(Operand x) { return t(b.unary(UnaryFn.LOG, n(x))); }
    public Operand square(Operand x) { return t(b.unaryAnyNumber(UnaryFn.SQUARE, n(x))); }
    public Operand softmax(Operand x) { return t(b.softmax(n(x))); }
    public Operand reduceSum(Operand x, int... axes) { return t(b.reduce(ReduceFn.SUM, n(x), axes.length == 0 ? null : axes, false)); }
    public Operand reduceMean(Operand x, int... axes) { return t(b.reduce(ReduceFn.MEAN, n(x), axes.length == 0 ? null : axes, false)); }
    public Operand biasAdd(Operand x, Operand bias) { return t(Composites.biasAdd(b, n(x), n(bias))); }
    public Operand l2Loss(Operand x) { return t(Composites.l2Loss(b, n(x))); }
    public Operand sigmoidCrossEntropyWithLogits(Operand labels, Operand logits) {
        return t(Composites.sigmoidCrossEntropyWithLogits(b, n(labels), n(logits)));
    }
    public Operand reduceLogSumExp(Operand x, int... axes) {
        return t(Composites.reduceLogSumExp(b, n(x), axes.length == 0 ? null : axes, false));
    }
    public Operand embeddingLookup(Operand params, Operand ids) { return t(b.gather(n(params), n(ids), 0)); }
    public Operand stopGradient(Operand x) { return t(b.stopGradient(n(x))); }
    public Operand softmaxCrossEntropyWithLogits(Operand labels, Operand logits) { return t(b.softmaxXent(n(labels), n(logits))); }
    public Operand sparseSoftmaxCrossEntropyWithLogits(Operand labels, Operand logits) {
        return t(b.sparseSoftmaxXent(n(labels), n(logits)));
    }

    /**
     * A value written in the model language, for every function and operator a model file has (docs/language.md), with
     * the checks and messages a model file gets: {@code g.expr("leaky_relu(h @ w + b, alpha=0.1)")}. Names are this
     * builder's inputs, variables and named values, and {@code bindings} (names for operands not named here). A
     * mistake throws an {@link IrException} whose message shows the expression with a caret under the problem.
     */
    public Operand expr(String expression, Map<String, Operand> bindings) {
        List<Operand> values = exprs(expression, bindings);
        if (values.size() != 1) throw new IrException("`" + expression + "` gives " + values.size() + " tensors, not one", "use exprs for several");
        return values.getFirst();
    }

    public Operand expr(String expression) { return expr(expression, Map.of()); }

    /** {@link #expr} for an expression giving a list or tuple of tensors (`gradients(loss, [w1, w2])`), or one. */
    public List<Operand> exprs(String expression, Map<String, Operand> bindings) { return evaluate(expression, bindings, false); }

    /** {@link #exprs}; {@code shadow}: a binding may reuse a name of this builder's, standing for its own operand there. */
    List<Operand> evaluate(String expression, Map<String, Operand> bindings, boolean shadow) {
        require(expression, "expression");
        Map<String, Integer> scope = new LinkedHashMap<>();
        for (Model.InputInfo i : inputs) scope.put(i.name(), i.node());
        for (Model.VariableInfo v : variables) if (v.role() == Model.VariableInfo.Role.VARIABLE) scope.put(v.name(), v.node());
        scope.putAll(names);
        // A value this builder named `exp` cannot be written in an expression (the name is the function's): left out.
        scope.keySet().removeIf(descent.compiler.check.Checker::isReserved);
        for (var e : require(bindings, "bindings").entrySet()) {
            identifier(e.getKey(), "a binding's name");
            int node = n(e.getValue());
            Integer before = scope.put(e.getKey(), node);
            if (!shadow && before != null && before != node) {
                throw new IrException("`" + e.getKey() + "` already names another value of this model", "bind the operand under another name");
            }
        }
        try {
            return descent.compiler.check.Checker.expression(b, expression, scope).stream().map(this::t).toList();
        } catch (descent.compiler.diag.CompileException e) {
            StringBuilder sb = new StringBuilder();
            for (var d : e.diagnostics()) sb.append(d.render(e.source()));
            throw new IrException(sb.toString().stripTrailing(), null);
        }
    }

    /** GraphBuilder for every other op: handles and node ids convert with {@link #tensor} and {@link Operand#node}. */
    public GraphBuilder graph() { return b; }
    public Operand tensor(int node) {
        if (node < 0 || node >= b.size()) throw new IrException("this builder has no node %" + node, null);
        return t(node);
    }

    // ---- internals

    Operand t(int node) { return new Operand(this, node); }

    private final Set<String> declared = new HashSet<>();
    private final Set<String> trainNames = new HashSet<>();

    private String declare(String name) {
        identifier(name, "a name");
        if (!declared.add(name)) throw new IrException("`" + name + "` is already defined", null);
        return name;
    }

    /** {@code o}'s node, when {@code o} is this builder's (an operand of another builder names another graph's node). */
    int n(Operand o) {
        require(o, "operand");
        if (o.graph() != this) throw new IrException("the operand " + o + " belongs to another ModelBuilder", "build each model from its own operands");
        return o.node();
    }

    private static <T> T require(T value, String what) {
        if (value == null) throw new IrException("the " + what + " is null", null);
        return value;
    }

    /** A name as the language spells one (it becomes a checkpoint key, a fetch name and a façade method). */
    private static String identifier(String name, String what) {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IrException(what + " must be an identifier (letters, digits and `_`, not starting with a digit), got "
                    + (name == null ? "null" : "`" + name + "`"), null);
        }
        return name;
    }

    /** The initializer checks a model file's `var` gets (docs/language.md §6.1). */
    private static void checkInitializer(String name, Initializer init, TensorType t) {
        boolean random = !(init instanceof Initializer.Zeros || init instanceof Initializer.Ones || init instanceof Initializer.Constant);
        if (random && !t.dtype().isFloating()) {
            throw new IrException("`" + name + "`: a random initializer needs a floating-point variable, not " + t.dtype(), null);
        }
        switch (init) {
            case Initializer.Constant c when !t.dtype().isFloating() && (c.values() == null
                    ? c.value() != Math.rint(c.value()) : java.util.Arrays.stream(c.values()).anyMatch(v -> v != Math.rint(v))) ->
                    throw new IrException("`" + name + "`: an " + t.dtype() + " variable takes integer values", null);
            case Initializer.RandomNormal r when !(r.stddev() >= 0) -> throw new IrException("`" + name + "`: stddev must not be negative, got " + r.stddev(), null);
            case Initializer.TruncatedNormal r when !(r.stddev() >= 0) -> throw new IrException("`" + name + "`: stddev must not be negative, got " + r.stddev(), null);
            case Initializer.RandomUniform r when !(r.maxval() > r.minval()) ->
                    throw new IrException("`" + name + "`: random_uniform needs minval < maxval, got " + r.minval() + " and " + r.maxval(), null);
            case Initializer.VarianceScaling v when !(v.scale() > 0) || !java.util.Set.of("fan_in", "fan_out", "fan_avg").contains(v.mode())
                    || !java.util.Set.of("normal", "truncated_normal", "untruncated_normal", "uniform").contains(v.distribution()) ->
                    throw new IrException("`" + name + "`: variance_scaling needs scale > 0, mode fan_in, fan_out or fan_avg and distribution"
                            + " normal, truncated_normal, untruncated_normal or uniform", null);
            default -> { }
        }
    }

    private static Shape shape(Object[] dims) {
        List<Dim> out = new ArrayList<>();
        for (Object d : dims) {
            out.add(switch (d) {
                case Integer i when i < 0 -> throw new IrException("a dimension cannot be negative, got " + i, null);
                case Long l when l < 0 -> throw new IrException("a dimension cannot be negative, got " + l, null);
                case Integer i -> Dim.of(i);
                case Long l -> Dim.of(l);
                case String s -> Dim.sym(identifier(s, "a symbolic dimension"));
                default -> throw new IrException("a dimension is an int or a symbol name, not " + d, null);
            });
        }
        return new Shape(out);
    }

    /** Optimizer state goes into this builder's variables, uniquely named as TF does. */
    StateRegistry stateRegistry() {
        return (requested, type, init, role, primary, slotName) -> {
            Set<String> taken = new HashSet<>(declared);
            for (Model.VariableInfo v : variables) taken.add(v.name());
            String n = requested;
            for (int i = 1; taken.contains(n); i++) n = requested + "_" + i;
            int id = b.variable(n, type);
            b.name(id, n);
            Model.VariableInfo info = new Model.VariableInfo(n, id, type, init, false, Span.NONE, role, primary, slotName);
            variables.add(info);
            return info;
        };
    }

    Model.VariableInfo variableOf(Operand t) {
        for (Model.VariableInfo v : variables) {
            if (v.node() == n(t) && v.role() == Model.VariableInfo.Role.VARIABLE) return v;
        }
        throw new IrException("Trying to update a Tensor (" + t + ")", "only variables can be optimized");
    }

    List<Model.VariableInfo> trainable() {
        return variables.stream().filter(v -> v.role() == Model.VariableInfo.Role.VARIABLE && v.trainable()).toList();
    }
}
