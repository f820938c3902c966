package descent.compiler.interp;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.schedule.Plan;
import descent.runtime.Tensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes a {@link Plan} step by step against mutable state, as compiled code will: a computation reads
 * a state variable's storage at the moment it runs, and a write replaces the storage at once. So the
 * plan's order — the gate mode — is exactly what decides the numbers.
 */
final class PlanRunner {
    private PlanRunner() {}

    /**
     * Runs {@code plan}; {@code state} (by variable name) is updated in place. Returns the fetched values
     * as computed during this run (forward values before the step's writes).
     */
    static Map<Integer, Tensor> run(Interpreter interp, Graph g, Plan plan, Map<String, Tensor> feeds,
                                    Map<String, Tensor> state, Map<String, Integer> bindings, List<Integer> fetches) {
        return run(interp, g, plan, feeds, Map.of(), state, bindings, fetches);
    }

    /** As above, with the values of {@code given} nodes supplied (the plan does not compute them). */
    static Map<Integer, Tensor> run(Interpreter interp, Graph g, Plan plan, Map<String, Tensor> feeds, Map<Integer, Tensor> given,
                                    Map<String, Tensor> state, Map<String, Integer> bindings, List<Integer> fetches) {
        Arr[] values = new Arr[g.size()];

        for (Node n : g.nodes()) {
            if (n.op() instanceof Op.Input in && feeds.containsKey(in.name())) values[n.id()] = Interpreter.fromTensor(feeds.get(in.name()));
        }
        given.forEach((id, t) -> values[id] = Interpreter.fromTensor(t));
        Map<String, Tensor> before = new HashMap<>(state);
        for (Plan.Step step : plan.steps()) {
            switch (step) {
                case Plan.Step.Compute c -> {
                    Node n = g.node(c.node());
                    for (int in : n.inputs()) {
                        if (g.node(in).op() instanceof Op.Variable v) values[in] = Interpreter.fromTensor(state.get(v.name()));
                    }
                    int[] shape = n.type().shape().concrete(bindings);
                    values[c.node()] = interp.round(interp.eval(n, shape, values), n.type().dtype());
                }
                case Plan.Step.Write w -> {
                    Node v = g.node(w.stateNode());
                    Arr value = values[w.value()] != null ? values[w.value()] : readLeaf(g, w.value(), state, values);
                    Tensor t = Interpreter.toTensor(value, v.type().dtype());
                    state.put(w.state(), t);
                }
                case Plan.Step.Barrier b -> { }
            }
        }
        Map<Integer, Tensor> out = new LinkedHashMap<>();
        for (int f : fetches) {
            Arr a = values[f] != null ? values[f] : readLeaf(g, f, before, values);
            out.put(f, Interpreter.toTensor(a, g.type(f).dtype()));
        }
        return out;
    }

    /** A fetch or write of a leaf: an input's feed, or a variable's value (before this step's write). */
    private static Arr readLeaf(Graph g, int id, Map<String, Tensor> state, Arr[] values) {
        if (values[id] != null) return values[id];
        if (g.node(id).op() instanceof Op.Variable v) return Interpreter.fromTensor(state.get(v.name()));
        throw new IllegalStateException("%" + id + " was not computed by the plan");
    }
}
