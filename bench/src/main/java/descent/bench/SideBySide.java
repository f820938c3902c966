package descent.bench;

import descent.bench.Cases.Case;
import descent.bench.Cases.Limit;
import descent.bench.tf.TfCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times every case of {@link Cases} in Descent and in TensorFlow Java alternately in one JVM (round by round,
 * the order flipping each round, so a noisy neighbour slows both sides alike), measures the machine's limits
 * in the same run, times cold compilation (case g) in child JVMs, and prints a Markdown table: medians,
 * spread over rounds, the ratio, the fraction of the machine limit, and the target.
 *
 * <pre>
 * scripts/bench.sh side-by-side [--only a,b,d_adam_16M,f] [--rounds R] [--round-seconds S] [--warm-seconds W]
 *                               [--threads T] [--tf-threads T] [--out FILE] [--smoke]
 * </pre>
 */
public final class SideBySide {
    record Options(double warm, int rounds, double roundSeconds, List<String> only, int tfThreads, int threads, Path out,
                   boolean smoke) {}

    /** One measured case: ns per call per round for each side. */
    record Measured(Case c, double[] descent, double[] tf) {
        double d() { return Timing.median(descent); }
        double t() { return Timing.median(tf); }
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        Locale.setDefault(Locale.ROOT);
        List<String> out = new ArrayList<>();
        out.add("Machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores; JDK "
                + Runtime.version() + "; TensorFlow " + TfCases.version() + " (TensorFlow Java 1.1.0, graph mode, "
                + (o.tfThreads == 0 ? "its default thread pools" : o.tfThreads + " thread(s)") + "); Descent sessions with " + o.threads
                + " thread(s) (the single matmuls of case f: one), "
                + "vector length " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() + " floats; " + LocalDate.now() + ".");
        out.add("Each case: " + o.warm + " s warm-up per side" + (o.smoke() ? "" : " (and on to " + WARM_CALLS + " calls or " + MAX_WARM_SECONDS + " s)") + ", then " + o.rounds + " alternating rounds of " + o.roundSeconds
                + " s per side; times are the median per call over rounds, [min–max] over rounds.");
        out.add("");
        Limits0 before = limits(o);
        List<Measured> results = new ArrayList<>();
        for (Case c : Cases.all(o.tfThreads, o.threads)) {
            if (!o.only.isEmpty() && !o.only.contains(c.id()) && !o.only.contains(c.key())) continue;
            if (o.smoke && !smokeCase(c)) continue;
            results.add(measure(c, o));
            Measured m = results.getLast();
            System.err.printf("%s %-60s descent %10.1f us  tf %10.1f us  x%.2f%n", c.id(), c.title(), m.d() / 1e3, m.t() / 1e3, m.t() / m.d());
        }
        Limits0 after = limits(o);
        Limits0 lim = new Limits0(Timing.median(new double[] {before.fma, after.fma}), Timing.median(new double[] {before.copySmall, after.copySmall}),
                Timing.median(new double[] {before.copyLarge, after.copyLarge}), 0, 0);
        out.add(String.format("Machine limits measured in this run (before / after the cases): FMA peak of one core %.1f / %.1f GFLOP/s;"
                + " copy bandwidth %.1f / %.1f GB/s at %d floats (4 MB), %.1f / %.1f GB/s at %d floats (64 MB), read + write counted;"
                + " a pass over %d floats (400 KB) %.1f / %.1f GB/s when the same core wrote them last, %.1f / %.1f GB/s when the other core did.",
                before.fma, after.fma, before.copySmall, after.copySmall, Cases.SMALL, before.copyLarge, after.copyLarge, Cases.LARGE,
                HANDOFF_FLOATS, before.sameCore, after.sameCore, before.crossCore, after.crossCore));
        out.add("");
        out.add("| case | what | Descent | TF Java | TF / Descent | of machine limit | target | met |");
        out.add("|---|---|---:|---:|---:|---:|---|---|");
        for (Measured m : results) out.add(row(m, lim));
        if (o.only.isEmpty() || o.only.contains("g")) {
            out.add("");
            out.addAll(compileTimes(o));
        }
        String text = String.join("\n", out) + "\n";
        System.out.print(text);
        if (o.out != null) Files.writeString(o.out, text);
    }

