package descent.bench;

import java.util.SplittableRandom;

/** Seeded feeds shared by both sides of a case, so Descent and TensorFlow see the same numbers. */
public final class Data {
    private Data() {}

    public static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble(-1, 1) + r.nextDouble(-1, 1) + r.nextDouble(-1, 1));
        return x;
    }

    public static float[] uniform(int n, double lo, double hi, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble(lo, hi);
        return x;
    }

    /** 0/1 labels as floats. */
    public static float[] bits(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(2);
        return x;
    }

    public static int[] ints(int n, int bound, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(bound);
        return x;
    }
}
