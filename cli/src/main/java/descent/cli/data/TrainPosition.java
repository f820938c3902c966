package descent.cli.data;

import descent.runtime.DescentException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a {@code descent train} run is, as recorded in a checkpoint's SafeTensors {@code __metadata__}
 * (all values are strings; keys below). The run's identity — what must be equal for a resume to continue
 * the same sequence of batches — and its position:
 *
 * <pre>
 * descent.format          "descent-train/1"
 * descent.model           model name            descent.train        train block
 * descent.seed            --seed (initializers and shuffling)
 * descent.epochs          --epochs (the run's total)
 * descent.batch_size      --batch-size          descent.validation   --validation fraction
 * descent.data_rows       rows in the data      descent.data_crc32c  checksum of the data (Dataset#checksum)
 * descent.shuffle         "splitmix64/fisher-yates" (see Shuffle)
 * descent.shuffle_state   hex SplitMix64 state that starts the current epoch's order (= Shuffle.epochSeed(seed, epochs_done))
 * descent.epochs_done     complete epochs (validation included)
 * descent.batches_done    batches of the current epoch already run (0 at an epoch boundary)
 * descent.steps_done      batches run in the whole run (skipped ones included)
 * descent.batches_skipped batches skipped by --on-nonfinite skip-batch in the whole run
 * descent.epoch_loss_sum  the current epoch's sum of loss × batch rows, exactly (Double.toHexString)
 * descent.epoch_loss_rows the rows that sum covers
 * </pre>
 */
public record TrainPosition(String model, String train, long seed, int epochs, int batchSize, double validation,
                            int dataRows, String dataChecksum, int epochsDone, int batchesDone, long stepsDone,
                            long batchesSkipped, double epochLossSum, long epochLossRows) {

    public static final String FORMAT = "descent-train/1";

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("descent.format", FORMAT);
        m.put("descent.model", model);
        m.put("descent.train", train);
        m.put("descent.seed", Long.toString(seed));
        m.put("descent.epochs", Integer.toString(epochs));
        m.put("descent.batch_size", Integer.toString(batchSize));
        m.put("descent.validation", Double.toString(validation));
        m.put("descent.data_rows", Integer.toString(dataRows));
        m.put("descent.data_crc32c", dataChecksum);
        m.put("descent.shuffle", "splitmix64/fisher-yates");
        m.put("descent.shuffle_state", String.format("%016x", Shuffle.epochSeed(seed, epochsDone)));
        m.put("descent.epochs_done", Integer.toString(epochsDone));
        m.put("descent.batches_done", Integer.toString(batchesDone));
        m.put("descent.steps_done", Long.toString(stepsDone));
        m.put("descent.batches_skipped", Long.toString(batchesSkipped));
        m.put("descent.epoch_loss_sum", Double.toHexString(epochLossSum));
        m.put("descent.epoch_loss_rows", Long.toString(epochLossRows));
        return m;
    }

    /** The position in a checkpoint's metadata; null if it has none (e.g. written by descent run). */
    public static TrainPosition fromMetadata(Map<String, String> m, String source) {
        String format = m.get("descent.format");
        if (format == null) return null;
        if (!format.equals(FORMAT)) {
            throw new DescentException(source + ": training position of format `" + format + "`; this version reads " + FORMAT);
        }
        TrainPosition p;
        try {
            p = new TrainPosition(get(m, "descent.model", source), get(m, "descent.train", source),
                    Long.parseLong(get(m, "descent.seed", source)), Integer.parseInt(get(m, "descent.epochs", source)),
                    Integer.parseInt(get(m, "descent.batch_size", source)), Double.parseDouble(get(m, "descent.validation", source)),
                    Integer.parseInt(get(m, "descent.data_rows", source)), get(m, "descent.data_crc32c", source),
                    Integer.parseInt(get(m, "descent.epochs_done", source)), Integer.parseInt(get(m, "descent.batches_done", source)),
                    Long.parseLong(get(m, "descent.steps_done", source)), Long.parseLong(get(m, "descent.batches_skipped", source)),
                    Double.parseDouble(get(m, "descent.epoch_loss_sum", source)),
                    Long.parseLong(get(m, "descent.epoch_loss_rows", source)));
        } catch (NumberFormatException e) {
            throw new DescentException(source + ": malformed training position in the checkpoint's metadata: " + e.getMessage());
        }
        // A position no run writes (an edited or damaged file) is refused here, not met later as a division by zero.
        String bad = p.epochs < 1 ? "descent.epochs " + p.epochs + " (at least 1)"
                : p.batchSize < 1 ? "descent.batch_size " + p.batchSize + " (at least 1)"
                : !(p.validation >= 0 && p.validation < 1) ? "descent.validation " + p.validation + " (a fraction in [0, 1))"
                : p.dataRows < 0 ? "descent.data_rows " + p.dataRows + " (not negative)"
                : p.stepsDone < 0 ? "descent.steps_done " + p.stepsDone + " (not negative)"
                : p.epochsDone < 0 || p.epochsDone > p.epochs ? "descent.epochs_done " + p.epochsDone + " (from 0 to descent.epochs, " + p.epochs + ")"
                : p.batchesDone < 0 || p.batchesDone > p.stepsDone ? "descent.batches_done " + p.batchesDone + " (from 0 to descent.steps_done, " + p.stepsDone + ")"
                : p.batchesSkipped < 0 || p.batchesSkipped > p.stepsDone ? "descent.batches_skipped " + p.batchesSkipped + " (from 0 to descent.steps_done, " + p.stepsDone + ")"
                : p.epochLossRows < 0 ? "descent.epoch_loss_rows " + p.epochLossRows + " (not negative)"
                : null;
        if (bad != null) throw new DescentException(source + ": the checkpoint's training position is damaged: " + bad);
        return p;
    }

    private static String get(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) throw new DescentException(source + ": the checkpoint's training position lacks `" + key + "`");
        return v;
    }

    /** How this run's settings differ from {@code other}'s (empty if a resume continues the same run). */
    public List<String> differences(TrainPosition other) {
        List<String> d = new ArrayList<>();
        if (!model.equals(other.model)) d.add("model " + other.model + " (this run: " + model + ")");
        if (!train.equals(other.train)) d.add("--train " + other.train + " (this run: " + train + ")");
        if (seed != other.seed) d.add("--seed " + other.seed + " (this run: " + seed + ")");
        if (batchSize != other.batchSize) d.add("--batch-size " + other.batchSize + " (this run: " + batchSize + ")");
        if (Double.compare(validation, other.validation) != 0) d.add("--validation " + other.validation + " (this run: " + validation + ")");
        if (dataRows != other.dataRows || !dataChecksum.equals(other.dataChecksum)) {
            d.add("other data (" + other.dataRows + " rows, checksum " + other.dataChecksum + "; this run: " + dataRows
                    + " rows, checksum " + dataChecksum + ")");
        }
        return d;
    }
}
