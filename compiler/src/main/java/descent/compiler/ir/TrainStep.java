package descent.compiler.ir;

import descent.compiler.diag.Span;
import java.util.List;
import java.util.Map;

/**
 * A lowered {@code train NAME { ... }} block: what one call of the train step computes and changes.
 * The graph is functional: {@code updates} give, for each state variable the step changes, the node
 * holding its new value; every read of a state variable inside the step sees the value before the step.
 * The order in which these are computed and written is the scheduler's business (see schedule/Plan).
 *
 * @param lossNode      the loss handed to minimize/compute_gradients (-1 if none)
 * @param gradients     each optimized variable's gradient as applied (after processing)
 * @param rawGradients  the gradients as compute_gradients returned them (before processing)
 * @param groups        the gradient nodes each backward op produced together (what GATE_OP gates)
 * @param slots         variable → slot name → slot variable, over all optimizers of the block
 * @param globalStep    the variable incremented once after all updates, or null
 * @param locals        names assigned inside the block that hold tensors (fetchable as NAME/local)
 * @param firstNode     the first node the block built: nodes from here on are its backward pass,
 *                      gradient processing and updates; earlier ones are the forward model
 * @param lockedState   the state written by optimizers built with use_locking=true: their updates must be
 *                      atomic with respect to other threads running steps on the same session
 */
public record TrainStep(String name, Span span, int lossNode, GateMode gate, Aggregation aggregation,
                        List<Update> updates, List<GradientEntry> gradients, List<GradientEntry> rawGradients,
                        List<GradGroup> groups, Map<String, Map<String, String>> slots, List<String> optimizers,
                        String globalStep, Map<String, Integer> locals, int firstNode, java.util.Set<String> lockedState) {

    /** The new value of state variable {@code state} after the step. */
    public record Update(String state, int value) {}

    public record GradientEntry(String variable, Grad grad) {}

    /** The gradient contributions one backward op produced for its inputs (node ids, dense or slice parts). */
    public record GradGroup(int forwardNode, List<Integer> gradNodes) {}

    public enum GateMode {
        GATE_NONE, GATE_OP, GATE_GRAPH;

        public static GateMode of(long tfValue) {
            return tfValue >= 0 && tfValue < 3 ? values()[(int) tfValue] : null;
        }
    }
}
