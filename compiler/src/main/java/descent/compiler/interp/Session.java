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

    /** Evaluates the named values (outputs, assigned names, inputs or variables) for one set of feeds. */
    public Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches) {
        for (String f : feeds.keySet()) {
            if (model.input(f) == null) {
                throw new DescentException("`" + f + "` is not an input of model " + model.name()
                        + " (inputs: " + String.join(", ", model.inputs().stream().map(Model.InputInfo::name).toList()) + ")");
            }
        }
        List<Integer> nodes = new ArrayList<>();
        for (String f : fetches) {
            Integer id = model.outputs().containsKey(f) ? model.outputs().get(f) : model.names().get(f);
            if (id == null) throw new DescentException("`" + f + "` is not a value of model " + model.name());
            nodes.add(id);
        }
        Map<Integer, Tensor> values = interpreter.run(feeds, variables, nodes);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < fetches.size(); i++) out.put(fetches.get(i), values.get(nodes.get(i)));
        return out;
    }
}
