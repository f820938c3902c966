package descent.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's limits every result is reported against: one core's FMA rate (register-only chains, no
 * memory traffic) and copy bandwidth (a large array copy, counted as bytes read plus bytes written); and
 * what it costs a core to work on data another core wrote last ({@link #handoff}), which decides when a
 * step's kernels are worth splitting over threads.
 */
public final class Limits {
    private Limits() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floating-point operations of one {@link #fma} call of {@code iters} iterations. */
    public static double fmaFlops(int iters) { return 2.0 * 12 * S.length() * iters; }

    /**
     * 12 independent FMA chains (more than FMA latency × FMA pipes on current x86 cores), so the loop is
     * bound by the FMA units' throughput alone. Returns a value so the JIT cannot drop the chains.
     */
    public static float fma(int iters, float seed) {
        FloatVector x = FloatVector.broadcast(S, seed), y = x.mul(0.5f);
        FloatVector a0 = x, a1 = x.add(1), a2 = x.add(2), a3 = x.add(3), a4 = x.add(4), a5 = x.add(5);
        FloatVector a6 = x.add(6), a7 = x.add(7), a8 = x.add(8), a9 = x.add(9), a10 = x.add(10), a11 = x.add(11);
        for (int i = 0; i < iters; i++) {
            a0 = a0.fma(y, x); a1 = a1.fma(y, x); a2 = a2.fma(y, x); a3 = a3.fma(y, x);
            a4 = a4.fma(y, x); a5 = a5.fma(y, x); a6 = a6.fma(y, x); a7 = a7.fma(y, x);
            a8 = a8.fma(y, x); a9 = a9.fma(y, x); a10 = a10.fma(y, x); a11 = a11.fma(y, x);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Bytes one {@link #copy} of {@code n} floats moves (read + write). */
    public static long copyBytes(int n) { return 8L * n; }

    public static void copy(float[] from, float[] to) { System.arraycopy(from, 0, to, 0, from.length); }

    /** Bytes one {@link #handoff} pass over {@code n} floats moves (read + write). */
    public static long passBytes(int n) { return 8L * n; }

    /**
     * {@code a[i] += 1} over {@code n} floats, timed two ways for about {@code seconds} each: every pass on the
     * calling thread (the array stays in its core's cache), and passes alternating between the caller and a
     * second thread (each pass finds the array modified in the other core's cache, as a kernel does that
     * reads what a part run on another thread wrote). Returns {same thread, alternating} in GB/s, read + write.
     */
    public static double[] handoff(int n, double seconds) {
        float[] a = new float[n];
        long bytes = passBytes(n);
        Timing.nsPerCall(() -> pass(a), seconds);
        double same = bytes / Timing.nsPerCall(() -> pass(a), seconds);
        Handoff h = new Handoff(a);
        Thread other = new Thread(h, "limits-handoff");
        other.setDaemon(true);
        other.start();
        try {
            // Each call is two passes, one per thread.
            Timing.nsPerCall(h::round, seconds);
            double alternating = 2 * bytes / Timing.nsPerCall(h::round, seconds);
            return new double[] {same, alternating};
        } finally {
            h.stop = true;
            h.turn = 1;
        }
    }

    private static void pass(float[] a) { for (int i = 0; i < a.length; i++) a[i] += 1f; }

    private static final class Handoff implements Runnable {
        private final float[] a;
        volatile int turn;
        volatile boolean stop;

        Handoff(float[] a) { this.a = a; }

        void round() {
            pass(a);
            turn = 1;
            while (turn != 0) Thread.onSpinWait();
        }

        @Override public void run() {
            while (true) {
                while (turn != 1) Thread.onSpinWait();
                if (stop) return;
                pass(a);
                turn = 0;
            }
        }
    }
}
