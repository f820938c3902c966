package descent.compiler.schedule;

import descent.compiler.ir.Aggregation;
import descent.compiler.ir.TrainStep.GateMode;
import java.util.List;

/**
 * A total order of one train step's work: compute a node, write a state variable, or a barrier that
 * marks a gate. Reads of state variables happen when the computes that use them run, so the order is
 * what decides which value a read sees — the gate modes are constraints on this order.
 *
 * @param lastUse            for each computed node id, the index of the last step that uses it
 *                           (its buffer dies after that step); -1 entries are not computed
 * @param peakBytes          the largest total size of live intermediate buffers at any step
 * @param peakGradientBytes  the same for gradient buffers alone
 */
public record Plan(String train, GateMode gate, Aggregation aggregation, List<Step> steps, int[] lastUse,
                   long peakBytes, long peakGradientBytes) {

    public sealed interface Step {
        record Compute(int node) implements Step {}
        record Write(String state, int stateNode, int value) implements Step {}
        record Barrier(String reason) implements Step {}
    }
}
