package descent.runtime.api;

import descent.runtime.Tensor;

/**
 * One variable's gradient as the first half of a train step computes it: dense, or TensorFlow's
 * IndexedSlices (rows {@code indices} of a tensor of {@code denseShape} receive {@code values}).
 */
public sealed interface Gradient {
    record Dense(Tensor value) implements Gradient {}
    record Slices(Tensor values, Tensor indices, int[] denseShape) implements Gradient {}
}
