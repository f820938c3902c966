package descent.runtime.api;

import java.util.List;

/** What a model offers an application: its inputs, outputs, state and train steps. */
public record ModelSignature(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<StateSpec> state,
                             List<TrainSpec> trains) {
    /** Shared by a model and all its sessions, so it cannot be changed. */
    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        state = List.copyOf(state);
        trains = List.copyOf(trains);
    }

    public TrainSpec train(String name) { return trains.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null); }
    public StateSpec state(String name) { return state.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null); }
}
