package descent.bench;

/**
 * {@code scripts/bench.sh profile CASE [--threads T] [--seconds S]}: where one case's Descent train step spends its
 * time, kernel by kernel (the JVM runs with {@code -Ddescent.profile=true}; see the backend's {@code StepProfile}).
 * Warms up for S seconds (default 5), then times S more and prints µs per step for each kernel of the lowered
 * plan (the numbers {@code descent compile --emit kernels} shows).
 */
public final class Profile {
    private Profile() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: scripts/bench.sh profile CASE [--threads T] [--seconds S]   (CASE: a, b, c, e_adagrad, d_adam_1M, ...)");
            System.exit(2);
        }
        int threads = Runtime.getRuntime().availableProcessors();
        double seconds = 5;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Cases.Case c = Cases.byKey(args[0], threads);
        try (Step step = c.descent().get()) {
            long warm = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < warm) step.run();
            step.resetProfile();
            long n = 0, start = System.nanoTime(), end = start + (long) (seconds * 1e9), now;
            do { step.run(); n++; } while ((now = System.nanoTime()) < end);
            System.out.printf("%s (%s), %d thread(s): %.1f µs per step over %d steps, kernels timed one by one:%n",
                    c.key(), c.title(), threads, (now - start) / 1e3 / n, n);
            String p = step.profile();
            System.out.print(p.isEmpty() ? "(no kernel profile: not a Descent train step)\n" : p);
        }
    }
}
