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

/**
 * {@link TrainingSession} over the reference interpreter's {@link Session}. Calls are serialized (the interpreter is
 * the oracle, not the fast path: a whole step at a time is trivially atomic, as use_locking asks and more), and
 * tensors cross the API as copies, as they do on the compiled backend.
 */
final class InterpretedSession implements TrainingSession {
    private final Session session;
    private final ModelSignature signature;

    InterpretedSession(Session session, ModelSignature signature) {
        this.session = session;
        this.signature = signature;
    }

    @Override public ModelSignature signature() { return signature; }

    @Override public synchronized Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches) {
        return session.train(train, feeds, fetches);
    }

    @Override public synchronized Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches) {
        return session.evaluate(feeds, fetches);
    }

    @Override public synchronized Map<String, Gradient> computeGradients(String train, Map<String, Tensor> feeds) {
        return session.computeGradients(train, feeds);
    }

    @Override public synchronized void applyGradients(String train, Map<String, Gradient> gradients, Map<String, Tensor> feeds) {
        session.applyGradients(train, gradients, feeds);
    }

    @Override public synchronized Tensor get(String state) {
        Tensor t = session.variables().get(state);
        if (t == null) throw new DescentException("model " + signature.name() + " has no variable `" + state + "`");
        return t.copy();
    }

    @Override public synchronized void set(String state, Tensor value) {
        StateSpec spec = signature.state(state);
        if (spec == null) throw new DescentException("model " + signature.name() + " has no variable `" + state + "`");
        if (spec.dtype() != value.dtype() || !Arrays.equals(spec.shape(), value.shape())) {
            throw new DescentException("`" + state + "` is " + spec.dtype() + Tensor.shapeString(spec.shape()) + ", not "
                    + value.dtype() + Tensor.shapeString(value.shape()));
        }
        session.restore(Map.of(state, value.copy()), "set");
    }

    @Override public synchronized Tensor getSlot(String train, String var, String slotName) {
        session.model().requireTrain(train);
        TrainSpec t = signature.train(train);
        String state = t.slots().getOrDefault(var, Map.of()).get(slotName);
        return state == null ? null : session.variables().get(state).copy();
    }

    /** A snapshot: its tensors are copies, as the compiled backend's are. */
    @Override public synchronized Map<String, Tensor> state() {
        Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
        session.variables().forEach((name, value) -> copy.put(name, value.copy()));
        return java.util.Collections.unmodifiableMap(copy);
    }

    /** Checks the arrays against the computed values before the step is committed: a wrong one changes nothing. */
    @Override public synchronized void trainInto(String train, Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        if (into.length != fetches.size()) {
            throw new DescentException("trainInto: " + into.length + " arrays for " + fetches.size() + " fetches");
        }
        session.train(train, feeds, fetches, values -> {
            descent.runtime.api.FetchArrays.check(fetches, into, values);
            for (int i = 0; i < into.length; i++) {
                Tensor v = values.get(fetches.get(i));
                if (into[i] != null) System.arraycopy(v.data(), 0, into[i], 0, v.size());
            }
        });
    }

    @Override public synchronized long stepCount() { return session.stepsRun(); }

    @Override public synchronized void setStepCount(long steps) { session.setStepsRun(steps); }

    @Override public synchronized void save(Path checkpoint) { SafeTensors.write(checkpoint, session.variables()); }

    @Override public synchronized List<String> restore(Path checkpoint) {
        return session.restore(SafeTensors.read(checkpoint), checkpoint.toString());
    }
}
