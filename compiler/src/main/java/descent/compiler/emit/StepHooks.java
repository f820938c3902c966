package descent.compiler.emit;

/**
 * What a generated {@link Step} calls back for besides kernels: a state write that goes through a buffer
 * (saving the old value so a failed step can be undone), and taking and releasing the use_locking locks.
 * {@code ctx} is the calling thread's context, passed through untouched.
 */
public interface StepHooks {
    void write(Object ctx, int action);

    void lock(Object ctx);

    void unlock(Object ctx);
}
