package descent.compiler.api;

import descent.compiler.diag.Span;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Composites;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
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
 * g.train("step", t -> t.minimize(new GradientDescentOptimizer(0.5), loss));
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
        TensorType t = new TensorType(dtype, shape(dims));
        int id = b.input(name, t);
        b.name(id, declare(name));
        inputs.add(new Model.InputInfo(name, id, t, Span.NONE));
        return new Operand(this, id);
    }

    public Operand variable(String name, DType dtype, Initializer init, long... dims) { return variable(name, dtype, init, true, dims); }

    public Operand variable(String name, DType dtype, Initializer init, boolean trainable, long... dims) {
        TensorType t = new TensorType(dtype, Shape.of(dims));
        int id = b.variable(name, t);
        b.name(id, declare(name));
        variables.add(new Model.VariableInfo(name, id, t, init, trainable, Span.NONE));
        return new Operand(this, id);
    }

    /** Names a value, as an assignment in a model file does. */
    public Operand name(String name, Operand t) {
        if (b.node(t.node()).name() == null) b.name(t.node(), declare(name));
        else declare(name);
        names.put(name, t.node());
        return t;
    }

    public void output(String name, Operand t) {
        name(name, t);
        outputs.put(name, t.node());
    }

    /** A train block, lowered when {@link #build} runs (after the whole model, as in a model file). */
    public void train(String name, Consumer<TrainBlock> body) {
        trainBlocks.add(() -> {
            TrainBlock block = new TrainBlock(this, name);
            body.accept(block);
            trains.add(block.finish());
        });
    }

    public Model build() {
        for (Runnable r : trainBlocks) r.run();
        trainBlocks.clear();
        Map<String, Integer> all = new LinkedHashMap<>();
        for (Model.InputInfo i : inputs) all.put(i.name(), i.node());
        for (Model.VariableInfo v : variables) if (v.role() == Model.VariableInfo.Role.VARIABLE) all.put(v.name(), v.node());
        all.putAll(names);
        return new Model(name, b.build(), inputs, variables, outputs, all, trains);
    }

    // ---- ops (TF 1 names; the rest of the language's ops build through GraphBuilder the same way)

    public Operand constant(double value, DType dtype) { return t(b.scalar(value, dtype)); }
    public Operand add(Operand x, Operand y) { return t(b.binary(BinaryFn.ADD, x.node(), y.node())); }
    public Operand sub(Operand x, Operand y) { return t(b.binary(BinaryFn.SUB, x.node(), y.node())); }
    public Operand mul(Operand x, Operand y) { return t(b.binary(BinaryFn.MUL, x.node(), y.node())); }
    public Operand div(Operand x, Operand y) { return t(b.binary(BinaryFn.DIV, x.node(), y.node())); }
    public Operand maximum(Operand x, Operand y) { return t(b.binary(BinaryFn.MAX, x.node(), y.node())); }
    public Operand matmul(Operand x, Operand y) { return matmul(x, y, false, false); }
    public Operand matmul(Operand x, Operand y, boolean transposeA, boolean transposeB) {
        return t(b.matmul(x.node(), y.node(), transposeA, transposeB));
    }
    public Operand relu(Operand x) { return t(b.unary(UnaryFn.RELU, x.node())); }
    public Operand sigmoid(Operand x) { return t(b.unary(UnaryFn.SIGMOID, x.node())); }
    public Operand tanh(Operand x) { return t(b.unary(UnaryFn.TANH, x.node())); }
    public Operand exp(Operand x) { return t(b.unary(UnaryFn.EXP, x.node())); }
    public Operand log(Operand x) { return t(b.unary(UnaryFn.LOG, x.node())); }
    public Operand square(Operand x) { return t(b.unaryAnyNumber(UnaryFn.SQUARE, x.node())); }
    public Operand softmax(Operand x) { return t(b.softmax(x.node())); }
    public Operand reduceSum(Operand x, int... axes) { return t(b.reduce(ReduceFn.SUM, x.node(), axes.length == 0 ? null : axes, false)); }
    public Operand reduceMean(Operand x, int... axes) { return t(b.reduce(ReduceFn.MEAN, x.node(), axes.length == 0 ? null : axes, false)); }
    public Operand biasAdd(Operand x, Operand bias) { return t(Composites.biasAdd(b, x.node(), bias.node())); }
    public Operand l2Loss(Operand x) { return t(Composites.l2Loss(b, x.node())); }
    public Operand sigmoidCrossEntropyWithLogits(Operand labels, Operand logits) {
        return t(Composites.sigmoidCrossEntropyWithLogits(b, labels.node(), logits.node()));
    }
    public Operand reduceLogSumExp(Operand x, int... axes) {
        return t(Composites.reduceLogSumExp(b, x.node(), axes.length == 0 ? null : axes, false));
    }
    public Operand embeddingLookup(Operand params, Operand ids) { return t(b.gather(params.node(), ids.node(), 0)); }
    public Operand stopGradient(Operand x) { return t(b.stopGradient(x.node())); }
    public Operand softmaxCrossEntropyWithLogits(Operand labels, Operand logits) { return t(b.softmaxXent(labels.node(), logits.node())); }
    public Operand sparseSoftmaxCrossEntropyWithLogits(Operand labels, Operand logits) {
        return t(b.sparseSoftmaxXent(labels.node(), logits.node()));
    }

    /** GraphBuilder for every other op: handles and node ids convert with {@link #tensor} and {@link Operand#node}. */
    public GraphBuilder graph() { return b; }
    public Operand tensor(int node) { return t(node); }

    // ---- internals

    Operand t(int node) { return new Operand(this, node); }

    private final Set<String> declared = new HashSet<>();

    private String declare(String name) {
        if (!declared.add(name)) throw new descent.compiler.ir.IrException("`" + name + "` is already defined", null);
        return name;
    }

    private static Shape shape(Object[] dims) {
        List<Dim> out = new ArrayList<>();
        for (Object d : dims) {
            out.add(switch (d) {
                case Integer i -> Dim.of(i);
                case Long l -> Dim.of(l);
                case String s -> Dim.sym(s);
                default -> throw new IllegalArgumentException("a dimension is an int or a symbol name, not " + d);
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
            if (v.node() == t.node() && v.role() == Model.VariableInfo.Role.VARIABLE) return v;
        }
        throw new descent.compiler.ir.IrException("Trying to update a Operand %" + t.node(), "only variables can be optimized");
    }

    List<Model.VariableInfo> trainable() {
        return variables.stream().filter(v -> v.role() == Model.VariableInfo.Role.VARIABLE && v.trainable()).toList();
    }
}
