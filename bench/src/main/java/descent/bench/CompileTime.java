package descent.bench;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.compiler.ir.Dim;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Case g, in process: a model file to its first finished train step on the compiled backend (parse, check,
 * differentiate, schedule, lower, generate and load every kernel class, run once on zero feeds at batch 8).
 * Run as a main, it does this once in a fresh JVM and prints the milliseconds: the cold cost a user pays.
 */
public final class CompileTime {
    private CompileTime() {}

    /** Milliseconds from reading {@code file} to the end of the first step of each of its train blocks. */
    public static double toFirstStep(Path file) {
        long t0 = System.nanoTime();
        Model model = Compiler.check(file);
        TrainingSession session = new CompiledModel(model).newSession(1);
        Map<String, Tensor> feeds = zeroFeeds(model, 8);
        for (var t : model.trains()) session.train(t.name(), feeds, List.of());
        return (System.nanoTime() - t0) / 1e6;
    }

    static Map<String, Tensor> zeroFeeds(Model model, int batch) {
        Map<String, Tensor> feeds = new HashMap<>();
        for (var in : model.inputs()) {
            List<Dim> dims = in.type().shape().dims();
            int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = dims.get(i).isSymbolic() ? batch : Math.toIntExact(dims.get(i).size());
            feeds.put(in.name(), Tensor.zeros(in.type().dtype(), shape));
        }
        return feeds;
    }

    public static void main(String[] args) {
        System.out.printf("%.1f%n", toFirstStep(Path.of(args[0])));
    }
}
