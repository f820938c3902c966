package descent.runtime.api;

import descent.runtime.DType;

/**
 * A piece of a session's state, under its TensorFlow name: a model variable, an optimizer slot of one
 * ({@code primary}, {@code slotName}), or a non-slot variable such as {@code beta1_power}.
 */
public record StateSpec(String name, DType dtype, int[] shape, Role role, boolean trainable, String primary, String slotName) {
    public enum Role { VARIABLE, SLOT, NON_SLOT }

    public StateSpec { shape = shape.clone(); }

    /** A copy: the spec is shared by a model and its sessions. */
    @Override public int[] shape() { return shape.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof StateSpec s && name.equals(s.name) && dtype == s.dtype && java.util.Arrays.equals(shape, s.shape)
                && role == s.role && trainable == s.trainable && java.util.Objects.equals(primary, s.primary)
                && java.util.Objects.equals(slotName, s.slotName);
    }

    @Override public int hashCode() { return java.util.Objects.hash(name, dtype, java.util.Arrays.hashCode(shape), role, trainable, primary, slotName); }

    @Override public String toString() { return name + ": " + dtype + java.util.Arrays.toString(shape) + " " + role; }
}
