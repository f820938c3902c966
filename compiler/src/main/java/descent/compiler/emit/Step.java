package descent.compiler.emit;

/** A generated train step ({@link StepWriter}): its actions in plan order, as straight-line bytecode. */
public interface Step {
    void run(StepHooks hooks, Object ctx, Object[] buf, long step, int b);
}
