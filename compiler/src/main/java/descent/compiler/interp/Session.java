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

    /**
     * Runs train step {@code train} once on {@code feeds}, in the order of its plan, and returns the named
     * values as that step computed them (forward values before its updates, as
     * {@code sess.run([train_op, loss])}). If anything fails, the variables are left as they were.
     */
    public Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches) {
        descent.compiler.ir.TrainStep step = model.train(train);
        if (step == null) {
            throw new DescentException("model " + model.name() + " has no train block `" + train + "`"
                    + (model.trains().isEmpty() ? "" : " (train blocks: "
                    + String.join(", ", model.trains().stream().map(descent.compiler.ir.TrainStep::name).toList()) + ")"));
        }
        checkFeedNames(feeds);
        List<Integer> nodes = fetchNodes(fetches, step);
        if (step.updates().isEmpty()) throw new DescentException("train block `" + train + "` changes no variable");
        descent.compiler.schedule.Plan plan = plans.computeIfAbsent(train + "\u0000" + nodes,
                k -> descent.compiler.schedule.Scheduler.schedule(model, step, nodes));
        return execute(plan, feeds, fetches, nodes);
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
        java.util.BitSet needed = new java.util.BitSet();
        for (var s : plan.steps()) {
            if (s instanceof descent.compiler.schedule.Plan.Step.Compute c) needed.set(c.node());
        }
        for (int f : nodes) needed.set(f);
        needed.or(interpreter.needed(neededList(needed)));
        Map<String, Integer> bindings = interpreter.bind(feeds, needed);
        Map<String, Tensor> next = new LinkedHashMap<>(variables);
        interpreter.setStep(steps);
        Map<Integer, Tensor> values = PlanRunner.run(interpreter, model.graph(), plan, feeds, next, bindings, nodes);
        variables.clear();
        variables.putAll(next);
        steps++;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < fetches.size(); i++) out.put(fetches.get(i), values.get(nodes.get(i)));
        return out;
    }

    private static List<Integer> neededList(java.util.BitSet b) { return b.stream().boxed().toList(); }

    private void checkFeedNames(Map<String, Tensor> feeds) {
        for (String f : feeds.keySet()) {
            if (model.input(f) == null) {
                throw new DescentException("`" + f + "` is not an input of model " + model.name()
                        + " (inputs: " + String.join(", ", model.inputs().stream().map(Model.InputInfo::name).toList()) + ")");
            }
        }
    }

    /** Node ids for fetch names: outputs, model names, variables, and the train block's locals (also as block/name). */
    private List<Integer> fetchNodes(List<String> fetches, descent.compiler.ir.TrainStep step) {
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
