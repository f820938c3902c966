package descent.cli;

import descent.compiler.interp.Precision;
import descent.runtime.api.TrainingSession;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.cli.data.DataLoader;
import descent.cli.data.OutputPaths;
import descent.runtime.DescentException;
import descent.runtime.Npy;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true, description = {
        "Runs a train step on inputs given as .npy files, or evaluates the outputs.",
        "",
        "Initialises the variables (--seed), overwrites those in --restore, feeds the inputs and runs the train step --steps times (default 1; the model's only train block unless --train names one; --steps 0 or a model without train blocks only evaluates). Fetches are the values computed in the last step, before its update, written as .npy; without --fetch every declared output is printed. --save writes every variable, slot and non-slot variable (SafeTensors).",
        ""})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "a .descent file, or a jar from descent compile -o") Path model;
    @Option(names = "--feed", paramLabel = "NAME=FILE.npy", description = "an input's value") List<String> feedArgs = List.of();
    @Option(names = "--fetch", paramLabel = "NAME=FILE.npy", description = "write a value computed by the model") List<String> fetchArgs = List.of();
    @Option(names = "--restore", paramLabel = "CKPT.safetensors") Path restore;
    @Option(names = "--save", paramLabel = "CKPT.safetensors") Path save;
    @Option(names = "--seed", paramLabel = "S", description = "seed for initializers without their own (default 0)") long seed;
    @Option(names = "--train", paramLabel = "NAME", description = "train block to run") String train;
    @Option(names = "--steps", paramLabel = "N", description = "train steps to run (default 1; 0 evaluates only)") Integer steps;
    @Option(names = "--backend", paramLabel = "B", description = Backends.HELP) Backends backend;
    @Option(names = "--precision", paramLabel = "P", description = "F32 (default) or F64 (runs on the interpreter)") Precision precision = Precision.F32;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        ModelArgument argument = ModelArgument.read(model, backend, precision);
        Model m = argument.model();
        if (steps != null && steps < 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--steps must not be negative, got " + steps);
        String block = trainBlock(m);
        int n = block == null ? 0 : steps == null ? 1 : steps;
        Map<String, Path> feeds = namedFiles("--feed", feedArgs), fetches = namedFiles("--fetch", fetchArgs);
        // Read and validate every file, and check every output path, before anything is computed or written.
        // A feed is converted to its input's dtype as the data of descent train is (i64 labels to i32, ...).
        Map<String, Tensor> feedValues = new LinkedHashMap<>();
        feeds.forEach((name, file) -> {
            Tensor value = Npy.read(file);
            Model.InputInfo input = m.input(name);
            if (input != null) DataLoader.checkFitsF32(value, input.type().dtype(), file.toString(), name);
            feedValues.put(name, input == null ? value : DataLoader.convert(value, input.type().dtype(), file.toString(), name));
        });
        // Labels and ids out of their op's range are refused by file and input, as descent train's data is (the op
        // itself would report only their position in the batch).
        List<String> names = new ArrayList<>(fetches.isEmpty() ? m.outputs().keySet() : fetches.keySet());
        descent.cli.data.ModelFacts facts = new descent.cli.data.ModelFacts(m);
        List<Integer> fetched = descent.compiler.interp.Session.fetchNodes(m, names, block == null ? null : m.train(block));
        var ranges = facts.indexRanges(n == 0 ? fetched : facts.trainRoots(m.train(block), fetched));
        feedValues.forEach((name, value) -> {
            var range = ranges.get(name);
            if (range != null) DataLoader.checkRange(value, range, feeds.get(name).toString(), name);
        });
        Map<String, Path> outputs = new LinkedHashMap<>();
        fetches.forEach((name, file) -> outputs.put("--fetch " + name + "=" + file, file));
        if (save != null) outputs.put("--save " + save, save);
        OutputPaths.checkDistinct(spec.commandLine(), outputs);
        fetches.values().forEach(OutputPaths::checkWritable);
        if (save != null) OutputPaths.checkWritable(save);
        Map<String, Path> read = new LinkedHashMap<>();
        feeds.forEach((name, file) -> read.put("the --feed " + name + " file", file));
        read.put("the model", model);
        for (var f : fetches.entrySet()) OutputPaths.checkNotRead(spec.commandLine(), "--fetch " + f.getKey() + "=" + f.getValue(), f.getValue(), read);
        if (restore != null) {
            for (var f : fetches.entrySet()) OutputPaths.checkNotRead(spec.commandLine(), "--fetch " + f.getKey() + "=" + f.getValue(), f.getValue(), Map.of("the checkpoint", restore));
        }
        // --save may name the --restore checkpoint: the run continues it in place (written atomically).
        if (save != null) OutputPaths.checkNotRead(spec.commandLine(), "--save " + save, save, read);
        // The runtime API: either backend is a DescentModel behind the same calls.
        TrainingSession session = Backends.load(backend, argument, precision, spec.commandLine().getErr()).newSession(seed);
        if (restore != null) Restore.into(session, restore, List.of(), List.of(), spec.commandLine().getErr());
        Map<String, Tensor> values = Map.of();
        if (n == 0) {
            values = names.isEmpty() ? Map.of() : session.evaluate(feedValues, names);
        } else {
            for (int i = 0; i < n; i++) values = session.train(block, feedValues, names);
        }
        // Beside a checkpoint written to stdout, the values go to stderr.
        PrintWriter out = OutputPaths.isStdout(save) ? spec.commandLine().getErr() : spec.commandLine().getOut();
        if (fetches.isEmpty()) {
            for (var e : values.entrySet()) out.println(e.getKey() + " = " + Format.tensor(e.getValue()));
        } else {
            for (var e : fetches.entrySet()) Npy.write(e.getValue(), values.get(e.getKey()));
        }
        if (save != null) session.save(save);
        out.flush();
        return Main.OK;
    }

    /** The train block to run, or null to evaluate only. */
    private String trainBlock(Model m) {
        if (train != null) {
            if (m.train(train) == null) {
                throw new DescentException("model " + m.name() + " has no train block `" + train + "`"
                        + (m.trains().isEmpty() ? "" : " (train blocks: " + names(m) + ")"));
            }
            return steps != null && steps == 0 ? null : train;
        }
        if (m.trains().isEmpty() || steps != null && steps == 0) return null;
        if (m.trains().size() > 1) {
            throw new DescentException("model " + m.name() + " has train blocks " + names(m)
                    + ": choose one with --train NAME, or evaluate only with --steps 0");
        }
        return m.trains().get(0).name();
    }

    private static String names(Model m) { return String.join(", ", m.trains().stream().map(TrainStep::name).toList()); }

    /** {@code NAME=FILE} arguments of {@code option}, in order; a malformed or repeated one is a usage error. */
    private Map<String, Path> namedFiles(String option, List<String> args) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String problem = eq <= 0 ? option + " takes NAME=FILE.npy, not `" + arg + "`"
                    : eq == arg.length() - 1 ? option + " " + arg + " names no file after `=`"
                    : out.containsKey(arg.substring(0, eq)) ? option + " " + arg.substring(0, eq) + " is given twice"
                    : null;
            if (problem != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), problem);
            out.put(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
        }
        return out;
    }
}
