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
                    Map<String, Integer> outputs, Map<String, Integer> names, List<TrainInfo> trains) {

    public record InputInfo(String name, int node, TensorType type, Span span) {}

    public record VariableInfo(String name, int node, TensorType type, Initializer init, boolean trainable, Span span) {}

    /**
     * A train block. Until the optimizer issue gives train blocks their meaning, what is known is the loss
     * its minimize/compute_gradients call names ({@code lossNode}, -1 if none) and its gradient options.
     */
    public record TrainInfo(String name, Span span, int lossNode, Aggregation aggregation) {}

    public InputInfo input(String name) {
        return inputs.stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
    }

    public VariableInfo variable(String name) {
        return variables.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }
}