    /**
     * Each side's warm-up runs at least this many calls (up to {@link #MAX_WARM_SECONDS}): case c's small kernels,
     * called once per step, were still interpreted or C1-compiled after the 3 s (~1,800 steps) that were the whole
     * warm-up until 2026-11-30 (about 35 µs of its ~1.6 ms step, BENCHMARKS.md's session-21 notes).
     */
    static final long WARM_CALLS = 12_000;
    static final double MAX_WARM_SECONDS = 25;

    private static boolean smokeCase(Case c) {
        return List.of("a", "b", "d_adam_1M", "e_adagrad", "f_64").contains(c.key());
    }

    private static Measured measure(Case c, Options o) {
        try (Step d = c.descent().get(); Step t = c.tf().get()) {
            for (Step s : new Step[] {d, t}) {
                s.run();
                if (!Float.isNaN(s.loss()) && !Float.isFinite(s.loss()))
                    throw new IllegalStateException(c.title() + ": non-finite loss " + s.loss());
            }
            long calls = o.smoke() ? 0 : WARM_CALLS;   // a smoke run checks that the cases run, not their speed
            Timing.warm(d::run, o.warm, calls, MAX_WARM_SECONDS);
            Timing.warm(t::run, o.warm, calls, MAX_WARM_SECONDS);
            double[] dn = new double[o.rounds], tn = new double[o.rounds];
            for (int r = 0; r < o.rounds; r++) {
                if (r % 2 == 0) { dn[r] = Timing.nsPerCall(d::run, o.roundSeconds); tn[r] = Timing.nsPerCall(t::run, o.roundSeconds); }
                else { tn[r] = Timing.nsPerCall(t::run, o.roundSeconds); dn[r] = Timing.nsPerCall(d::run, o.roundSeconds); }
            }
            return new Measured(c, dn, tn);
        }
    }

    private static String row(Measured m, Limits0 lim) {
        Case c = m.c();
        double speedup = m.t() / m.d();
        double ofLimit = switch (c.limit()) {
            case NONE -> Double.NaN;
            case FMA -> c.work() / m.d() / (lim.fma * c.cores()); // FLOP/ns = GFLOP/s, over the cores Descent may use
            case COPY_SMALL -> c.work() / m.d() / lim.copySmall;   // B/ns = GB/s
            case COPY_LARGE -> c.work() / m.d() / lim.copyLarge;
        };
        List<String> target = new ArrayList<>();
        boolean met = true;
        if (c.minSpeedup() > 0) { target.add(String.format("≥ %.0f× TF", c.minSpeedup())); met &= speedup >= c.minSpeedup(); }
        if (c.minOfLimit() > 0) {
            target.add(String.format("≥ %.0f%% of %s", 100 * c.minOfLimit(), c.limit() == Limit.FMA ? "one core's FMA peak" : "copy bw"));
            met &= ofLimit >= c.minOfLimit();
        }
        String limitText = Double.isNaN(ofLimit) ? "" : String.format("%.0f%% %s", 100 * ofLimit, switch (c.limit()) {
            case FMA -> String.format("(%.1f GFLOP/s)", c.work() / m.d());
            default -> String.format("(%.1f GB/s)", c.work() / m.d());
        });
        return String.format("| %s | %s | %s | %s | %.2f× | %s | %s | %s |", c.id(), c.title(), time(m.descent()), time(m.tf()),
                speedup, limitText, String.join(", ", target), target.isEmpty() ? "" : met ? "yes" : "**no**");
    }

    private static String time(double[] ns) {
        return fmt(Timing.median(ns)) + " [" + fmt(Timing.min(ns)) + "–" + fmt(Timing.max(ns)) + "]";
    }

    private static String fmt(double ns) {
        if (ns >= 1e6) return String.format("%.2f ms", ns / 1e6);
        return String.format("%.1f µs", ns / 1e3);
    }

    /** {@code sameCore}, {@code crossCore}: {@link Limits#handoff} over {@link #HANDOFF_FLOATS} floats (reported, not a target's limit). */
    record Limits0(double fma, double copySmall, double copyLarge, double sameCore, double crossCore) {}

    /** 100K floats: the size of the MLP cases' largest weight, whose update splitting over threads did not pay. */
    static final int HANDOFF_FLOATS = 100_000;

