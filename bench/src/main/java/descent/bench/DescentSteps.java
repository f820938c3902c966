package descent.bench;

import descent.compiler.Compiler;
import descent.compiler.backend.CompiledModel;
import descent.runtime.api.TrainingSession;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.MatmulShape;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;

/** Descent's side of each case: a compiled session's train step, or a generated kernel called directly. */
public final class DescentSteps {
    private DescentSteps() {}

    /**
     * One train step of {@code source}'s block {@code step} through the allocation-free path
     * ({@link TrainingSession#trainInto}) of a session with {@code threads} threads, fetching {@code loss} when
     * the model outputs one.
     */
    public static Step train(String source, Map<String, Tensor> feeds, int threads) {
        var model = Compiler.check("bench.descent", source);
        TrainingSession session = new CompiledModel(model).newSession(1, threads);
        boolean hasLoss = model.outputs().containsKey("loss");
        List<String> fetches = hasLoss ? List.of("loss") : List.of();
        Object[] into = hasLoss ? new Object[] {new float[1]} : new Object[0];
        return new Step() {
            @Override public void run() { session.trainInto("step", feeds, fetches, into); }
            @Override public float loss() { return hasLoss ? ((float[]) into[0])[0] : Float.NaN; }
            @Override public String profile() { return CompiledModel.profile(session); }
            @Override public void resetProfile() { CompiledModel.resetProfile(session); }
            @Override public void close() {}
        };
    }

    /** Case a: x is 32×10, y is 32 zeros and ones. */
    public static Step logreg(float[] x, float[] y, int threads) {
        return train(Models.LOGREG, Map.of("x", Tensor.of(x, y.length, 10), "y", Tensor.of(y, y.length, 1)), threads);
    }

    /** Cases b and c: {@code optimizer} is "adam" (lr 0.001) or "momentum" (lr 0.01, momentum 0.9). */
    public static Step mlp(int[] sizes, int batch, float[] x, int[] labels, String optimizer, int threads) {
        String opt = switch (optimizer) {
            case "adam" -> "AdamOptimizer(0.001)";
            case "momentum" -> "MomentumOptimizer(0.01, momentum=0.9)";
            default -> throw new IllegalArgumentException(optimizer);
        };
        return train(Models.mlp(sizes, opt), Map.of("x", Tensor.of(x, batch, sizes[0]), "labels", Tensor.of(labels, batch)), threads);
    }

    /** Case d: {@code optimizer} is one of {@link Models#OPTIMIZERS}; the gradient is fed, resident. */
    public static Step update(String optimizer, float[] gradient, int threads) {
        return train(Models.update(optimizer, gradient.length), Map.of("g", Tensor.of(gradient, gradient.length)), threads);
    }

    /** Case e: ids is batch × idsPerRow. */
    public static Step embedding(int rows, int dim, int[] ids, float[] y, String optimizer, int threads) {
        int idsPerRow = ids.length / y.length;
        return train(Models.embedding(rows, dim, idsPerRow, optimizer),
                Map.of("ids", Tensor.of(ids, y.length, idsPerRow), "y", Tensor.of(y, y.length)), threads);
    }

    /**
     * C = A·B of two variables as a model's output, evaluated by a session of {@code threads} threads through
     * {@link TrainingSession#evaluateInto} without copying C out (as TF's side runs the product without fetching it):
     * the product as a model runs it, split over the session's threads.
     */
    public static Step matmulSession(int m, int k, int n, int threads) {
        String source = "model mm\n"
                + "var a: f32[" + m + ", " + k + "] = random_uniform(minval=-1, maxval=1, seed=1)\n"
                + "var b: f32[" + k + ", " + n + "] = random_uniform(minval=-1, maxval=1, seed=2)\n"
                + "c = a @ b\n"
                + "output c\n";
        TrainingSession session = new CompiledModel(Compiler.check("bench.descent", source)).newSession(1, threads);
        Map<String, Tensor> none = Map.of();
        List<String> fetches = List.of("c");
        Object[] into = {null};
        return new Step() {
            @Override public void run() { session.evaluateInto(none, fetches, into); }
            @Override public void close() { session.close(); }
        };
    }

    /** C = A·B by the generated kernel the backend emits for this shape (Vector API loops where available). */
    public static Step matmul(int m, int k, int n) {
        EmittedMatmul mm = MatmulEmitter.emit(MatmulShape.of(m, k, n, false, false));
        MatmulKernel kernel = mm.kernel();
        float[] a = Data.uniform(m * k, -1, 1, 8), b = Data.uniform(k * n, -1, 1, 9), c = new float[m * n];
        float[] scratch = mm.newScratch();
        return new Step() {
            @Override public void run() { kernel.run(a, 0, b, 0, c, 0, m, scratch); }
            @Override public void close() {}
        };
    }
}
