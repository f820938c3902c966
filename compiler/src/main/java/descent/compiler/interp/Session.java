package descent.compiler.interp;

import descent.compiler.ir.Model;
import descent.runtime.DescentException;
import descent.runtime.Initializers;
import descent.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's state (its variables) and evaluation on the reference interpreter. Every call validates all
 * of its arguments before it changes anything, so a failed call leaves the session as it was.
 */
public final class Session {
    private final Model model;
    private final Interpreter interpreter;
    private final Map<String, Tensor> variables = new LinkedHashMap<>();
    private final Map<String, descent.compiler.schedule.Plan> plans = new java.util.HashMap<>();
    private long steps;

    public Session(Model model, Precision precision, long seed) {
        this.model = model;
        this.interpreter = new Interpreter(model.graph(), precision);
        for (Model.VariableInfo v : model.variables()) {
            int[] shape = v.type().shape().concrete(Map.of());
            variables.put(v.name(), Initializers.materialize(v.init(), v.type().dtype(), shape, seed, v.name()));
        }
    }

    public Model model() { return model; }

    /** The variables' current values, in declaration order. */
    public Map<String, Tensor> variables() { return java.util.Collections.unmodifiableMap(variables); }

    /**
     * Overwrites the variables named in {@code checkpoint}. Names the model does not have are returned
     * (the caller decides whether that is an error); a dtype or shape mismatch is an error and nothing changes.
     */
    public List<String> restore(Map<String, Tensor> checkpoint, String source) {
        List<String> unknown = new ArrayList<>();
        for (var e : checkpoint.entrySet()) {
            Model.VariableInfo v = model.variable(e.getKey());
            if (v == null) { unknown.add(e.getKey()); continue; }
            Tensor t = e.getValue();
            int[] shape = v.type().shape().concrete(Map.of());
            if (t.dtype() != v.type().dtype() || !Arrays.equals(t.shape(), shape)) {
                throw new DescentException(source + ": `" + e.getKey() + "` is " + t.dtype() + Tensor.shapeString(t.shape())
                        + " but the model's variable is " + v.type());
            }
        }
        for (var e : checkpoint.entrySet()) if (model.variable(e.getKey()) != null) variables.put(e.getKey(), e.getValue());
        return unknown;
    }

    /** How many train steps this session has run. */
    public long stepsRun() { return steps; }

    /** Sets the step count that selects random ops' draws (a resumed run continues its draws). */
    public void setStepsRun(long steps) {
        if (steps < 0) throw new DescentException("a step count cannot be negative: " + steps);
        this.steps = steps;
    }

