package descent.cli;

import descent.cli.data.DataLoader;
import descent.cli.data.Dataset;
import descent.cli.data.ModelFacts;
import descent.cli.data.OutputPaths;
import descent.cli.data.Progress;
import descent.cli.data.TrainPosition;
import descent.cli.data.Trainer;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.runtime.DescentException;
import descent.runtime.api.StateSpec;
import descent.runtime.SafeTensors;
import descent.runtime.api.TrainingSession;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true, description = {
        "Trains a model on a data set for --epochs epochs, with checkpoints.",
        "",
        "Each epoch visits the training rows in a seeded random order, in batches of --batch-size (the last one smaller), one train step per batch.",
        "",
        "--data is a directory of NAME.npy files (one per input the step reads), one .npy file (a model with one input), or a .csv file with a header row: a column NAME feeds input NAME: T[batch]; columns NAME_0..NAME_{k-1} feed NAME: T[batch, k] (a column NAME when k is 1); a single input of shape [batch, k] without named columns takes all the other columns, in order.",
        "",
        "With --validation F the last F of the rows (in a seeded shuffle) are held out and evaluated after each epoch: loss and, for a classifier (a loss computed by sparse_softmax_cross_entropy_with_logits from an integer input of shape [batch] and named logits), accuracy.",
        "",
        "--save writes the state and the run's position every --every steps, at the end and on Ctrl-C, atomically. --restore CKPT continues that run exactly where it stopped; settings not given default to the checkpoint's, and --epochs counts the whole run.",
        ""})
final class TrainCommand implements Callable<Integer> {
    enum NonFinite { fail, skip_batch }
    enum ProgressMode { auto, bar, plain, none }

    @Parameters(paramLabel = "MODEL", description = "a .descent file, or a jar from descent compile -o") Path model;
    @Option(names = "--data", paramLabel = "PATH", required = true,
            description = "directory of NAME.npy, a .npy file, or a .csv file with a header row") Path data;
    @Option(names = "--epochs", paramLabel = "E", description = "epochs of the whole run (default 1, or the checkpoint's)") Integer epochs;
    @Option(names = "--batch-size", paramLabel = "B", description = "rows per step (default 32, or the checkpoint's)") Integer batchSize;
    @Option(names = "--train", paramLabel = "NAME", description = "train block (needed if the model has several)") String train;
    @Option(names = "--save", paramLabel = "CKPT", description = "checkpoint to write (SafeTensors, atomically)") Path save;
    @Option(names = "--restore", paramLabel = "CKPT", description = "checkpoint to start from; resumes its run") Path restore;
    @Option(names = "--every", paramLabel = "N", description = "also save every N steps") Long every;
    @Option(names = "--seed", paramLabel = "S", description = "seeds initializers and shuffling (default 0, or the checkpoint's)") Long seed;
    @Option(names = "--validation", paramLabel = "FRACTION", description = "hold out this fraction of the rows (0 <= F < 1)") Double validation;
    @Option(names = "--on-nonfinite", paramLabel = "fail|skip-batch", converter = NonFiniteConverter.class,
            description = "NaN/Inf in the data or the loss: fail (default) or skip the batch") NonFinite onNonFinite = NonFinite.fail;
    @Option(names = "--stop-at-step", paramLabel = "N", description = "stop after step N of the run, as Ctrl-C does") Long stopAtStep;
    @Option(names = "--progress", paramLabel = "MODE", description = "auto (bar on a terminal, else lines), bar, plain or none")
    ProgressMode progress = ProgressMode.auto;
    @Option(names = "--backend", paramLabel = "B", description = Backends.HELP)
    Backends backend;
    @Option(names = "--precision", paramLabel = "P", description = "F32 (default) or F64 (runs on the interpreter)") Precision precision = Precision.F32;
    @Option(names = "--threads", paramLabel = "T",
            description = "threads a step may use on the compiled backend (default 1; the numbers are the same for any count)")
    int threads = 1;
    @Spec CommandLine.Model.CommandSpec spec;

    static final class NonFiniteConverter implements CommandLine.ITypeConverter<NonFinite> {
        @Override public NonFinite convert(String value) {
            return switch (value) {
                case "fail" -> NonFinite.fail;
                case "skip-batch" -> NonFinite.skip_batch;
                default -> throw new CommandLine.TypeConversionException("expected fail or skip-batch, got '" + value + "'");
            };
        }
    }

