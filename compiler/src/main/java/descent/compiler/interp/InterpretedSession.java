package descent.compiler.interp;

import descent.runtime.DescentException;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import descent.runtime.api.Gradient;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.StateSpec;
import descent.runtime.api.TrainSpec;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** {@link TrainingSession} over the reference interpreter's {@link Session}. */
final class InterpretedSession implements TrainingSession {
    private final Session session;
    private final ModelSignature signature;

    InterpretedSession(Session session, ModelSignature signature) {
        this.session = session;
        this.signature = signature;
    }

    @Override public ModelSignature signature() { return signature; }

    @Override public Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches) {
        return session.train(train, feeds, fetches);
    }

    @Override public Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches) {
        return session.evaluate(feeds, fetches);
    }

    @Override public Map<String, Gradient> computeGradients(String train, Map<String, Tensor> feeds) {
        return session.computeGradients(train, feeds);
    }

    @Override public void applyGradients(String train, Map<String, Gradient> gradients, Map<String, Tensor> feeds) {
        session.applyGradients(train, gradients, feeds);
    }

    @Override public Tensor get(String state) {
        Tensor t = session.variables().get(state);
        if (t == null) throw new DescentException("model " + signature.name() + " has no variable `" + state + "`");
        return t;
    }

    @Override public void set(String state, Tensor value) {
        StateSpec spec = signature.state(state);
        if (spec == null) throw new DescentException("model " + signature.name() + " has no variable `" + state + "`");
        if (spec.dtype() != value.dtype() || !Arrays.equals(spec.shape(), value.shape())) {
            throw new DescentException("`" + state + "` is " + spec.dtype() + Tensor.shapeString(spec.shape()) + ", not "
                    + value.dtype() + Tensor.shapeString(value.shape()));
        }
        session.restore(Map.of(state, value), "set");
    }

    @Override public Tensor getSlot(String train, String var, String slotName) {
        TrainSpec t = signature.train(train);
        if (t == null) throw new DescentException("model " + signature.name() + " has no train block `" + train + "`");
        String state = t.slots().getOrDefault(var, Map.of()).get(slotName);
        return state == null ? null : session.variables().get(state);
    }

    @Override public Map<String, Tensor> state() { return session.variables(); }

    @Override public long stepCount() { return session.stepsRun(); }

    @Override public void setStepCount(long steps) { session.setStepsRun(steps); }

    @Override public void save(Path checkpoint) { SafeTensors.write(checkpoint, session.variables()); }

    @Override public List<String> restore(Path checkpoint) {
        return session.restore(SafeTensors.read(checkpoint), checkpoint.toString());
    }
}
