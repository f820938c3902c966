package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import descent.compiler.Compiler;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A session of several threads keeps daemon workers: they end when it is closed or unreachable (an application
 * creating a session per request must not collect threads), and a closed session trains on, on one thread, with
 * the same bits.
 */
class SessionThreadsTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    private static CompiledModel mlp() throws Exception {
        return new CompiledModel(Compiler.check("mlp.descent", Files.readString(ROOT.resolve("examples/mlp.descent"))));
    }

    private static Map<String, Tensor> feeds() {
        float[] x = new float[64 * 2];
        int[] labels = new int[64];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        for (int i = 0; i < labels.length; i++) labels[i] = i % 3;
        return Map.of("x", Tensor.of(x, 64, 2), "labels", Tensor.of(labels, 64));
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closingEndsTheWorkersAndTheSessionTrainsOnWithTheSameBits() throws Exception {
        CompiledModel model = mlp();
        TrainingSession one = model.newSession(0, 1);
        CompiledSession three = (CompiledSession) model.newSession(0, 3);
        List<Thread> workers = three.threads().workerThreads();
        assertEquals(2, workers.size());
        for (int step = 0; step < 4; step++) {
            if (step == 2) {
                three.close();
                for (Thread t : workers) t.join();
            }
            float a = one.train("step", feeds(), List.of("loss")).get("loss").floats()[0];
            float b = three.train("step", feeds(), List.of("loss")).get("loss").floats()[0];
            assertEquals(Float.floatToIntBits(a), Float.floatToIntBits(b), "step " + step);
        }
        assertArrayEquals(one.get("w1").floats(), three.get("w1").floats());
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sessionsNobodyHoldsEndTheirWorkers() throws Exception {
        CompiledModel model = mlp();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            CompiledSession s = (CompiledSession) model.newSession(i, 3);
            s.train("step", feeds(), List.of());
            workers.addAll(s.threads().workerThreads());
        }
        while (workers.stream().anyMatch(Thread::isAlive)) {
            System.gc();
            Thread.sleep(50);
        }
    }

    /**
     * The same for sessions whose steps split work across their threads: the calling thread's context of each step held
     * the step's fork, which held the executable, so the session's workers lived as long as the calling thread (a
     * thread pool's: forever), and its buffers with them.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sessionsThatSplitWorkAndNobodyHoldsEndTheirWorkers() throws Exception {
        CompiledModel model = new CompiledModel(Compiler.check("wide.descent", """
                model wide
                input x: f32[batch, 600]
                var w: f32[600, 300] = glorot_uniform(seed=1)
                loss = reduce_mean(square(x @ w))
                train step { GradientDescentOptimizer(0.01).minimize(loss) }
                """));
        float[] x = new float[64 * 600];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            CompiledSession s = (CompiledSession) model.newSession(i, 2);
            s.train("step", Map.of("x", Tensor.of(x, 64, 600)), List.of());
            workers.addAll(s.threads().workerThreads());
        }
        while (workers.stream().anyMatch(Thread::isAlive)) {
            System.gc();
            Thread.sleep(50);
        }
    }

    @Test
    void aThreadCountOutOfRangeIsAUserError() throws Exception {
        CompiledModel model = mlp();
        assertEquals("threads must be from 1 to 1024, not 0",
                assertThrows(DescentException.class, () -> model.newSession(0, 0)).getMessage());
        assertEquals("threads must be from 1 to 1024, not 100000",
                assertThrows(DescentException.class, () -> model.newSession(0, 100_000)).getMessage());
    }
}