    /**
     * Runs train step {@code train} once on {@code feeds}, in the order of its plan, and returns the named
     * values as that step computed them (forward values before its updates, as
     * {@code sess.run([train_op, loss])}). If anything fails, the variables are left as they were.
     */
    public Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches) {
        return train(train, feeds, fetches, values -> { });
    }

    /**
     * {@link #train}, with {@code beforeCommit} given the fetched values after the step has computed them and
     * before its state is committed: if it throws, the step changes nothing.
     */
    public Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches,
                                     java.util.function.Consumer<Map<String, Tensor>> beforeCommit) {
        descent.compiler.ir.TrainStep step = model.requireTrain(train);
        checkFeedNames(feeds);
        List<Integer> nodes = fetchNodes(fetches, step);
        if (step.updates().isEmpty()) throw new DescentException("train block `" + train + "` changes no variable");
        descent.compiler.schedule.Plan plan = plans.computeIfAbsent(train + "\u0000" + nodes,
                k -> descent.compiler.schedule.Scheduler.schedule(model, step, nodes));
        return execute(interpreter, plan, feeds, Map.of(), new java.util.HashMap<>(), new java.util.HashMap<>(), fetches, nodes, beforeCommit);
    }

    /** The plan {@code train} runs with (for inspection and tests). */
    public descent.compiler.schedule.Plan plan(String train, List<String> fetches) {
        descent.compiler.ir.TrainStep step = model.train(train);
        return descent.compiler.schedule.Scheduler.schedule(model, step, fetchNodes(fetches, step));
    }

    /** Runs a given plan (tests use deliberately wrong orders); same contract as {@link #train}. */
    public Map<String, Tensor> runPlan(descent.compiler.schedule.Plan plan, Map<String, Tensor> feeds, List<String> fetches) {
        checkFeedNames(feeds);
        return execute(plan, feeds, fetches, fetchNodes(fetches, model.train(plan.train())));
    }

    /** Validates the feeds the plan needs, runs it on a copy of the state, and commits the copy only on success. */
    private Map<String, Tensor> execute(descent.compiler.schedule.Plan plan, Map<String, Tensor> feeds, List<String> fetches,
                                        List<Integer> nodes) {
        return execute(interpreter, plan, feeds, Map.of(), new java.util.HashMap<>(), new java.util.HashMap<>(), fetches, nodes, values -> { });
    }

    private Map<String, Tensor> execute(Interpreter interpreter, descent.compiler.schedule.Plan plan, Map<String, Tensor> feeds, Map<Integer, Tensor> given,
                                        Map<String, Integer> bindings, Map<String, String> boundBy, List<String> fetches,
                                        List<Integer> nodes, java.util.function.Consumer<Map<String, Tensor>> beforeCommit) {
        java.util.BitSet needed = new java.util.BitSet();
        for (var s : plan.steps()) {
            if (s instanceof descent.compiler.schedule.Plan.Step.Compute c) needed.set(c.node());
        }
        for (int f : nodes) needed.set(f);
        // Inputs the plan reads, not looking behind given nodes (their producers do not run).
        descent.compiler.ir.Graph graph = interpreter.graph();
        for (int id = graph.size() - 1; id >= 0; id--) {
            if (needed.get(id) && !given.containsKey(id)) for (int in : graph.node(id).inputs()) needed.set(in);
        }
        for (int id : given.keySet()) needed.clear(id); // supplied, so not a feed even when it is an input
        Interpreter.addSizeInputs(graph, needed, given.keySet(), feeds.keySet());
        interpreter.bind(feeds, needed, bindings, boundBy);
        Map<String, Tensor> next = new LinkedHashMap<>(variables);
        interpreter.setStep(steps);
        Map<Integer, Tensor> values = PlanRunner.run(interpreter, graph, plan, feeds, given, next, bindings, nodes);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < fetches.size(); i++) out.put(fetches.get(i), values.get(nodes.get(i)));
        beforeCommit.accept(out);
        variables.clear();
        variables.putAll(next);
        steps++;
        return out;
    }

    /**
     * The first half of train step {@code train}: each optimized variable's gradient as the step would apply
     * it (after processing), computed from the current state; nothing changes.
     */
    public Map<String, descent.runtime.api.Gradient> computeGradients(String train, Map<String, Tensor> feeds) {
        descent.compiler.ir.TrainStep step = requireTrain(train);
        checkFeedNames(feeds);
        List<Integer> nodes = new ArrayList<>();
        for (var e : step.gradients()) {
            switch (e.grad()) {
                case descent.compiler.ir.Grad.Dense d -> nodes.add(d.node());
                case descent.compiler.ir.Grad.Sliced s -> { nodes.add(s.values()); nodes.add(s.indices()); }
                case descent.compiler.ir.Grad.None n -> { }
            }
        }
        interpreter.setStep(steps);
        Map<Integer, Tensor> values = interpreter.run(feeds, variables, nodes);
        Map<String, descent.runtime.api.Gradient> out = new LinkedHashMap<>();
        for (var e : step.gradients()) {
            switch (e.grad()) {
                case descent.compiler.ir.Grad.Dense d -> out.put(e.variable(), new descent.runtime.api.Gradient.Dense(values.get(d.node())));
                case descent.compiler.ir.Grad.Sliced s -> out.put(e.variable(), descent.compiler.train.ApplyHalf.flat(
                        values.get(s.values()), values.get(s.indices()), s.denseShape().concrete(Map.of())));
                case descent.compiler.ir.Grad.None n -> { }
            }
        }
        return out;
    }

    /**
     * The second half: applies {@code gradients} (one per optimized variable, as {@link #computeGradients}
     * returns them) exactly as the train step would, including slots, non-slot variables and the global
     * step. {@code feeds} are needed only for inputs the update itself reads (a fed learning rate).
     */
    public void applyGradients(String train, Map<String, descent.runtime.api.Gradient> gradients, Map<String, Tensor> feeds) {
        descent.compiler.ir.TrainStep step = requireTrain(train);
        checkFeedNames(feeds);
        Applying half = halves.computeIfAbsent(train, k -> {
            var h = descent.compiler.train.ApplyHalf.of(model, step);
            return new Applying(h, descent.compiler.schedule.Scheduler.schedule(h.model(), h.step(), List.of(), h.givenNodes()),
                    new Interpreter(h.model().graph(), interpreter.precision()));
        });
        descent.compiler.train.ApplyHalf.Given given = half.half().given(train, gradients);
        execute(half.interpreter(), half.plan(), feeds, given.values(), new java.util.HashMap<>(given.bindings()), new java.util.HashMap<>(),
                List.of(), List.of(), values -> { });
    }

    /** A train step's apply half, its plan (every call gives all of the step's gradients) and its graph's interpreter. */
    private record Applying(descent.compiler.train.ApplyHalf half, descent.compiler.schedule.Plan plan, Interpreter interpreter) {}

    private final Map<String, Applying> halves = new java.util.HashMap<>();

    private descent.compiler.ir.TrainStep requireTrain(String train) {
        descent.compiler.ir.TrainStep step = model.requireTrain(train);
        return step;
    }

    private void checkFeedNames(Map<String, Tensor> feeds) { checkFeedNames(model, feeds); }

    public static void checkFeedNames(Model model, Map<String, Tensor> feeds) {
        for (var e : feeds.entrySet()) {
            String f = e.getKey();
            Model.InputInfo input = model.input(f);
            if (input == null) {
                throw new DescentException("`" + f + "` is not an input of model " + model.name()
                        + " (inputs: " + String.join(", ", model.inputs().stream().map(Model.InputInfo::name).toList()) + ")");
            }
            if (e.getValue() == null) throw new DescentException("the feed of input `" + f + "` is null");
            // Every feed fits its input, read or not, as TF checks each fed value against its placeholder's shape.
            Interpreter.checkFeed(f, input.type(), e.getValue(), new java.util.HashMap<>(), new java.util.HashMap<>());
        }
    }

    /** Node ids for fetch names: outputs, model names, variables, and the train block's locals (also as block/name). */
    private List<Integer> fetchNodes(List<String> fetches, descent.compiler.ir.TrainStep step) {
        return fetchNodes(model, fetches, step);
    }

    /** Node ids for fetch names: outputs, model names, state, and a train block's locals (also as BLOCK/NAME). */
    public static List<Integer> fetchNodes(Model model, List<String> fetches, descent.compiler.ir.TrainStep step) {
        List<Integer> nodes = new ArrayList<>();
        for (String f : fetches) {
            Integer id = model.outputs().get(f);
            if (id == null) id = model.names().get(f);
            if (id == null && model.variable(f) != null) id = model.variable(f).node();
            if (id == null && step != null) {
                String local = f.startsWith(step.name() + "/") ? f.substring(step.name().length() + 1) : f;
                id = step.locals().get(local);
            }
            if (id == null) throw new DescentException("`" + f + "` is not a value of model " + model.name());
            nodes.add(id);
        }
        return nodes;
    }

    /** Evaluates the named values (outputs, assigned names, inputs or variables) for one set of feeds. */
    public Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches) {
        checkFeedNames(feeds);
        List<Integer> nodes = fetchNodes(fetches, null);
        interpreter.setStep(steps);
        Map<Integer, Tensor> values = interpreter.run(feeds, variables, nodes);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < fetches.size(); i++) out.put(fetches.get(i), values.get(nodes.get(i)));
        return out;
    }
}