    @Override public Integer call() {
        if (threads < 1 || threads > 1024) throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be from 1 to 1024, not " + threads);
        checkOptions();
        ModelArgument argument = ModelArgument.read(model, backend, precision);
        Model m = argument.model();
        ModelFacts facts = new ModelFacts(m);
        PrintWriter err = spec.commandLine().getErr();
        // Beside a checkpoint written to stdout, the progress goes to stderr.
        PrintWriter out = OutputPaths.isStdout(save) ? err : spec.commandLine().getOut();
        // The checkpoint's training position (if any) supplies the settings not given.
        TrainPosition saved = restore == null ? null
                : TrainPosition.fromMetadata(SafeTensors.readMetadata(restore), restore.toString());
        long seedValue = seed != null ? seed : saved != null ? saved.seed() : 0;
        int batch = batchSize != null ? batchSize : saved != null ? saved.batchSize() : 32;
        double fraction = validation != null ? validation : saved != null ? saved.validation() : 0;
        int epochCount = epochs != null ? epochs : saved != null ? saved.epochs() : 1;
        TrainStep step = m.train(trainBlock(m, saved));
        String lossName = facts.lossName(step);
        if (fraction > 0 && !m.outputs().containsKey(lossName) && !m.names().containsKey(lossName)) {
            throw new DescentException("--validation evaluates the loss outside train steps, but `" + lossName + "` is defined"
                    + " inside train block `" + step.name() + "`; define the loss before the train block");
        }
        ModelFacts.Classifier classifier = facts.classifier(step);
        List<Integer> roots = facts.trainRoots(step, classifier == null ? List.of() : List.of(classifier.node()));
        Set<String> needed = new LinkedHashSet<>(facts.inputsNeededBy(roots));
        if (save != null) OutputPaths.checkWritable(save);
        if (save != null) OutputPaths.checkNotRead(spec.commandLine(), "--save " + save, save, Map.of("the training data", data, "the model", model));

        Dataset dataset = DataLoader.load(data, facts, needed, facts.indexRanges(roots), onNonFinite == NonFinite.skip_batch,
                " (--on-nonfinite skip-batch skips the batches that hold it)");
        TrainPosition fresh = new TrainPosition(m.name(), step.name(), seedValue, epochCount, batch, fraction, dataset.rows(),
                dataset.checksum(), 0, 0, 0, 0, 0.0, 0);
        TrainPosition start = fresh;
        TrainingSession session = Backends.load(backend, argument, precision, spec.commandLine().getErr()).newSession(seedValue, threads);
        if (restore != null) {
            List<String> variables = session.signature().state().stream().filter(s -> s.role() == StateSpec.Role.VARIABLE)
                    .map(StateSpec::name).toList();
            List<String> slots = new ArrayList<>(session.signature().train(step.name()).slots().values().stream()
                    .flatMap(bySlot -> bySlot.values().stream()).toList());
            // Non-slot state (beta1_power, ...) is not listed per step; any the checkpoint lacks starts afresh too.
            session.signature().state().stream().filter(s -> s.role() == StateSpec.Role.NON_SLOT).forEach(s -> slots.add(s.name()));
            Restore.into(session, restore, variables, slots, err);
            if (saved != null) {
                List<String> diff = fresh.differences(saved);
                if (diff.isEmpty()) {
                    // Random ops draw by step count: continue the uninterrupted run's draws.
                    session.setStepCount(saved.stepsDone());
                    start = new TrainPosition(m.name(), step.name(), seedValue, epochCount, batch, fraction, dataset.rows(),
                            dataset.checksum(), saved.epochsDone(), saved.batchesDone(), saved.stepsDone(), saved.batchesSkipped(),
                            saved.epochLossSum(), saved.epochLossRows());
                } else {
                    err.println("descent: warning: " + restore + " was written by another run (" + String.join("; ", diff)
                            + "): its values are restored, but training starts at epoch 1");
                }
            }
        }
        Trainer trainer = new Trainer(new Trainer.Config(session, step.name(), lossName, classifier, dataset, start, epochCount,
                batch, fraction, onNonFinite == NonFinite.fail ? Trainer.OnNonFinite.FAIL : Trainer.OnNonFinite.SKIP_BATCH,
                save, every == null ? 0 : every, stopAtStep == null ? 0 : stopAtStep,
                Progress.Mode.valueOf(progress.name().toUpperCase(Locale.ROOT))), out);
        if (start != fresh && start.batchesDone() >= trainer.stepsPerEpoch()) {
            // Same data and batch size (else the position is not used), so the saved run's epochs had this many steps.
            throw new DescentException(restore + ": the checkpoint's training position is damaged: descent.batches_done "
                    + start.batchesDone() + " (fewer than the " + trainer.stepsPerEpoch() + " steps of an epoch)");
        }
        long total = (long) epochCount * trainer.stepsPerEpoch();
        if (start.stepsDone() > total) {
            throw new DescentException(restore + " has done " + start.stepsDone() + " steps (" + start.epochsDone()
                    + " epochs and " + start.batchesDone() + " batches); --epochs " + epochCount + " ends at step " + total
                    + ": give more epochs to continue it");
        }
        StringBuilder head = new StringBuilder().append("training ").append(m.name()).append('/').append(step.name())
                .append(" on ").append(dataset.rows()).append(dataset.rows() == 1 ? " row of " : " rows of ").append(data);
        if (trainer.validationRows() > 0) {
            head.append(" (").append(trainer.trainRows()).append(" train, ").append(trainer.validationRows()).append(" validation)");
        }
        head.append(": ").append(epochCount).append(epochCount == 1 ? " epoch of " : " epochs of ").append(trainer.stepsPerEpoch())
                .append(trainer.stepsPerEpoch() == 1 ? " step" : " steps").append(", batch size ").append(batch)
                .append(", seed ").append(seedValue);
        if (classifier != null) head.append(", classifier (labels ").append(classifier.labels()).append(')');
        if (dataset.nonFiniteRows() > 0) head.append("; ").append(dataset.nonFiniteRows())
                .append(dataset.nonFiniteRows() == 1 ? " row holds" : " rows hold").append(" NaN/Inf");
        out.println(head);
        if (start.stepsDone() == total) {
            out.println(restore + " has already done all " + total + " steps of " + epochCount
                    + (epochCount == 1 ? " epoch" : " epochs") + "; nothing to train (give more --epochs to continue)");
            // --save still gets the run's state: the checkpoint holds exactly that, position included.
            if (save != null && !save.toAbsolutePath().normalize().equals(restore.toAbsolutePath().normalize())) {
                try {
                    descent.runtime.AtomicFiles.write(save, java.nio.file.Files.readAllBytes(restore));
                } catch (java.io.IOException e) {
                    throw new DescentException("cannot read " + restore + ": " + e.getMessage());
                }
                out.println("saved " + save);
            }
            return Main.OK;
        }
        if (start.stepsDone() > 0) {
            out.println("resuming " + restore + " at step " + start.stepsDone() + " of " + total + " (epoch "
                    + (start.epochsDone() + 1) + ": " + start.batchesDone() + " of " + trainer.stepsPerEpoch() + " batches done)");
        }
        out.flush();
        trainer.run();
        return Main.OK;
    }

