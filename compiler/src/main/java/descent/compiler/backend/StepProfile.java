package descent.compiler.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where an executable's steps spend their time, kernel by kernel: kept when the JVM runs with
 * {@code -Ddescent.profile=true} (read when an executable is built), and printed by
 * {@link CompiledSession#profile()} (the bench runs it: {@code scripts/bench.sh profile CASE}). Each kernel call
 * is timed by two {@code System.nanoTime()} reads, some 25 ns each, so very small kernels read high; a split
 * kernel's time is its wall time on the calling thread, and each product of a pair run at once reports its own.
 * Without the property, calls are not wrapped at all.
 */
final class StepProfile {
    private final List<String> kernels = new ArrayList<>();
    private final List<LongAdder> nanos = new ArrayList<>(), calls = new ArrayList<>();
    private final LongAdder steps = new LongAdder();

    /** A profile when {@code descent.profile} is set, else null. */
    static StepProfile ifEnabled() { return enabled() ? new StepProfile() : null; }

    /** Whether this JVM times kernels ({@code -Ddescent.profile=true}). */
    static boolean enabled() { return Boolean.getBoolean("descent.profile"); }

    /** {@code call} timed under kernel {@code index} (described as {@code --emit kernels} prints it). */
    KernelCalls.Call wrap(int index, String kernel, KernelCalls.Call call) {
        while (kernels.size() <= index) {
            kernels.add(null);
            nanos.add(new LongAdder());
            calls.add(new LongAdder());
        }
        kernels.set(index, kernel);
        LongAdder time = nanos.get(index), count = calls.get(index);
        return (buf, step, b) -> {
            long t0 = System.nanoTime();
            try {
                call.run(buf, step, b);
            } finally {
                time.add(System.nanoTime() - t0);
                count.increment();
            }
        };
    }

    /** Counts one run of the executable. */
    void step() { steps.increment(); }

    void reset() {
        steps.reset();
        nanos.forEach(LongAdder::reset);
        calls.forEach(LongAdder::reset);
    }

    /**
     * One line per kernel that ran: its index in the lowered plan, µs per step (its time over the runs since the
     * last {@link #reset}), its share of the kernels' total, and the kernel; null if it has not run.
     */
    String report() {
        long steps = this.steps.sum();
        if (steps == 0) return null;
        double total = 0;
        for (LongAdder n : nanos) total += n.sum();
        StringBuilder sb = new StringBuilder(String.format("%d run%s%n%5s %11s %6s  %s%n", steps, steps == 1 ? "" : "s",
                "#", "µs/step", "share", "kernel"));
        for (int i = 0; i < kernels.size(); i++) {
            long n = nanos.get(i).sum();
            if (kernels.get(i) == null || calls.get(i).sum() == 0) continue;
            sb.append(String.format("%5d %11.1f %5.1f%%  %s%n", i, n / 1e3 / steps, 100 * n / Math.max(1, total), kernels.get(i)));
        }
        sb.append(String.format("%5s %11.1f %6s  (every timed kernel)%n", "", total / 1e3 / steps, "100%"));
        return sb.toString();
    }
}
