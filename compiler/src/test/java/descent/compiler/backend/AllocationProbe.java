package descent.compiler.backend;

import descent.runtime.Tensor;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

/**
 * Prints the bytes one warm trainInto step of an example (mlp or logreg) allocates on this thread (run by
 * CompiledAllocationTest), and how many steps it took to get there.
 *
 * <p>"Warm" is measured, not assumed: Vector API operations allocate a box per result until C2 has
 * compiled the kernel that uses them (C1 and the interpreter do not intrinsify them), and with hundreds
 * of small kernels queued on two cores that takes far more steps than the driver needs. So the probe
 * measures rounds of {@code steps} until one allocates at most {@code goal} bytes per step, or the time
 * runs out, and reports the last round.
 */
public final class AllocationProbe {
    public static void main(String[] args) throws Exception {
        Result r = bytesPerStep(args[0], Integer.parseInt(args[1]), Double.parseDouble(args[2]), Long.parseLong(args[3]));
        System.out.println(r.bytesPerStep() + " " + r.stepsBefore());
    }

    record Result(double bytesPerStep, long stepsBefore) {}

    static Result bytesPerStep(String example, int steps, double goal, long maxMillis) throws Exception {
        CompiledSession s = (CompiledSession) new CompiledModel(CompiledAllocationTest.example(example)).newSession(0);
        Map<String, Tensor> feeds = CompiledAllocationTest.exampleFeeds(example, 64, 1);
        List<String> fetches = List.of("loss");
        Object[] into = {new float[1]};
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + maxMillis * 1_000_000L, done = 0;
        while (true) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < steps; i++) s.trainInto("step", feeds, fetches, into);
            long after = mx.getThreadAllocatedBytes(tid);
            if (!Float.isFinite(((float[]) into[0])[0])) throw new AssertionError("loss " + ((float[]) into[0])[0]);
            double perStep = (after - before) / (double) steps;
            if (perStep <= goal || System.nanoTime() > deadline) return new Result(perStep, done);
            done += steps;
        }
    }
}