    private void checkOptions() {
        List<String> problems = new ArrayList<>();
        if (epochs != null && epochs < 1) problems.add("--epochs must be at least 1, got " + epochs);
        if (batchSize != null && batchSize < 1) problems.add("--batch-size must be at least 1, got " + batchSize);
        if (every != null && every < 1) problems.add("--every must be at least 1, got " + every);
        if (every != null && save == null) problems.add("--every needs --save CKPT");
        if (stopAtStep != null && stopAtStep < 1) problems.add("--stop-at-step must be at least 1, got " + stopAtStep);
        if (validation != null && !(validation >= 0 && validation < 1)) {
            problems.add("--validation must be a fraction in [0, 1), got " + validation);
        }
        if (!problems.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), problems.get(0));
    }

    /** The train block: --train, else the checkpoint's, else the model's only one. */
    private String trainBlock(Model m, TrainPosition saved) {
        if (train != null) {
            if (m.train(train) == null) {
                throw new DescentException("model " + m.name() + " has no train block `" + train + "`"
                        + (m.trains().isEmpty() ? "" : " (train blocks: " + names(m) + ")"));
            }
            return train;
        }
        if (saved != null && m.train(saved.train()) != null) return saved.train();
        if (m.trains().isEmpty()) throw new DescentException("model " + m.name() + " has no train block; nothing to train");
        if (m.trains().size() > 1) {
            throw new DescentException("model " + m.name() + " has train blocks " + names(m) + ": choose one with --train NAME");
        }
        return m.trains().get(0).name();
    }

    private static String names(Model m) { return String.join(", ", m.trains().stream().map(TrainStep::name).toList()); }
}
