package descent.compiler.emit;

/** A generated train step ({@link StepWriter}): its actions in plan order, as straight-line bytecode. */
public interface Step {
    void run(StepHooks hooks, Object ctx, Object[] buf, long step, int b);

    /**
     * Runs part {@code p} of the fork with id {@code fork} ({@link StepHooks#fork} is given both): what a thread
     * the hooks hand the part to calls. A step with no fork has no parts.
     */
    default void part(int fork, int p, StepHooks hooks, Object ctx, Object[] buf, long step, int b) {
        throw new IllegalArgumentException("this step has no fork " + fork);
    }
}
