package descent.compiler.emit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GFLOP/s of generated kernels against plain Java loops and one core's FMA peak — a measurement, not
 * a test. The machine is shared and noisy, so variants are interleaved round by round in one process,
 * each slice is paired with an adjacent slice of the FMA peak, and medians and bests over rounds are
 * reported. Each variant is first warmed up for ≥ 2 s of calls.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... descent.compiler.emit.MatmulBench [m k n [seconds/round [rounds [extra]]]]
 * </pre>
 * With {@code extra}, also times the other transposes, runtime M, the scalar kernel, packed B and a 6×4 tile.
 */
public final class MatmulBench {
    interface Body { void run(); }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : m;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : m;
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 1.0;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        boolean extra = args.length > 5 && Boolean.parseBoolean(args[5]);

        SplittableRandom rnd = new SplittableRandom(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextDouble(-1, 1);
        double flops = 2.0 * m * k * n;

        Map<String, Body> variants = new LinkedHashMap<>();
        addKernel(variants, "vector nn (default)", MatmulEmitter.emitVector(MatmulShape.of(m, k, n, false, false)), a, b, c, m);
        if (extra) {
            addKernel(variants, "vector nn (8x2, B always packed)",
                    MatmulEmitter.emitVector(MatmulShape.of(m, k, n, false, false), new MatmulTuning(8, 2, MatmulTuning.ALWAYS)), a, b, c, m);
            addKernel(variants, "vector nn (6x4)",
                    MatmulEmitter.emitVector(MatmulShape.of(m, k, n, false, false), new MatmulTuning(6, 4, MatmulTuning.forShape(MatmulShape.of(m, k, n, false, false)).packFromRows())), a, b, c, m);
            addKernel(variants, "vector nt", MatmulEmitter.emitVector(MatmulShape.of(m, k, n, false, true)), a, b, c, m);
            addKernel(variants, "vector tn", MatmulEmitter.emitVector(MatmulShape.of(m, k, n, true, false)), a, b, c, m);
            addKernel(variants, "vector tt", MatmulEmitter.emitVector(MatmulShape.of(m, k, n, true, true)), a, b, c, m);
            addKernel(variants, "vector nn runtime M", MatmulEmitter.emitVector(MatmulShape.runtimeM(k, n, false, false)), a, b, c, m);
            addKernel(variants, "scalar nn (emitted, Math.fma)", MatmulEmitter.emitScalar(MatmulShape.of(m, k, n, false, false)), a, b, c, m);
        }
        // One core's FMA ceiling, measured in the same process: 12 independent FMA chains on registers.
        float[] seed = new float[64];
        int peakIters = 20_000;
        double peakFlops = 2.0 * 12 * MatmulEmitter.preferredVectorLength() * peakIters;
        variants.put(PEAK, () -> FmaPeak.run(peakIters, seed));
        variants.put("java i-j-k triple loop", () -> naiveIjk(a, b, c, m, k, n));
        variants.put("java i-k-j loop (C2-vectorised)", () -> naiveIkj(a, b, c, m, k, n));

        System.out.printf("%dx%dx%d, %s, vector length %d, %.1f s/round, %d rounds%n", m, k, n,
                Runtime.version(), MatmulEmitter.preferredVectorLength(), seconds, rounds);
        for (var e : variants.entrySet()) time(e.getValue(), 2.0); // warm-up: ≥ 2 s of calls each
        // Each timed slice of a variant is paired with a slice of the FMA peak right before it, so a
        // neighbour stealing the core for a while lowers both and the per-slice ratio stays meaningful.
        Body peakBody = variants.remove(PEAK);
        Map<String, List<Double>> rates = new LinkedHashMap<>(), ratios = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++)
            for (var e : variants.entrySet()) {
                double peak = peakFlops / time(peakBody, Math.min(0.2, seconds / 2)) / 1e9;
                double rate = flops / time(e.getValue(), seconds) / 1e9;
                rates.computeIfAbsent(PEAK, x -> new ArrayList<>()).add(peak);
                rates.computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(rate);
                ratios.computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(rate / peak);
            }
        for (var e : rates.entrySet()) {
            List<Double> ratio = ratios.get(e.getKey());
            System.out.printf("%-34s GFLOP/s median %6.1f best %6.1f   %s%n", e.getKey(), median(e.getValue()), max(e.getValue()),
                    ratio == null ? "" : String.format("vs adjacent peak: median %5.1f%% best %5.1f%%", 100 * median(ratio), 100 * max(ratio)));
        }
    }

    private static final String PEAK = "FMA peak (12 register chains)";

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static double median(List<Double> xs) {
        double[] v = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[v.length / 2];
    }

    private static void addKernel(Map<String, Body> variants, String name, EmittedMatmul mm, float[] a, float[] b, float[] c, int m) {
        float[] scratch = mm.newScratch();
        MatmulKernel kernel = mm.kernel();
        variants.put(name, () -> kernel.run(a, 0, b, 0, c, 0, m, scratch));
    }

    /** Seconds per call, calling for about {@code seconds}. */
    private static double time(Body body, double seconds) {
        long budget = (long) (seconds * 1e9), start = System.nanoTime(), calls = 0, now;
        do { body.run(); calls++; } while ((now = System.nanoTime()) - start < budget);
        return (now - start) / 1e9 / calls;
    }

    static void naiveIjk(float[] a, float[] b, float[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int kk = 0; kk < k; kk++) acc += a[i * k + kk] * b[kk * n + j];
                c[i * n + j] = acc;
            }
    }

    static void naiveIkj(float[] a, float[] b, float[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            Arrays.fill(c, i * n, i * n + n, 0f);
            for (int kk = 0; kk < k; kk++) {
                float aik = a[i * k + kk];
                for (int j = 0; j < n; j++) c[i * n + j] += aik * b[kk * n + j];
            }
        }
    }
}
