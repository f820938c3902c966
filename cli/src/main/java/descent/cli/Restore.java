package descent.cli;

import descent.runtime.DescentException;
import descent.runtime.SafeTensors;
import descent.runtime.api.TrainingSession;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code --restore} in run, train and predict: what a checkpoint must hold, checked before anything is
 * overwritten, and warnings for what it holds that the model does not use.
 */
final class Restore {
    private Restore() {}

    /**
     * Overwrites the session's state with the checkpoint's values after checking it holds every variable in
     * {@code required} (run requires none: initial values, then any present; predict the variables its output
     * reads; train every variable, as TF's Saver.restore does). Names in {@code expected} the checkpoint
     * lacks (train's slots, when fine-tuning with another optimizer than the one that wrote it) are named in
     * a warning: they start from their initial values.
     */
    static void into(TrainingSession session, Path checkpoint, Collection<String> required, Collection<String> expected,
            PrintWriter err) {
        if (!required.isEmpty() || !expected.isEmpty()) {
            Set<String> present = new HashSet<>(SafeTensors.readNames(checkpoint));
            List<String> lacking = required.stream().filter(name -> !present.contains(name)).toList();
            if (!lacking.isEmpty()) {
                throw new DescentException(checkpoint + " lacks the model's variable" + (lacking.size() == 1 ? " " : "s ")
                        + String.join(", ", lacking) + " (was it saved from another model?)");
            }
            List<String> fresh = expected.stream().filter(name -> !present.contains(name)).toList();
            if (!fresh.isEmpty()) {
                err.println("descent: warning: " + checkpoint + " has no " + String.join(", ", fresh)
                        + ": they start from their initial values");
            }
        }
        List<String> unknown = session.restore(checkpoint);
        if (!unknown.isEmpty()) {
            err.println("descent: warning: " + checkpoint + " has values the model does not use: " + String.join(", ", unknown));
        }
    }
}
