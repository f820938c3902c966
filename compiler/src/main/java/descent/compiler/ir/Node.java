package descent.compiler.ir;

import descent.compiler.diag.Span;
import java.util.List;

/**
 * One value of the graph: {@code op} applied to the values {@code inputs} (node ids, all smaller than
 * {@code id}), of static type {@code type}. {@code name} is the model's name for it, if any; {@code span}
 * is where in the model it comes from.
 */
public record Node(int id, Op op, List<Integer> inputs, TensorType type, String name, Span span) {
    public Node { inputs = List.copyOf(inputs); }

    public int input(int i) { return inputs.get(i); }
}
