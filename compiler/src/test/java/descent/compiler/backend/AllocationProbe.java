package descent.compiler.backend;

import descent.runtime.Tensor;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

/** Prints the bytes one warm trainInto step of the MLP example allocates on this thread (run by CompiledAllocationTest). */
public final class AllocationProbe {
    public static void main(String[] args) throws Exception {
        System.out.println(bytesPerStep(Integer.parseInt(args[0]), Integer.parseInt(args[1])));
    }

    static double bytesPerStep(int warm, int steps) throws Exception {
        CompiledSession s = (CompiledSession) new CompiledModel(CompiledAllocationTest.mlp()).newSession(0);
        Map<String, Tensor> feeds = CompiledAllocationTest.feeds(64, 1);
        List<String> fetches = List.of("loss");
        Object[] into = {new float[1]};
        for (int i = 0; i < warm; i++) s.trainInto("step", feeds, fetches, into);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < steps; i++) s.trainInto("step", feeds, fetches, into);
        long after = mx.getThreadAllocatedBytes(tid);
        if (!Float.isFinite(((float[]) into[0])[0])) throw new AssertionError("loss " + ((float[]) into[0])[0]);
        return (after - before) / (double) steps;
    }
}
