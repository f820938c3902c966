package descent.compiler.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A session's steps: how many it has taken, and the number each step draws its random values by (gradient noise:
 * the n-th step of a run draws the same values for the same seed). A step takes the next number when it starts; a
 * step that fails gives its number back when no other step has started since — always, when calls come one at a
 * time — and otherwise leaves it unused, so that no two steps ever draw by the same number; the count then skips it.
 */
final class StepCounter {
    private final AtomicLong next = new AtomicLong();
    /** Numbers taken by steps that failed after a later step had started: not steps, never reused. */
    private final AtomicLong unused = new AtomicLong();

    /** The number a step that starts now draws by. */
    long start() { return next.getAndIncrement(); }

    /** Step {@code n} failed. */
    void failed(long n) {
        if (!next.compareAndSet(n + 1, n)) unused.incrementAndGet();
    }

    /** The number the next step would draw by (an evaluation draws by it too). */
    long current() { return next.get(); }

    /** The steps taken. */
    long count() { return next.get() - unused.get(); }

    void set(long steps) {
        next.set(steps);
        unused.set(0);
    }
}
