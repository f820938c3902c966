package descent.runtime.api;

import descent.runtime.DType;

/**
 * A piece of a session's state, under its TensorFlow name: a model variable, an optimizer slot of one
 * ({@code primary}, {@code slotName}), or a non-slot variable such as {@code beta1_power}.
 */
public record StateSpec(String name, DType dtype, int[] shape, Role role, boolean trainable, String primary, String slotName) {
    public enum Role { VARIABLE, SLOT, NON_SLOT }

    @Override public String toString() { return name + ": " + dtype + java.util.Arrays.toString(shape) + " " + role; }
}
