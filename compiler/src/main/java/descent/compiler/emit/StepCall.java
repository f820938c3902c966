package descent.compiler.emit;

/** One kernel call of a train step over the step's buffer array; {@code b} is the batch size. */
@FunctionalInterface
public interface StepCall {
    void run(Object[] buf, long step, int b);
}
