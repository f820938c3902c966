package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * use_locking=true: each variable's update is atomic with respect to other threads running steps on the
 * same session, so T threads x K steps of GradientDescent with a constant gradient lose no update.
 * use_locking=false is Hogwild: steps race and updates may be lost, but nothing breaks.
 */
class UseLockingTest {
    static final String MODEL = """
            model locked
            var w: f32[4] = zeros()
            var c: f32[4] = ones() (trainable=false)
            var global_step: i64[] = 0 (trainable=false)
            loss = reduce_sum(w * c)
            train step { GradientDescentOptimizer(0.5, use_locking=LOCK).minimize(loss, global_step=global_step) }
            """;

    static TrainingSession trainConcurrently(boolean lock, int threads, int steps) throws Exception {
        TrainingSession s = new CompiledModel(Compiler.check("locked.descent", MODEL.replace("LOCK", String.valueOf(lock)))).newSession(0);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int k = 0; k < steps; k++) s.train("step", Map.of(), List.of());
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
        return s;
    }

    @Test
    void lockedUpdatesLoseNothing() throws Exception {
        int threads = 4, steps = 2000;
        TrainingSession s = trainConcurrently(true, threads, steps);
        Tensor w = s.get("w");
        for (int i = 0; i < 4; i++) assertEquals(-0.5f * threads * steps, w.floats()[i], "element " + i);
        assertEquals(threads * steps, s.stepCount());
        // The global step's increment is locked with the updates, so it counts every step (7903 of 8000 before).
        assertEquals(threads * steps, s.get("global_step").longs()[0]);
    }

    @Test
    void hogwildRunsButMayLoseUpdates() throws Exception {
        TrainingSession s = trainConcurrently(false, 4, 2000);
        float v = s.get("w").floats()[0];
        // Each write is some earlier value minus 0.5: racing threads may overwrite each other's updates but
        // never apply more than were run.
        assertTrue(v <= -0.5f && v >= -0.5f * 8000, "w = " + v);
    }
}
