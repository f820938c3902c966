package descent.cli.data;

import descent.runtime.DescentException;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The epoch loop of {@code descent train}: seeded shuffling, batches (the last one partial), validation after
 * each epoch, the non-finite policy, checkpoints with their position, and a clean stop on Ctrl-C.
 *
 * <p>Order of a run: the data rows are split once (the last {@code validation} fraction of a seeded
 * shuffle is held out); epoch {@code e} visits the training rows in the order {@link Shuffle} derives from
 * (seed, e), in batches of {@code batchSize}. Step {@code s} (1-based over the run) is batch
 * {@code (s-1) % stepsPerEpoch} of epoch {@code (s-1) / stepsPerEpoch}. A checkpoint records the position
 * after its last step ({@link TrainPosition}); a resumed run rebuilds the same orders and continues, so
 * it ends bitwise equal to an uninterrupted run.
 */
public final class Trainer {
    public enum OnNonFinite { FAIL, SKIP_BATCH }

    /** Everything a run is given. {@code save} may be null; {@code every} and {@code stopAtStep} 0 for none. */
    public record Config(TrainingSession session, String train, String lossName, ModelFacts.Classifier classifier,
                         Dataset data, TrainPosition position, int epochs, int batchSize, double validation,
                         OnNonFinite onNonFinite, Path save, long every, long stopAtStep, Progress.Mode progress) {}

    public record Validation(int rows, double loss, double accuracy) {}

    private final Config c;
    private final java.io.PrintWriter out;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final int[] trainRows, validationRows;
    private final int stepsPerEpoch;

    public Trainer(Config c, java.io.PrintWriter out) {
        this.c = c;
        this.out = out;
        int n = c.data().rows();
        int held = c.validation() > 0 ? (int) Math.max(1, Math.round(c.validation() * n)) : 0;
        if (n == 0) throw new DescentException(c.data().source() + ": the data has no rows");
        if (n - held < 1) {
            throw new DescentException("--validation " + c.validation() + " holds out all " + n + " rows; nothing is left to train on");
        }
        int[] split = c.validation() > 0 ? Shuffle.shuffle(Shuffle.identity(n), Shuffle.splitSeed(c.position().seed()))
                : Shuffle.identity(n);
        trainRows = java.util.Arrays.copyOfRange(split, 0, n - held);
        validationRows = java.util.Arrays.copyOfRange(split, n - held, n);
        stepsPerEpoch = (trainRows.length - 1) / c.batchSize() + 1;   // no int overflow at a batch size near 2³¹
    }

    public int trainRows() { return trainRows.length; }
    public int validationRows() { return validationRows.length; }
    public int stepsPerEpoch() { return stepsPerEpoch; }

