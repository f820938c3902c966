package descent.compiler.backend;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The threads one session's steps may use: the calling thread plus {@code threads - 1} daemon workers that
 * wait (spinning briefly, then parked) for the parts of a kernel. A kernel split into parts computes each
 * output element with the same instructions in the same order as unsplit, so results do not depend on the
 * thread count, nor on which thread runs a part. Allocates nothing per call. When another thread's step is
 * already using the workers, the parts run one after another on the caller, as they do when a part itself
 * asks to split its work.
 *
 * <p>A part given to a worker that has not taken it by the time the caller has run its own is taken back and
 * run by the caller. A worker can be late because it was parked (a wake-up costs tens of microseconds) or
 * because the machine gave its CPU to another thread (on the 2-vCPU bench VM, for milliseconds): the step no
 * longer waits for it then. Only a part a worker has already started is waited for.
 *
 * <p>The workers end when the session is closed ({@link #close}) or, failing that, once it is unreachable: they
 * hold the {@link Team} they serve, never this object, so a {@link Cleaner} can see it go. After that every part
 * runs on the caller.
 */
final class StepThreads implements AutoCloseable {
    /** A team of one thread: every part runs on the caller. */
    static final StepThreads SINGLE = new StepThreads(1);

    /** Beyond this a count is a mistake, not a machine: each worker is a platform thread. */
    static final int MAX_THREADS = 1024;

    private static final Cleaner WORKERS_ENDED = Cleaner.create();

    private final Team team;
    private final Cleaner.Cleanable cleanable;

    StepThreads(int threads) { this(threads, true); }

    /** With {@code start} false the workers never run (for tests: every part must then be taken back by the caller). */
    StepThreads(int threads, boolean start) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be from 1 to " + MAX_THREADS + ", not " + threads);
        }
        team = new Team(threads, start);
        Team t = team;   // the cleaning action must not capture this
        cleanable = threads > 1 ? WORKERS_ENDED.register(this, t::close) : null;
    }

    int threads() { return team.workers.length + 1; }

    /** Runs {@code body.accept(p)} for every part {@code p} in {@code [0, parts)}, {@code parts <= threads()}. */
    void run(int parts, IntConsumer body) { team.run(parts, body); }

    /** Ends the workers (once they finish a part they are running); later runs use the caller alone. */
    @Override public void close() {
        if (cleanable != null) cleanable.clean();
    }

    /** The worker threads (tests: a test may hold them without keeping this object reachable). */
    java.util.List<Thread> workerThreads() {
        return java.util.Arrays.stream(team.workers).map(w -> w.thread).toList();
    }

    /** What the workers share with the callers; it refers to no session. */
    private static final class Team {
        private final Worker[] workers;
        private final ReentrantLock busy = new ReentrantLock();
        private final AtomicInteger pending = new AtomicInteger();
        private volatile Throwable failure;
        private volatile boolean closed;
        /**
         * Whether the workers still wait to be started, which the first split does (under {@code busy}): a session
         * that never splits work, such as those {@code descent compile} builds steps with, never spins a core.
         */
        private boolean unstarted;

        Team(int threads, boolean start) {
            workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker();
                Thread t = new Thread(workers[i], "descent-step-" + (i + 1));
                t.setDaemon(true);
                workers[i].thread = t;
            }
            unstarted = start;
        }

        void close() {
            closed = true;
            for (Worker w : workers) LockSupport.unpark(w.thread);
        }

        void run(int parts, IntConsumer body) {
            if (parts <= 1 || workers.length == 0 || closed || !busy.tryLock()) {
                for (int p = 0; p < parts; p++) body.accept(p);
                return;
            }
            if (busy.getHoldCount() > 1) {
                // Called from part 0 of a run in progress (a product beside another, BranchFork): the workers are taken.
                busy.unlock();
                for (int p = 0; p < parts; p++) body.accept(p);
                return;
            }
            try {
                if (unstarted) {
                    for (Worker w : workers) w.thread.start();
                    unstarted = false;
                }
                int helpers = Math.min(parts - 1, workers.length);
                failure = null;
                pending.set(helpers);
                for (int i = 0; i < helpers; i++) workers[i].give(body, i + 1);
                try {
                    for (int p = helpers + 1; p < parts; p++) body.accept(p);
                    body.accept(0);
                    // Parts no worker has taken yet (late, or ended by close): run them here rather than wait.
                    for (int i = 0; i < helpers; i++) {
                        if (workers[i].takeBack(body)) {
                            try {
                                body.accept(i + 1);
                            } finally {
                                pending.decrementAndGet();
                            }
                        }
                    }
                } finally {
                    // Never leave a worker running a part of this call; on a failure above, take back what is not started.
                    for (int i = 0; i < helpers; i++) if (workers[i].takeBack(body)) pending.decrementAndGet();
                    while (pending.get() != 0) Thread.onSpinWait();
                }
                Throwable f = failure;
                if (f instanceof RuntimeException e) throw e;
                if (f instanceof Error e) throw e;
            } finally {
                busy.unlock();
            }
        }

        private final class Worker implements Runnable {
            Thread thread;
            /** The part given and not yet taken, by this worker or back by the caller; null otherwise. */
            private final AtomicReference<IntConsumer> task = new AtomicReference<>();
            private int part;

            void give(IntConsumer body, int p) {
                part = p;
                task.set(body);   // volatile write publishes part
                LockSupport.unpark(thread);
            }

            /** Takes {@code body}'s part back if this worker has not taken it; whoever takes it runs it and counts it done. */
            boolean takeBack(IntConsumer body) { return task.compareAndSet(body, null); }

            @Override public void run() {
                while (!closed) {
                    IntConsumer t = task.get();
                    // Steps come back to back: spin about a millisecond before parking, so a worker wakes without a syscall.
                    for (int spins = 0; t == null && spins < 400_000 && !closed; spins++) { Thread.onSpinWait(); t = task.get(); }
                    if (t == null) {
                        if (!closed) LockSupport.park(this);
                        continue;
                    }
                    if (!task.compareAndSet(t, null)) continue;   // taken back by the caller
                    // Read after the claim: no part is given again before this one is counted done.
                    int p = part;
                    try {
                        t.accept(p);
                    } catch (Throwable e) {
                        failure = e;
                    } finally {
                        pending.decrementAndGet();
                    }
                }
            }
        }
    }
}
