package descent.cli.data;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress: on a terminal a live bar rewritten in place (at most 10 times a second), otherwise a
 * plain line every {@link #PLAIN_INTERVAL_NANOS}; both show epoch, step, the epoch's mean loss so far,
 * steps per second and the time left. Whole lines (epoch results, messages) go through {@link #line}, which
 * clears the bar first.
 */
public final class Progress {
    public enum Mode { AUTO, BAR, PLAIN, NONE }

    static final long BAR_INTERVAL_NANOS = 100_000_000L, PLAIN_INTERVAL_NANOS = 10_000_000_000L;

    private final PrintWriter out;
    private final Mode mode;
    private final int epochs, stepsPerEpoch;
    private final long totalSteps, firstStep;
    private final long start = System.nanoTime();
    private long lastDraw = Long.MIN_VALUE / 2;
    private int drawn; // characters of the bar on screen

    /**
     * @param firstStep  steps already done when this process started (a resumed run)
     * @param totalSteps steps of the whole run
     */
    public Progress(PrintWriter out, Mode mode, int epochs, int stepsPerEpoch, long firstStep, long totalSteps) {
        this.out = out;
        this.mode = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.PLAIN) : mode;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
    }

    public Mode mode() { return mode; }

    /** After step {@code step} (1-based over the run), batch {@code batch} (1-based) of epoch {@code epoch} (1-based). */
    public void step(int epoch, int batch, long step, double meanLoss) {
        if (mode == Mode.NONE || mode == Mode.PLAIN && step == totalSteps) return;
        long now = System.nanoTime();
        boolean last = batch == stepsPerEpoch;
        if (now - lastDraw < (mode == Mode.BAR ? BAR_INTERVAL_NANOS : PLAIN_INTERVAL_NANOS) && !(mode == Mode.BAR && last)) return;
        lastDraw = now;
        double rate = rate(step, now);
        String eta = rate > 0 ? duration((totalSteps - step) / rate) : "?";
        String stats = String.format(Locale.ROOT, "loss %.4g  %s steps/s  ETA %s", meanLoss, rateText(rate), eta);
        if (mode == Mode.PLAIN) {
            out.printf(Locale.ROOT, "epoch %d/%d  step %d/%d  %s%n", epoch, epochs, batch, stepsPerEpoch, stats);
            out.flush();
            return;
        }
        int width = 20, filled = (int) ((long) width * batch / Math.max(1, stepsPerEpoch));
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        String text = String.format(Locale.ROOT, "epoch %d/%d [%s] %d/%d  %s", epoch, epochs, bar, batch, stepsPerEpoch, stats);
        out.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
        drawn = text.length();
        out.flush();
    }

    /** Prints a whole line (clearing the bar, if one is drawn). */
    public void line(String text) {
        clear();
        out.println(text);
        out.flush();
    }

    /** Steps per second over this process's steps. */
    public double rate(long step, long now) {
        double secs = (now - start) / 1e9;
        return secs > 0 ? (step - firstStep) / secs : 0;
    }

    public double elapsedSeconds() { return (System.nanoTime() - start) / 1e9; }

    private void clear() {
        if (drawn > 0) {
            out.print("\r" + " ".repeat(drawn) + "\r");
            drawn = 0;
        }
    }

    static String rateText(double rate) {
        return rate >= 100 ? String.format(Locale.ROOT, "%.0f", rate) : String.format(Locale.ROOT, "%.3g", rate);
    }

    /** {@code 1:05:09}, {@code 4:07} or {@code 0:03}. */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
