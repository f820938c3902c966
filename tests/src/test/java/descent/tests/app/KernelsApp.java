package descent.tests.app;

import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.TensorSpec;
import descent.runtime.api.TrainSpec;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An application with only the runtime on its class path: loads a model jar, runs every train step (fetching
 * `loss` when the model outputs it, then fetching nothing) and every output on sessions of one and two threads (or the counts its second
 * argument lists) at batches 5, 37 and 0,
 * then prints the bits of a loss after three steps ({@code loss HEX}); how many executables the jar's compiler built
 * from the jar's data and how many it lowered, and the same for step classes and kernels (defined from the jar or
 * generated), the last line {@code carried N generated M}. Run by ModelJarTest in its own JVM.
 */
public final class KernelsApp {
    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        try (LoadedJar loaded = LoadedJar.open(jar)) {
            DescentModel model = loaded.model();
            var sig = model.signature();
            boolean outputsLoss = sig.outputs().stream().anyMatch(o -> o.name().equals("loss"));
            // The bits of a loss after three steps, which the test compares with the model compiled in process.
            // Two threads must give one thread's bits (the step class and its forks come from the jar too); a
            // difference shows on this line.
            if (outputsLoss) {
                String one = lossBits(model, 1), two = lossBits(model, 2);
                System.out.println("loss " + one + (one.equals(two) ? "" : " (on two threads " + two + ")"));
            }
            int[] threadCounts = args.length > 1 ? java.util.Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 2};
            for (int threads : threadCounts) {
                TrainingSession s = model.newSession(0, threads);
                for (int batch : new int[] {5, 37, 0}) {
                    Map<String, Tensor> feeds = feeds(sig, batch);
                    for (TrainSpec t : sig.trains()) {
                        if (outputsLoss) s.train(t.name(), feeds, List.of("loss"));
                        s.train(t.name(), feeds, List.of());
                    }
                    for (TensorSpec out : sig.outputs()) s.evaluate(feeds, List.of(out.name()));
                }
            }
            // The compiler's classes come from the jar's loader, so only reflection reaches its counters.
            Class<?> jarModel = loaded.loader().loadClass("descent.compiler.backend.JarModel");
            long[] executables = (long[]) jarModel.getMethod("executableCounts").invoke(null);
            System.out.println("executables carried " + executables[0] + " lowered " + executables[1]);
            long[] steps = (long[]) jarModel.getMethod("stepClassCounts").invoke(null);
            System.out.println("step classes carried " + steps[0] + " generated " + steps[1]);
            long[] counts = (long[]) jarModel.getMethod("kernelCounts").invoke(null);
            System.out.println("carried " + counts[0] + " generated " + counts[1]);
        }
    }

    /** The bits of the loss after three steps of the first train block on a new session of {@code threads}, in hex. */
    private static String lossBits(DescentModel model, int threads) {
        TrainingSession s = model.newSession(0, threads);
        Map<String, Tensor> feeds = feeds(model.signature(), 5);
        String first = model.signature().trains().get(0).name();
        float loss = Float.NaN;
        for (int i = 0; i < 3; i++) loss = s.train(first, feeds, List.of("loss")).get("loss").floats()[0];
        return Integer.toHexString(Float.floatToRawIntBits(loss));
    }

    /**
     * Every input with its symbolic dimensions at {@code batch}: floats {@code (i % 7) / 7 - 0.4}, integers
     * {@code i % 2} (a valid class or row id in every example).
     */
    public static Map<String, Tensor> feeds(descent.runtime.api.ModelSignature sig, int batch) {
        Map<String, Tensor> feeds = new HashMap<>();
        for (TensorSpec in : sig.inputs()) {
            int[] shape = in.dims().stream().mapToInt(d -> d.chars().allMatch(Character::isDigit) ? Integer.parseInt(d) : batch).toArray();
            double[] values = new double[(int) Tensor.elementCount(shape)];
            boolean integral = in.dtype() == descent.runtime.DType.I32 || in.dtype() == descent.runtime.DType.I64;
            for (int i = 0; i < values.length; i++) values[i] = integral ? i % 2 : (i % 7) / 7.0 - 0.4;
            feeds.put(in.name(), Tensor.fromDoubles(in.dtype(), shape, values));
        }
        return feeds;
    }
}
