package descent.compiler.ir;

import descent.compiler.diag.Span;
import descent.runtime.Initializer;
import java.util.List;
import java.util.Map;

/**
 * A checked model file: its graph and what the graph's leaves and names mean to the user.
 * {@code names} maps every assigned name (and input, variable) to its node; {@code outputs} keeps
 * the declaration order.
 */
public record Model(String name, Graph graph, List<InputInfo> inputs, List<VariableInfo> variables,
                    Map<String, Integer> outputs, Map<String, Integer> names, List<TrainStep> trains) {

    public record InputInfo(String name, int node, TensorType type, Span span) {}

    /**
     * A piece of state: a model variable, an optimizer's slot for one ({@code primary}, {@code slotName}),
     * or an optimizer's non-slot variable (Adam's beta powers). Names are TensorFlow's.
     */
    public record VariableInfo(String name, int node, TensorType type, Initializer init, boolean trainable, Span span,
                               Role role, String primary, String slotName) {
        public enum Role { VARIABLE, SLOT, NON_SLOT }

        public VariableInfo(String name, int node, TensorType type, Initializer init, boolean trainable, Span span) {
            this(name, node, type, init, trainable, span, Role.VARIABLE, null, null);
        }
    }

    public InputInfo input(String name) {
        return inputs.stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
    }

    public TrainStep train(String name) {
        return trains.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    /** Train block {@code name}, or the error both backends give for a name the model lacks (listing those it has). */
    public TrainStep requireTrain(String name) {
        TrainStep step = train(name);
        if (step != null) return step;
        throw new descent.runtime.DescentException("model " + this.name + " has no train block `" + name + "`"
                + (trains.isEmpty() ? "" : " (train blocks: " + String.join(", ", trains.stream().map(TrainStep::name).toList()) + ")"));
    }

    public VariableInfo variable(String name) {
        return variables.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }
}
