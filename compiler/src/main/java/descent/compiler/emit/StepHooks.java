package descent.compiler.emit;

/**
 * What a generated {@link Step} calls back for besides kernels: a state write that goes through a buffer
 * (saving the old value so a failed step can be undone), taking and releasing the use_locking locks, and running
 * the parts of a fork at once. {@code ctx} is the calling thread's context, passed through untouched.
 */
public interface StepHooks {
    void write(Object ctx, int action);

    void lock(Object ctx);

    void unlock(Object ctx);

    /**
     * Runs {@code step.part(fork, p, this, ctx, buf, n, b)} for every part {@code p < parts}, at once where threads
     * are free, and returns when all are done (rethrowing a part's failure). {@code fork} is unique within the
     * step ({@link StepWriter#forks} counts them), so a context can keep what it needs per fork.
     */
    void fork(Object ctx, Step step, int fork, int parts, Object[] buf, long n, int b);
}
