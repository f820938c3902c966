package descent.bench;

import java.util.Arrays;

/** Time-boxed call loops and order statistics; the runner's only clock. */
public final class Timing {
    private Timing() {}

    /**
     * Warms {@code body} up: calls it for {@code seconds}, and on until it has run {@code calls} times or for
     * {@code maxSeconds}, whichever comes first. A kernel called once per step is compiled by C2 only after
     * thousands of calls (HotSpot's tier-4 thresholds: ~5,000 invocations with their loops' back-edges), so a step
     * of milliseconds is not at its steady state after a few seconds.
     */
    public static void warm(Runnable body, double seconds, long calls, double maxSeconds) {
        long start = System.nanoTime(), min = (long) (seconds * 1e9), max = (long) (maxSeconds * 1e9), n = 0, now;
        do { body.run(); n++; } while ((now = System.nanoTime()) - start < min || (n < calls && now - start < max));
    }

    /** Nanoseconds per call, calling {@code body} for about {@code seconds} (at least once). */
    public static double nsPerCall(Runnable body, double seconds) {
        long budget = (long) (seconds * 1e9), start = System.nanoTime(), calls = 0, now;
        do { body.run(); calls++; } while ((now = System.nanoTime()) - start < budget);
        return (double) (now - start) / calls;
    }

    public static double median(double[] xs) {
        double[] v = xs.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    public static double min(double[] xs) { return Arrays.stream(xs).min().orElse(Double.NaN); }

    public static double max(double[] xs) { return Arrays.stream(xs).max().orElse(Double.NaN); }
}
