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
    /**
     * {@code EXAMPLE STEPS GOAL MAX_MILLIS [CALL]}, CALL one of {@code trainInto} (the default), {@code evaluateInto}
     * (of the output {@code loss}), or {@code facade}: a train call and an output call with an array to fill of the
     * example's typed façade, the class a model jar holds ({@link ModelJar#facade}), each call counted as a step.
     */
    public static void main(String[] args) throws Throwable {
        Result r = bytesPerStep(args[0], Integer.parseInt(args[1]), Double.parseDouble(args[2]), Long.parseLong(args[3]),
                args.length > 4 ? args[4] : "trainInto");
        System.out.println(r.bytesPerStep() + " " + r.stepsBefore());
    }

    record Result(double bytesPerStep, long stepsBefore) {}

    static Result bytesPerStep(String example, int steps, double goal, long maxMillis, String call) throws Throwable {
        descent.compiler.ir.Model m = CompiledAllocationTest.example(example);
        Map<String, Tensor> feeds = CompiledAllocationTest.exampleFeeds(example, 64, 1);
        List<String> fetches = List.of("loss");
        Object[] into = {new float[1]};
        Runnable body = switch (call) {
            case "trainInto" -> {
                CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(0);
                yield () -> s.trainInto("step", feeds, fetches, into);
            }
            case "evaluateInto" -> {
                CompiledSession s = (CompiledSession) new CompiledModel(m).newSession(0);
                yield () -> s.evaluateInto(feeds, fetches, into);
            }
            case "facade" -> facade(m, feeds, (float[]) into[0]);
            default -> throw new IllegalArgumentException("no call " + call);
        };
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + maxMillis * 1_000_000L, done = 0;
        while (true) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < steps; i++) body.run();
            long after = mx.getThreadAllocatedBytes(tid);
            if (!Float.isFinite(((float[]) into[0])[0])) throw new AssertionError("loss " + ((float[]) into[0])[0]);
            double perStep = (after - before) / (double) steps;
            if (perStep <= goal || System.nanoTime() > deadline) return new Result(perStep, done);
            done += steps;
        }
    }

    /**
     * The façade class of {@code m} (defined from {@link ModelJar#facade}'s bytes, with its model file beside it),
     * called as an application calls it: {@code step(session, x, y)} then {@code loss(session, x, y, into)}, through
     * exact method handles (which allocate nothing themselves).
     */
    private static Runnable facade(descent.compiler.ir.Model m, Map<String, Tensor> feeds, float[] into) throws Throwable {
        descent.runtime.api.DescentModel model = Facades.define(m);
        Class<?> c = model.getClass();
        descent.runtime.api.TrainingSession s = model.newSession(0);
        var lookup = java.lang.invoke.MethodHandles.publicLookup();
        var t = java.lang.invoke.MethodType.methodType(float.class, descent.runtime.api.TrainingSession.class, float[].class, feeds.get("labels") != null ? int[].class : float[].class);
        java.lang.invoke.MethodHandle step = lookup.findVirtual(c, "step", t).bindTo(model);
        var u = java.lang.invoke.MethodType.methodType(void.class, descent.runtime.api.TrainingSession.class, float[].class, t.parameterType(2), float[].class);
        java.lang.invoke.MethodHandle loss = lookup.findVirtual(c, "loss", u).bindTo(model);
        Object x = feeds.get("x").data(), y = (feeds.get("labels") != null ? feeds.get("labels") : feeds.get("y")).data();
        return () -> {
            try {
                if (y instanceof int[] labels) {
                    float f = (float) step.invokeExact(s, (float[]) x, labels);
                    loss.invokeExact(s, (float[]) x, labels, into);
                } else {
                    float f = (float) step.invokeExact(s, (float[]) x, (float[]) y);
                    loss.invokeExact(s, (float[]) x, (float[]) y, into);
                }
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
