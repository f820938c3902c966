package descent.runtime.api;

import descent.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The state of one model instance (variables, slots, non-slot variables, global step) and the calls that
 * use it. Every call validates all of its arguments before it changes anything: a call that fails leaves
 * the session exactly as it was. Errors a user can cause are {@link descent.runtime.DescentException}s.
 */
public interface TrainingSession extends AutoCloseable {
    ModelSignature signature();

    /**
     * Ends the worker threads a session of several threads keeps (they also end once the session is
     * unreachable). The session stays usable: its steps then run on the calling thread alone, with the same
     * results. A no-op for one-thread sessions and the interpreter.
     */
    @Override default void close() {}

    /**
     * Runs train step {@code train} once and returns {@code fetches} (outputs, named values, state) as the
     * step computed them, before its updates — what {@code sess.run([train_op, fetches])} returns.
     */
    Map<String, Tensor> train(String train, Map<String, Tensor> feeds, List<String> fetches);

    /**
     * {@link #train}, writing fetch i's values into {@code into[i]} (a primitive array of the fetch's dtype, at
     * least as long as its element count; a null entry skips that fetch) instead of returning new tensors. The
     * compiled backend's implementation allocates nothing once the step is warm; this default does what
     * {@code train} does and copies.
     */
    default void trainInto(String train, Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        if (into.length != fetches.size()) {
            throw new descent.runtime.DescentException("trainInto: " + into.length + " arrays for " + fetches.size() + " fetches");
        }
        // Both backends override this to check the arrays before the step changes anything.
        Map<String, Tensor> out = train(train, feeds, fetches);
        FetchArrays.check(fetches, into, out);
        for (int i = 0; i < into.length; i++) {
            if (into[i] == null) continue;
            Object data = out.get(fetches.get(i)).data();
            System.arraycopy(data, 0, into[i], 0, java.lang.reflect.Array.getLength(data));
        }
    }

    /** Evaluates {@code fetches} without changing any state. */
    Map<String, Tensor> evaluate(Map<String, Tensor> feeds, List<String> fetches);

    /**
     * {@link #evaluate}, writing fetch i's values into {@code into[i]} as {@link #trainInto} does: for inference in a
     * loop. The compiled backend's implementation allocates nothing once the evaluation is warm; this default does
     * what {@code evaluate} does and copies.
     */
    default void evaluateInto(Map<String, Tensor> feeds, List<String> fetches, Object[] into) {
        if (into.length != fetches.size()) {
            throw new descent.runtime.DescentException("evaluateInto: " + into.length + " arrays for " + fetches.size() + " fetches");
        }
        Map<String, Tensor> out = evaluate(feeds, fetches);
        FetchArrays.check("evaluateInto", fetches, into, out);
        for (int i = 0; i < into.length; i++) {
            if (into[i] == null) continue;
            Object data = out.get(fetches.get(i)).data();
            System.arraycopy(data, 0, into[i], 0, java.lang.reflect.Array.getLength(data));
        }
    }

    /**
     * The first half of a train step: every optimized variable's gradient (the processed gradients the step
     * would apply), by variable name; state is unchanged. Data-parallel training sums these across workers.
     * An IndexedSlices comes as TF's gradients give it: indices of one axis, values one row of the variable
     * per index (ids of shape {@code [batch, 8]} give 8·batch indices).
     */
    Map<String, Gradient> computeGradients(String train, Map<String, Tensor> feeds);

    /**
     * The second half: applies the given gradients (one per optimized variable, as
     * {@link #computeGradients} returns them) with the step's optimizers, then increments the global step.
     * Each IndexedSlices may have a length of its own (workers' slices concatenated, or duplicates summed),
     * indices of any shape (values then have the indices' shape followed by a row), and i32 or i64 indices.
     */
    void applyGradients(String train, Map<String, Gradient> gradients, Map<String, Tensor> feeds);

    /** The value of a variable, slot or non-slot variable, by TF name. */
    Tensor get(String state);

    /** Replaces a state value; its dtype and shape must match. */
    void set(String state, Tensor value);

    /** TF's get_slot: the slot {@code slotName} of variable {@code var} in train step {@code train}, or null. */
    Tensor getSlot(String train, String var, String slotName);

    /** Every state value by TF name, in signature order. */
    Map<String, Tensor> state();

    /**
     * How many train steps this session has run. Random ops (gradient noise) draw from a stream chosen by
     * this count, so a run resumed from a checkpoint sets it back to continue the same draws.
     */
    long stepCount();

    void setStepCount(long steps);

    /** Writes every state value to a SafeTensors checkpoint (atomically). */
    void save(Path checkpoint);

    /** Overwrites the state values a checkpoint holds; returns the names in it the model does not have. */
    List<String> restore(Path checkpoint);
}
