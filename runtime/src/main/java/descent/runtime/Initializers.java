package descent.runtime;

import java.nio.charset.StandardCharsets;

/**
 * Materializes {@link Initializer}s. The random stream is SplitMix64 (a fixed, documented generator, not
 * TensorFlow's Philox: Descent promises reproducibility across its own runs and backends, not TF's values).
 * A variable without its own seed draws from {@code mix(globalSeed, fnv1a(name))}.
 */
public final class Initializers {
    private Initializers() {}

    public static Tensor materialize(Initializer init, DType dtype, int[] shape, long globalSeed, String name) {
        int n = Math.toIntExact(Tensor.elementCount(shape));
        double[] v = new double[n];
        switch (init) {
            case Initializer.Zeros z -> { }
            case Initializer.Ones o -> java.util.Arrays.fill(v, 1.0);
            case Initializer.Constant c -> {
                if (c.values() == null) java.util.Arrays.fill(v, c.value());
                else if (c.values().length == n) System.arraycopy(c.values(), 0, v, 0, n);
                else if (c.values().length == 1) java.util.Arrays.fill(v, c.values()[0]);
                else throw new DescentException("constant initializer of `" + name + "` has " + c.values().length
                            + " values for " + n + " elements");
            }
            case Initializer.RandomUniform u -> {
                Rng r = rng(u.seed(), globalSeed, name);
                for (int i = 0; i < n; i++) v[i] = u.minval() + (u.maxval() - u.minval()) * r.uniform();
            }
            case Initializer.RandomNormal g -> {
                Rng r = rng(g.seed(), globalSeed, name);
                for (int i = 0; i < n; i++) v[i] = g.mean() + g.stddev() * r.normal();
            }
            case Initializer.TruncatedNormal t -> {
                Rng r = rng(t.seed(), globalSeed, name);
                for (int i = 0; i < n; i++) v[i] = t.mean() + t.stddev() * r.truncatedNormal();
            }
            case Initializer.VarianceScaling vs -> {
                Rng r = rng(vs.seed(), globalSeed, name);
                double[] fans = fans(shape);
                double fan = switch (vs.mode()) {
                    case "fan_in" -> fans[0];
                    case "fan_out" -> fans[1];
                    default -> (fans[0] + fans[1]) / 2.0;
                };
                double scale = vs.scale() / Math.max(1.0, fan);
                switch (vs.distribution()) {
                    case "uniform" -> {
                        double limit = Math.sqrt(3.0 * scale);
                        for (int i = 0; i < n; i++) v[i] = -limit + 2 * limit * r.uniform();
                    }
                    case "untruncated_normal" -> {
                        double std = Math.sqrt(scale);
                        for (int i = 0; i < n; i++) v[i] = std * r.normal();
                    }
                    default -> {
                        // "truncated_normal", and "normal" (TF 1's deprecated alias of it). TF divides by the
                        // stddev of a standard normal truncated to [-2, 2].
                        double std = Math.sqrt(scale) / 0.87962566103423978;
                        for (int i = 0; i < n; i++) v[i] = std * r.truncatedNormal();
                    }
                }
            }
        }
        return Tensor.fromDoubles(dtype, shape, v);
    }

    /**
     * {@code n} standard normal draws for train step {@code step} of a stream fixed by {@code seed}:
     * the noise ops of gradient processing, identical on every backend.
     */
    public static double[] normals(long seed, long step, int n) {
        Rng r = new Rng(seed * 0x9E3779B97F4A7C15L ^ (step + 1) * 0xD1B54A32D192ED03L);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = r.normal();
        return out;
    }

    /**
     * {@code mean + stddev · z} for the first {@code n} elements of {@code dst} (a float[] or double[]), z the draws
     * {@link #normals} gives: what a compiled step fills its noise with, without allocating the draws.
     */
    public static void normalsInto(long seed, long step, Object dst, int n, double mean, double stddev) {
        Rng r = new Rng(seed * 0x9E3779B97F4A7C15L ^ (step + 1) * 0xD1B54A32D192ED03L);
        if (dst instanceof double[] o) {
            for (int i = 0; i < n; i++) o[i] = mean + stddev * r.normal();
        } else {
            float[] o = (float[]) dst;
            for (int i = 0; i < n; i++) o[i] = (float) (mean + stddev * r.normal());
        }
    }

    /** TF's _compute_fans: (fan_in, fan_out) with the receptive field for rank > 2. */
    static double[] fans(int[] shape) {
        if (shape.length == 0) return new double[] {1, 1};
        if (shape.length == 1) return new double[] {shape[0], shape[0]};
        if (shape.length == 2) return new double[] {shape[0], shape[1]};
        double receptive = 1;
        for (int i = 0; i < shape.length - 2; i++) receptive *= shape[i];
        return new double[] {shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive};
    }

    private static Rng rng(Long seed, long globalSeed, String name) {
        long s = seed != null ? seed : globalSeed * 0x9E3779B97F4A7C15L ^ fnv1a(name);
        return new Rng(s);
    }

    static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 with uniform, Box–Muller normal and truncated-normal draws. */
    static final class Rng {
        private long state;

        Rng(long seed) { this.state = seed; }

        long next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** Uniform in [0, 1) with 53 random bits. */
        double uniform() { return (next() >>> 11) * 0x1.0p-53; }

        double normal() {
            double u1 = 1.0 - uniform(); // (0, 1]
            double u2 = uniform();
            return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }

        double truncatedNormal() {
            while (true) {
                double x = normal();
                if (Math.abs(x) <= 2.0) return x;
            }
        }
    }
}
