package descent.cli.data;

/**
 * Seeded row orders for {@code descent train}, identical on every JVM and platform.
 *
 * <p>Each order is a Fisher–Yates shuffle (from the last position down, position {@code i} swapped with a
 * draw {@code j} in {@code [0, i]} taken as the high 64 bits of {@code next() * (i + 1)}) driven by a
 * SplitMix64 generator. The generator's starting state is a pure function of the run's seed and what the
 * order is for: {@link #splitSeed} for the one train/validation split, {@link #epochSeed} for epoch
 * {@code e}'s order of the training rows. So the whole RNG state of a run at any point is (seed, epoch):
 * a checkpoint that records them resumes the exact same sequence.
 */
public final class Shuffle {
    private Shuffle() {}

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's output function. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static long splitSeed(long seed) { return mix(mix(seed + GOLDEN) ^ 0x53504C4954L); } // "SPLIT"

    public static long epochSeed(long seed, long epoch) { return mix(mix(seed + GOLDEN) + (epoch + 1) * GOLDEN); }

    /** {@code items} shuffled in place by the generator starting at {@code state}; returns it. */
    public static int[] shuffle(int[] items, long state) {
        for (int i = items.length - 1; i > 0; i--) {
            state += GOLDEN;
            long r = mix(state);
            int j = (int) Math.unsignedMultiplyHigh(r, i + 1L);
            int t = items[i];
            items[i] = items[j];
            items[j] = t;
        }
        return items;
    }

    public static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}
