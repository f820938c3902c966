package descent.compiler.backend;

import descent.compiler.emit.Step;
import descent.compiler.emit.StepHooks;
import java.util.function.IntConsumer;

/**
 * One thread's view of one fork of a generated step ({@link StepHooks#fork}): the arguments its parts run with,
 * set before each run. Kept per thread context and per fork id, so a warm fork allocates nothing, and a fork
 * nested in another's part (another id) never overwrites the outer one's arguments.
 */
final class ForkParts implements IntConsumer {
    private final int fork;
    private Step step;
    private StepHooks hooks;
    private Object ctx;
    private Object[] buf;
    private long n;
    private int b;

    ForkParts(int fork) { this.fork = fork; }

    /** Runs the fork's {@code parts} parts on {@code threads}, back when all are done. */
    void run(StepThreads threads, Step step, StepHooks hooks, Object ctx, int parts, Object[] buf, long n, int b) {
        this.step = step;
        this.hooks = hooks;
        this.ctx = ctx;
        this.buf = buf;
        this.n = n;
        this.b = b;
        try {
            threads.run(parts, this);
        } finally {
            // Holds nothing between steps: this object lives in the calling thread's context (a ThreadLocal value), and
            // a step or hooks kept here would keep the executable, its ThreadLocal and its session's workers reachable
            // from that thread for as long as it lives (a pool thread: forever).
            this.buf = null;
            this.ctx = null;
            this.step = null;
            this.hooks = null;
        }
    }

    @Override public void accept(int p) { step.part(fork, p, hooks, ctx, buf, n, b); }
}
