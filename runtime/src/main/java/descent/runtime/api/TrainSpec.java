package descent.runtime.api;

import java.util.List;
import java.util.Map;

/**
 * A train step: the optimizers it applies, the variables it optimizes, their slots
 * (variable → slot name → state name, as get_slot answers) and the global step it increments (or null).
 */
public record TrainSpec(String name, List<String> optimizers, List<String> variables,
                        Map<String, Map<String, String>> slots, String globalStep) {
    /** Shared by a model and all its sessions, so it cannot be changed (orders kept). */
    public TrainSpec {
        optimizers = List.copyOf(optimizers);
        variables = List.copyOf(variables);
        Map<String, Map<String, String>> copy = new java.util.LinkedHashMap<>();
        slots.forEach((v, bySlot) -> copy.put(v, java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(bySlot))));
        slots = java.util.Collections.unmodifiableMap(copy);
    }

    /** TF's get_slot_names: the sorted slot names of this step's optimizers. */
    public List<String> slotNames() {
        return slots.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
    }
}