    /** Runs (or resumes) the loop; Ctrl-C (a JVM shutdown hook) stops it after the current step and saves. */
    public void run() {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.set(true);
            try {
                finished.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "descent-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            loop();
        } finally {
            out.flush();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting (Ctrl-C); the hook is running and now returns.
            }
        }
    }

    private void loop() {
        TrainPosition p = c.position();
        int epoch = p.epochsDone(), batch = p.batchesDone();
        long steps = p.stepsDone(), skipped = p.batchesSkipped();
        double lossSum = p.epochLossSum();
        long lossRows = p.epochLossRows();
        long total = (long) c.epochs() * stepsPerEpoch;
        long epochSkipped = 0, savedAt = -1;
        double lastLoss = Double.NaN;
        Validation lastValidation = null;
        Progress progress = new Progress(out, c.progress(), c.epochs(), stepsPerEpoch, steps, total);
        long epochStartSteps = steps;
        double epochStart = progress.elapsedSeconds();
        List<String> fetches = List.of(c.lossName());
        boolean stopped = false;
        outer:
        for (; epoch < c.epochs(); epoch++, batch = 0) {
            int[] order = Shuffle.shuffle(trainRows.clone(), Shuffle.epochSeed(p.seed(), epoch));
            for (; batch < stepsPerEpoch; batch++) {
                if (stopRequested.get() || c.stopAtStep() > 0 && steps >= c.stopAtStep()) {
                    stopped = true;
                    break outer;
                }
                int from = batch * c.batchSize(), to = Math.min(trainRows.length, from + c.batchSize());
                boolean skip = false;
                if (c.onNonFinite() == OnNonFinite.SKIP_BATCH) {
                    for (int i = from; i < to && !skip; i++) skip = c.data().nonFinite(order[i]);
                }
                if (!skip) {
                    Map<String, Tensor> before = c.onNonFinite() == OnNonFinite.SKIP_BATCH ? copy(c.session().state()) : null;
                    Tensor lossValue = c.session().train(c.train(), c.data().feeds(order, from, to), fetches).get(c.lossName());
                    double loss = mean(lossValue);
                    if (!Double.isFinite(loss)) {
                        if (c.onNonFinite() == OnNonFinite.FAIL) {
                            throw new DescentException("step " + (steps + 1) + " (epoch " + (epoch + 1) + ", batch " + (batch + 1)
                                    + " of " + stepsPerEpoch + "): the loss `" + c.lossName() + "` is " + DataLoader.what(loss)
                                    + "; stopped without saving this step" + (savedAt >= 0 ? " (" + c.save() + " holds step "
                                    + savedAt + ")" : "") + "; --on-nonfinite skip-batch skips such batches");
                        }
                        for (var e : before.entrySet()) c.session().set(e.getKey(), e.getValue());
                        skip = true;
                    } else {
                        lossSum += loss * (to - from);
                        lossRows += to - from;
                    }
                }
                if (skip) { skipped++; epochSkipped++; }
                steps++;
                progress.step(epoch + 1, batch + 1, steps, lossRows > 0 ? lossSum / lossRows : Double.NaN);
                int batchesDone = batch + 1, epochsDone = epoch;
                if (batchesDone == stepsPerEpoch) {
                    lastLoss = lossRows > 0 ? lossSum / lossRows : Double.NaN;
                    lastValidation = validationRows.length > 0 ? validate() : null;
                    double now = progress.elapsedSeconds();
                    progress.line(epochLine(epoch + 1, lastLoss, lastValidation, steps - epochStartSteps, now - epochStart, epochSkipped));
                    epochStart = now;
                    epochStartSteps = steps;
                    epochSkipped = 0;
                    lossSum = 0;
                    lossRows = 0;
                    batchesDone = 0;
                    epochsDone = epoch + 1;
                }
                if (c.save() != null && c.every() > 0 && steps % c.every() == 0) {
                    save(position(epochsDone, batchesDone, steps, skipped, lossSum, lossRows));
                    savedAt = steps;
                }
            }
        }
        if (c.save() != null && savedAt != steps) save(position(epoch, batch, steps, skipped, lossSum, lossRows));
        if (stopped) {
            progress.line("stopped after step " + steps + " of " + total + " (epoch " + (epoch + 1) + ": " + batch + " of "
                    + stepsPerEpoch + " batches done)" + (c.save() != null ? "; saved " + c.save() + "; resume with --restore "
                    + c.save() : "; nothing saved (no --save)"));
        }
        double secs = progress.elapsedSeconds();
        long ran = steps - p.stepsDone();
        StringBuilder s = new StringBuilder(stopped ? "stopped: " : "done: ");
        s.append(ran).append(ran == 1 ? " step" : " steps").append(" in ").append(String.format(Locale.ROOT, "%.2f", secs)).append(" s");
        if (ran > 0 && secs > 0) s.append(" (").append(Progress.rateText(ran / secs)).append(" steps/s)");
        s.append("; step ").append(steps).append(" of ").append(total);
        if (!Double.isNaN(lastLoss)) s.append("; last epoch loss ").append(num(lastLoss));
        if (lastValidation != null) s.append(validationText(lastValidation));
        if (skipped > 0) s.append("; ").append(skipped).append(skipped == 1 ? " batch" : " batches").append(" skipped (non-finite)");
        s.append(c.save() != null ? "; saved " + c.save() : "; not saved (no --save)");
        progress.line(s.toString());
    }

    private TrainPosition position(int epochsDone, int batchesDone, long steps, long skipped, double lossSum, long lossRows) {
        TrainPosition p = c.position();
        return new TrainPosition(p.model(), p.train(), p.seed(), c.epochs(), c.batchSize(), c.validation(), p.dataRows(),
                p.dataChecksum(), epochsDone, batchesDone, steps, skipped, lossSum, lossRows);
    }

    private void save(TrainPosition at) {
        SafeTensors.write(c.save(), c.session().state(), at.toMetadata());
    }

    /** Loss (mean over rows, batches weighted by their rows) and, for a classifier, accuracy over the validation rows. */
    private Validation validate() {
        List<Integer> keep = new ArrayList<>();
        for (int r : validationRows) if (!c.data().nonFinite(r)) keep.add(r);
        int[] rows = keep.stream().mapToInt(Integer::intValue).toArray();
        List<String> fetches = new ArrayList<>(List.of(c.lossName()));
        if (c.classifier() != null) fetches.add(c.classifier().logits());
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < rows.length; from += c.batchSize()) {
            int to = Math.min(rows.length, from + c.batchSize());
            Map<String, Tensor> feeds = c.data().feeds(rows, from, to);
            Map<String, Tensor> v = c.session().evaluate(feeds, fetches);
            lossSum += mean(v.get(c.lossName())) * (to - from);
            if (c.classifier() != null) correct += correct(v.get(c.classifier().logits()), feeds.get(c.classifier().labels()));
        }
        return new Validation(rows.length, rows.length == 0 ? Double.NaN : lossSum / rows.length,
                c.classifier() == null || rows.length == 0 ? Double.NaN : (double) correct / rows.length);
    }

    /** Rows whose argmax of {@code logits} (the first maximum on ties) equals the label. */
    static long correct(Tensor logits, Tensor labels) {
        int[] shape = logits.shape();
        int n = shape[0], k = shape[1];
        long hits = 0;
        for (int r = 0; r < n; r++) {
            int best = 0;
            double bestValue = logits.getDouble(r * k);
            for (int j = 1; j < k; j++) {
                double v = logits.getDouble(r * k + j);
                if (v > bestValue || Double.isNaN(bestValue) && !Double.isNaN(v)) { best = j; bestValue = v; }
            }
            if ((long) labels.getDouble(r) == best) hits++;
        }
        return hits;
    }

    private String epochLine(int epoch, double loss, Validation v, long steps, double secs, long skippedNow) {
        StringBuilder s = new StringBuilder().append("epoch ").append(epoch).append('/').append(c.epochs())
                .append(": loss ").append(num(loss));
        if (v != null) s.append(validationText(v));
        s.append(" (").append(steps).append(steps == 1 ? " step, " : " steps, ").append(String.format(Locale.ROOT, "%.2f", secs)).append(" s");
        if (skippedNow > 0) s.append(", ").append(skippedNow).append(skippedNow == 1 ? " batch" : " batches").append(" skipped");
        return s.append(')').toString();
    }

    private String validationText(Validation v) {
        String s = ", val_loss " + num(v.loss());
        if (c.classifier() != null) s += ", val_accuracy " + String.format(Locale.ROOT, "%.4f", v.accuracy());
        return s;
    }

    static String num(double v) { return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.6g", v); }

    static double mean(Tensor t) {
        if (t.size() == 1) return t.getDouble(0);
        double s = 0;
        for (int i = 0; i < t.size(); i++) s += t.getDouble(i);
        return s / t.size();
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            Tensor t = e.getValue();
            Object data = switch (t.dtype()) {
                case F32 -> t.floats().clone();
                case F64 -> t.doubles().clone();
                case I32 -> t.ints().clone();
                case I64 -> t.longs().clone();
            };
            out.put(e.getKey(), Dataset.tensor(t.dtype(), data, t.shape()));
        }
        return out;
    }
}
