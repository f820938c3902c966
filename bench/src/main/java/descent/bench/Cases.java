package descent.bench;

import descent.bench.tf.TfCases;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The suite's cases (issue 6's a–f), each a pair of steps built from the same data: Descent's compiled step
 * and the same graph in TensorFlow Java. Steps are built lazily, one pair at a time, because case d's 16M
 * variants hold hundreds of megabytes.
 */
public final class Cases {
    private Cases() {}

    /** What one call does, for reporting it against a machine limit. */
    public enum Limit { NONE, FMA, COPY_SMALL, COPY_LARGE }

    /**
     * A case: {@code key} names it for JMH's {@code -p key=...} and the runner's {@code --only} (a, b, c, d_adam_16M,
     * e_lazy_adam, f_512, f_64x784x128, ...); {@code id} is issue 6's letter; {@code work} is FLOPs per call (limit FMA) or bytes moved per call (limits COPY_*);
     * {@code minSpeedup} and {@code minOfLimit} are issue 6's targets (0 where it sets none); {@code cores} is
     * how many cores Descent's side may use, which scales the FMA limit.
     */
    public record Case(String key, String id, String title, Supplier<Step> descent, Supplier<Step> tf, Limit limit, double work,
                       double minSpeedup, double minOfLimit, int cores) {}

    public static final int SMALL = 1 << 20, LARGE = 1 << 24;
    public static final int[] MATMUL_SQUARE = {64, 256, 512, 1024};

    /**
     * Every case; {@code tfThreads} is TensorFlow's intra- and inter-op thread count (0: its default),
     * {@code threads} the Descent session's (the single matmul of case f runs on one thread, the generated kernel called
     * directly; with several threads, its 512³ and 1024³ also run as a model's output on a session of them all).
     */
    public static List<Case> all(int tfThreads, int threads) {
        List<Case> cases = new ArrayList<>();
        float[] ax = Data.gaussian(32 * 10, 1), ay = Data.bits(32, 2);
        cases.add(new Case("a", "a", "logistic regression, 10 features, batch 32, GradientDescent",
                () -> DescentSteps.logreg(ax, ay, threads), () -> TfCases.logreg(ax, ay, tfThreads), Limit.NONE, 0, 50, 0, threads));
        cases.add(mlp("b", new int[] {784, 128, 10}, 64, "adam", 3, tfThreads, threads));
        cases.add(mlp("c", new int[] {784, 512, 512, 10}, 128, "momentum", 2, tfThreads, threads));
        for (int n : new int[] {SMALL, LARGE}) {
            for (String opt : Models.optimizerNames()) {
                String size = n == SMALL ? "1M" : "16M";
                cases.add(new Case("d_" + opt + "_" + size, "d", opt + " update, " + size + " parameters, dense gradient",
                        () -> DescentSteps.update(opt, Data.uniform(n, -1, 1, 5), threads), () -> TfCases.update(opt, n, tfThreads),
                        n == SMALL ? Limit.COPY_SMALL : Limit.COPY_LARGE, Models.updateBytes(opt, n), 2, n == LARGE ? 0.8 : 0, threads));
            }
        }
        int[] ids = Data.ints(256 * 8, 100_000, 6);
        float[] ey = Data.uniform(256, -1, 1, 7);
        for (String opt : List.of("adagrad", "lazy_adam")) {
            cases.add(new Case("e_" + opt, "e", "embedding 100k x 64, batch 256 x 8 ids, sparse " + opt,
                    () -> DescentSteps.embedding(100_000, 64, ids, ey, opt, threads), () -> TfCases.embedding(100_000, 64, ids, ey, opt, tfThreads),
                    Limit.NONE, 0, 3, 0, threads));
        }
        for (int s : MATMUL_SQUARE) cases.add(matmul(s, s, s, tfThreads));
        cases.add(matmul(64, 784, 128, tfThreads));
        // The same products as a model's output on a session of all the threads, which TF's side uses too.
        if (threads > 1) {
            for (int s : new int[] {512, 1024}) {
                cases.add(new Case("f_" + s + "_session", "f", "matmul " + s + "^3, a model's output, session of " + threads + " threads",
                        () -> DescentSteps.matmulSession(s, s, s, threads), () -> TfCases.matmul(s, s, s, tfThreads),
                        Limit.FMA, 2.0 * s * s * s, 0, 0, threads));
            }
        }
        return cases;
    }

    /** The case named {@code key}. */
    public static Case byKey(String key, int threads) {
        return all(0, threads).stream().filter(c -> c.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no benchmark case " + key));
    }

    private static Case mlp(String id, int[] sizes, int batch, String opt, double target, int tfThreads, int threads) {
        float[] x = Data.gaussian(batch * sizes[0], 3);
        int[] labels = Data.ints(batch, sizes[sizes.length - 1], 4);
        // Forward and weight-gradient products for every layer; input-gradient products for all but the
        // first (nothing needs the gradient of x). Elementwise work is not counted.
        double flops = 0;
        for (int l = 1; l < sizes.length; l++) flops += 2.0 * batch * sizes[l - 1] * sizes[l] * (l == 1 ? 2 : 3);
        StringBuilder shape = new StringBuilder();
        for (int s : sizes) shape.append(shape.isEmpty() ? "" : "-").append(s);
        return new Case(id, id, "MLP " + shape + ", batch " + batch + ", softmax cross entropy, " + opt,
                () -> DescentSteps.mlp(sizes, batch, x, labels, opt, threads), () -> TfCases.mlp(sizes, batch, x, labels, opt, tfThreads),
                Limit.FMA, flops, target, 0, threads);
    }

    private static Case matmul(int m, int k, int n, int tfThreads) {
        String title = m == k && k == n ? "matmul " + m + "^3" : "matmul " + m + "x" + k + "x" + n;
        String key = m == k && k == n ? "f_" + m : "f_" + m + "x" + k + "x" + n;
        return new Case(key, "f", title, () -> DescentSteps.matmul(m, k, n), () -> TfCases.matmul(m, k, n, tfThreads),
                Limit.FMA, 2.0 * m * k * n, 0, m == 512 && k == 512 ? 0.75 : 0, 1);
    }
}
