package descent.compiler.interp;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.runtime.api.DescentModel;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.StateSpec;
import descent.runtime.api.TensorSpec;
import descent.runtime.api.TrainSpec;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A checked model run by the reference interpreter, behind the runtime's {@link DescentModel} API. */
public final class InterpretedModel implements DescentModel {
    private final Model model;
    private final Precision precision;
    private final ModelSignature signature;

    public InterpretedModel(Model model, Precision precision) {
        this.model = model;
        this.precision = precision;
        this.signature = signatureOf(model);
    }

    @Override public ModelSignature signature() { return signature; }

    @Override public TrainingSession newSession(long seed) {
        return new InterpretedSession(new Session(model, precision, seed), signature);
    }

    /** The signature of a checked model: what the runtime API shows of it. */
    public static ModelSignature signatureOf(Model m) {
        List<TensorSpec> inputs = new ArrayList<>();
        for (Model.InputInfo i : m.inputs()) inputs.add(new TensorSpec(i.name(), i.type().dtype(), dims(i.type().shape().dims())));
        List<TensorSpec> outputs = new ArrayList<>();
        m.outputs().forEach((name, node) -> outputs.add(new TensorSpec(name, m.graph().type(node).dtype(),
                dims(m.graph().type(node).shape().dims()))));
        List<StateSpec> state = new ArrayList<>();
        for (Model.VariableInfo v : m.variables()) {
            state.add(new StateSpec(v.name(), v.type().dtype(), v.type().shape().concrete(Map.of()),
                    StateSpec.Role.valueOf(v.role().name()), v.trainable(), v.primary(), v.slotName()));
        }
        List<TrainSpec> trains = new ArrayList<>();
        for (TrainStep t : m.trains()) {
            trains.add(new TrainSpec(t.name(), t.optimizers(), t.gradients().stream().map(TrainStep.GradientEntry::variable).toList(),
                    t.slots(), t.globalStep()));
        }
        return new ModelSignature(m.name(), inputs, outputs, state, trains);
    }

    private static List<String> dims(List<Dim> dims) { return dims.stream().map(Dim::toString).toList(); }
}