    /** FMA GFLOP/s and copy GB/s, each the median of five short runs after a warm-up; then the handoff pass rates. */
    private static Limits0 limits(Options o) {
        int iters = 20_000;
        float[] sink = new float[1];
        Runnable fma = () -> sink[0] += Limits.fma(iters, sink[0] * 1e-30f + 1);
        float[] s1 = new float[Cases.SMALL], d1 = new float[Cases.SMALL], s2 = new float[Cases.LARGE], d2 = new float[Cases.LARGE];
        double secs = o.smoke ? 0.05 : 0.3;
        Timing.nsPerCall(fma, secs * 3);
        Timing.nsPerCall(() -> Limits.copy(s1, d1), secs);
        Timing.nsPerCall(() -> Limits.copy(s2, d2), secs);
        double[] f = new double[5], c1 = new double[5], c2 = new double[5];
        for (int i = 0; i < 5; i++) {
            f[i] = Limits.fmaFlops(iters) / Timing.nsPerCall(fma, secs);
            c1[i] = Limits.copyBytes(Cases.SMALL) / Timing.nsPerCall(() -> Limits.copy(s1, d1), secs);
            c2[i] = Limits.copyBytes(Cases.LARGE) / Timing.nsPerCall(() -> Limits.copy(s2, d2), secs);
        }
        double[] handoff = Limits.handoff(HANDOFF_FLOATS, secs * 2);
        return new Limits0(Timing.median(f), Timing.median(c1), Timing.median(c2), handoff[0], handoff[1]);
    }

    /** Case g: cold `descent compile` (a new JVM each time) and in-process compilation to the first step. */
    private static List<String> compileTimes(Options o) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("descent.root", "."));
        List<Path> examples = new ArrayList<>();
        try (var files = Files.walk(root.resolve("examples"))) {
            files.filter(p -> p.toString().endsWith(".descent")).sorted().forEach(examples::add);
        }
        if (o.smoke) examples = examples.subList(0, 1);
        int runs = o.smoke ? 1 : 3;
        List<String> out = new ArrayList<>();
        out.add("Case g, compile time per example, median of " + runs + " cold runs (a new JVM each; target ≤ 1 s): `descent compile"
                + " -o` wall time (JVM start included), and in process from reading the file to the end of the first train step on the"
                + " compiled backend (every kernel generated and loaded; `CompileTime`, JVM start excluded); and, not part of the"
                + " target, the jar loaded in an application whose class path holds only the runtime, to the end of its first step"
                + " (`JarStart`, JVM start excluded).");
        out.add("");
        out.add("| example | `descent compile -o model.jar` | in process, to first step | the jar in an application, to first step | met |");
        out.add("|---|---:|---:|---:|---|");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path jar = Files.createTempFile("descent-bench", ".jar");
        for (Path ex : examples) {
            double[] cli = new double[runs], inproc = new double[runs], app = new double[runs];
            String runtime = Path.of(descent.runtime.Tensor.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
            String self = Path.of(JarStart.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
            run(List.of(root.resolve("bin/descent").toString(), "check", ex.toString()), root); // builds the CLI jar if stale
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                run(List.of(root.resolve("bin/descent").toString(), "compile", ex.toString(), "-o", jar.toString()), root);
                cli[i] = (System.nanoTime() - t0) / 1e6;
                inproc[i] = Double.parseDouble(run(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp",
                        System.getProperty("java.class.path"), CompileTime.class.getName(), ex.toString()), root).strip());
                app[i] = Double.parseDouble(run(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp",
                        runtime + System.getProperty("path.separator") + self, JarStart.class.getName(), jar.toString()), root).strip());
            }
            boolean met = Timing.median(cli) <= 1000 && Timing.median(inproc) <= 1000;
            out.add(String.format("| %s | %.0f ms | %.0f ms | %.0f ms | %s |", root.relativize(ex), Timing.median(cli), Timing.median(inproc),
                    Timing.median(app), met ? "yes" : "**no**"));
        }
        Files.deleteIfExists(jar);
        return out;
    }

    private static String run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed: exit " + p.exitValue());
        return stdout;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static Options parse(String[] args) {
        double warm = 3, roundSeconds = 0.3;
        int rounds = 10, tfThreads = 0, threads = Runtime.getRuntime().availableProcessors();
        List<String> only = List.of();
        Path out = null;
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--warm-seconds" -> warm = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--round-seconds" -> roundSeconds = Double.parseDouble(args[++i]);
                case "--tf-threads" -> tfThreads = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--only" -> only = List.of(args[++i].split(","));
                case "--out" -> out = Path.of(args[++i]);
                case "--smoke" -> smoke = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (smoke) { warm = 0.3; rounds = 2; roundSeconds = 0.1; }
        return new Options(warm, rounds, roundSeconds, only, tfThreads, threads, out, smoke);
    }
}
