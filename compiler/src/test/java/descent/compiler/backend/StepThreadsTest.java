package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How a step's parts reach threads: every part runs exactly once, whether a worker takes it or the caller takes it back. */
class StepThreadsTest {
    /** Workers that never run (as if their CPU were taken away): the caller takes every part back, each once. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // without taking back, the call would wait forever
    void partsAWorkerNeverTakesRunOnTheCaller() {
        StepThreads threads = new StepThreads(3, false);
        for (int call = 0; call < 5; call++) {
            AtomicIntegerArray runs = new AtomicIntegerArray(3);
            Thread[] by = new Thread[3];
            threads.run(3, p -> { runs.incrementAndGet(p); by[p] = Thread.currentThread(); });
            for (int p = 0; p < 3; p++) {
                assertEquals(1, runs.get(p), "part " + p);
                assertEquals(Thread.currentThread(), by[p], "part " + p);
            }
        }
    }

    /** Live workers: many calls of uneven parts, each part exactly once, whoever runs it. */
    @Test
    void everyPartRunsExactlyOnce() {
        StepThreads threads = new StepThreads(2);
        int[] counts = new int[2];
        for (int call = 0; call < 20_000; call++) {
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            int spin = call % 7;
            threads.run(2, p -> {
                for (int i = 0; i < spin * (p + 1) * 50; i++) Thread.onSpinWait();
                runs.incrementAndGet(p);
            });
            for (int p = 0; p < 2; p++) counts[p] += runs.get(p);
        }
        assertArrayEquals(new int[] {20_000, 20_000}, counts);
    }

    /** A part that fails on the caller fails the call, and the team stays usable. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFailingPartTakenBackFailsTheCall() {
        StepThreads threads = new StepThreads(2, false);
        assertThrows(IllegalStateException.class, () -> threads.run(2, p -> { if (p == 1) throw new IllegalStateException("part 1"); }));
        AtomicIntegerArray runs = new AtomicIntegerArray(2);
        threads.run(2, runs::incrementAndGet);
        assertEquals(1, runs.get(0));
        assertEquals(1, runs.get(1));
    }

    /** close() ends the workers; later calls still run every part, on the caller. */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closingEndsTheWorkersAndCallsGoOn() throws InterruptedException {
        StepThreads threads = new StepThreads(3);
        java.util.List<Thread> workers = threads.workerThreads();
        threads.run(3, p -> { });
        threads.close();
        for (Thread t : workers) t.join();
        AtomicIntegerArray runs = new AtomicIntegerArray(3);
        threads.run(3, runs::incrementAndGet);
        for (int p = 0; p < 3; p++) assertEquals(1, runs.get(p), "part " + p);
    }

    /** A team nobody holds any more ends its workers: they refer to what they serve, not to the session's object. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void unreachableThreadsEndTheirWorkers() throws InterruptedException {
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            StepThreads threads = new StepThreads(3);
            threads.run(3, p -> { });
            workers.addAll(threads.workerThreads());
        }
        while (workers.stream().anyMatch(Thread::isAlive)) {
            System.gc();
            Thread.sleep(50);
        }
    }

    @Test
    void aThreadCountOutOfRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StepThreads(0));
        assertThrows(IllegalArgumentException.class, () -> new StepThreads(StepThreads.MAX_THREADS + 1));
    }
}
