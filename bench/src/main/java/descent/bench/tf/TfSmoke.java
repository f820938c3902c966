package descent.bench.tf;

import descent.bench.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Builds every {@link TfCases} factory on small data and runs it a few times: the loss (where there is one) must
 * be finite, and for the training cases (a, b, e) fall from step to step (with TF's default threads, or the first
 * timed setting). With
 * {@code time [threads...]}: also times cases a and b (-Dwarm=50 warm-up runs, then -Druns=200) for each thread
 * setting (default 0 and 1; more than one needs TF_OVERRIDE_GLOBAL_THREADPOOL=true, see {@link TfCases}). Prints
 * one line per case; exits 1 on a failure. Run with {@code --enable-native-access=ALL-UNNAMED} and
 * TF_CPP_MIN_LOG_LEVEL=2.
 */
public final class TfSmoke {
    private TfSmoke() {}

    private static final List<String> failures = new ArrayList<>();
    private static final int WARM = Integer.getInteger("warm", 50), RUNS = Integer.getInteger("runs", 200);

    public static void main(String[] args) {
        boolean time = args.length > 0 && args[0].equals("time");
        int[] settings = time && args.length > 1
                ? java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {0, 1};
        int t = time ? settings[0] : 0; // the smoke checks' threads: the first timed setting
        System.out.println("TensorFlow " + TfCases.version());
        Random r = new Random(1);
        float[] ax = gaussian(r, 32 * 10);
        float[] ay = bits(r, 32);
        check("a logreg", 5, true, () -> TfCases.logreg(ax, ay, t));
        float[] bx = gaussian(r, 64 * 784);
        int[] bl = ints(r, 64, 10);
        check("b mlp 784-128-10 adam", 5, true, () -> TfCases.mlp(new int[] {784, 128, 10}, 64, bx, bl, "adam", t));
        float[] cx = gaussian(r, 16 * 20);
        int[] cl = ints(r, 16, 3);
        check("c mlp 20-16-16-3 momentum", 5, true,
                () -> TfCases.mlp(new int[] {20, 16, 16, 3}, 16, cx, cl, "momentum", t));
        for (String opt : TfCases.OPTIMIZERS) check("d update " + opt + " 1000", 3, false, () -> TfCases.update(opt, 1000, t));
        int[] ids = ints(r, 64 * 8, 50); // 512 ids over 50 rows: many duplicates
        float[] ey = uniform(r, 64);
        for (String opt : List.of("adagrad", "lazy_adam")) {
            check("e embedding 1000x16 " + opt, 5, true, () -> TfCases.embedding(1000, 16, ids, ey, opt, t));
        }
        check("f matmul 64x48x32", 3, false, () -> TfCases.matmul(64, 48, 32, t));
        if (time) {
            for (int threads : settings) {
                time("a logreg 32x10 gd, threads " + threads, () -> TfCases.logreg(ax, ay, threads));
                time("b mlp 784-128-10 b64 adam, threads " + threads,
                        () -> TfCases.mlp(new int[] {784, 128, 10}, 64, bx, bl, "adam", threads));
            }
        }
        if (!failures.isEmpty()) {
            System.out.println("FAILED: " + failures);
            System.exit(1);
        }
        System.out.println("all TF cases OK");
    }

    private static void check(String name, int runs, boolean decreasing, Supplier<Step> make) {
        long t0 = System.nanoTime();
        try (Step s = make.get()) {
            long built = System.nanoTime();
            StringBuilder losses = new StringBuilder();
            float prev = Float.NaN;
            String problem = null;
            for (int i = 0; i < runs; i++) {
                s.run();
                float l = s.loss();
                if (decreasing && !Float.isFinite(l)) problem = "non-finite loss " + l;
                if (decreasing && i > 0 && !(l < prev)) problem = "loss did not fall: " + prev + " -> " + l;
                if (!decreasing && !Float.isNaN(l)) problem = "unexpected loss " + l;
                if (decreasing) losses.append(losses.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.6f", l));
                prev = l;
            }
            long ran = System.nanoTime();
            System.out.printf(Locale.ROOT, "%-40s build %6.1f ms, %d runs %8.1f us/run%s%s%n", name, (built - t0) / 1e6, runs,
                    (ran - built) / 1e3 / runs, losses.isEmpty() ? "" : ", loss " + losses, problem == null ? "" : "  FAIL: " + problem);
            if (problem != null) failures.add(name);
        } catch (RuntimeException e) {
            System.out.println(name + "  FAIL: " + e);
            e.printStackTrace();
            failures.add(name);
        }
    }

    private static void time(String name, Supplier<Step> make) {
        try (Step s = make.get()) {
            for (int i = 0; i < WARM; i++) s.run();
            int n = RUNS;
            long[] each = new long[n];
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long a = System.nanoTime();
                s.run();
                each[i] = System.nanoTime() - a;
            }
            long total = System.nanoTime() - t0;
            java.util.Arrays.sort(each);
            System.out.printf(Locale.ROOT, "%-40s mean %7.1f us/step, median %7.1f, min %7.1f, loss %.5f%n", name,
                    total / 1e3 / n, each[n / 2] / 1e3, each[0] / 1e3, s.loss());
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static float[] uniform(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    private static float[] bits(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(2);
        return x;
    }

    private static int[] ints(Random r, int n, int bound) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(bound);
        return x;
    }
}
