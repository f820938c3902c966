package descent.runtime.api;

import descent.runtime.Tensor;

/**
 * One variable's gradient as the first half of a train step computes it: dense, or TensorFlow's
 * IndexedSlices (rows {@code indices} of a tensor of {@code denseShape} receive {@code values}).
 */
public sealed interface Gradient {
    record Dense(Tensor value) implements Gradient {}
    /** {@code denseShape} may be null, as TF's dense_shape may be None; it is copied in and out. */
    record Slices(Tensor values, Tensor indices, int[] denseShape) implements Gradient {
        public Slices { denseShape = denseShape == null ? null : denseShape.clone(); }

        @Override public int[] denseShape() { return denseShape == null ? null : denseShape.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Slices s && values.equals(s.values) && indices.equals(s.indices) && java.util.Arrays.equals(denseShape, s.denseShape);
        }

        @Override public int hashCode() { return 31 * (31 * values.hashCode() + indices.hashCode()) + java.util.Arrays.hashCode(denseShape); }

        @Override public String toString() {
            return "Slices[values=" + values + ", indices=" + indices + ", denseShape=" + java.util.Arrays.toString(denseShape) + "]";
        }
    }
}
