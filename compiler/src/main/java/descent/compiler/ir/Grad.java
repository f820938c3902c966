package descent.compiler.ir;


/**
 * A gradient as TensorFlow represents it: a dense tensor, an IndexedSlices, or absent (None) when the
 * variable does not affect the loss.
 */
public sealed interface Grad {
    record Dense(int node) implements Grad {}

    /**
     * TF's IndexedSlices: rows {@code indices} (any shape) of a tensor of {@code denseShape} receive
     * {@code values}, whose shape is the indices' shape followed by denseShape without its first axis.
     * Duplicate indices mean their values add up.
     */
    record Sliced(int values, int indices, Shape denseShape) implements Grad {}

    record None() implements Grad {}

    None NONE = new None();

    /** The dense node for this gradient (IndexedSlices summed into a zero tensor), or -1 when absent. */
    default int toDense(GraphBuilder b) {
        return switch (this) {
            case Dense d -> d.node();
            case Sliced s -> b.scatterAdd(s.values(), s.indices(), 0, s.denseShape());
            case None n -> -1;
        };
    }
}
