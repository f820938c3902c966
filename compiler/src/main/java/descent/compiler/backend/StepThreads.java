package descent.compiler.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The threads one session's steps may use: the calling thread plus {@code threads - 1} daemon workers that
 * wait (spinning briefly, then parked) for the parts of a kernel. A kernel split into parts computes each
 * output element with the same instructions in the same order as unsplit, so results do not depend on the
 * thread count. Allocates nothing per call. When another thread's step is already using the workers, the
 * parts run one after another on the caller, as they do when a part itself asks to split its work.
 */
final class StepThreads {
    /** A team of one thread: every part runs on the caller. */
    static final StepThreads SINGLE = new StepThreads(1);

    private final Worker[] workers;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;

    StepThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "descent-step-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    int threads() { return workers.length + 1; }

    /** Runs {@code body.accept(p)} for every part {@code p} in {@code [0, parts)}, {@code parts <= threads()}. */
    void run(int parts, IntConsumer body) {
        if (parts <= 1 || workers.length == 0 || !busy.tryLock()) {
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
            int helpers = Math.min(parts - 1, workers.length);
            failure = null;
            pending.set(helpers);
            for (int i = 0; i < helpers; i++) workers[i].give(body, i + 1);
            try {
                for (int p = helpers + 1; p < parts; p++) body.accept(p);
                body.accept(0);
            } finally {
                while (pending.get() != 0) Thread.onSpinWait(); // never leave a worker running a part of this call
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
        private volatile IntConsumer task;
        private int part;

        void give(IntConsumer body, int p) {
            part = p;
            task = body;   // volatile write publishes part
            LockSupport.unpark(thread);
        }

        @Override public void run() {
            while (true) {
                IntConsumer t = task;
                // Steps come back to back: spin about a millisecond before parking, so a worker wakes without a syscall.
                for (int spins = 0; t == null && spins < 400_000; spins++) { Thread.onSpinWait(); t = task; }
                if (t == null) { LockSupport.park(this); continue; }
                try {
                    t.accept(part);
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    task = null;
                    pending.decrementAndGet();
                }
            }
        }
    }
}
