package descent.cli;

import descent.cli.data.DataLoader;
import descent.cli.data.Dataset;
import descent.cli.data.ModelFacts;
import descent.cli.data.OutputPaths;
import descent.cli.data.Shuffle;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Npy;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "predict", sortOptions = false, mixinStandardHelpOptions = true, description = {
        "Evaluates one output of a trained model over a data set, in batches.",
        "",
        "Restores a checkpoint, evaluates one output (default: the model's first) over all rows of the data, in order and in batches of --batch-size, and writes it concatenated over the rows to a .npy file. --data is read as by descent train; only the inputs the output needs must be present (a CSV file may keep its label column).",
        ""})
final class PredictCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "a .descent file, or a jar from descent compile -o") Path model;
    @Option(names = "--restore", paramLabel = "CKPT", required = true, description = "checkpoint holding the trained state") Path restore;
    @Option(names = "--data", paramLabel = "PATH", required = true,
            description = "directory of NAME.npy, a .npy file, or a .csv file with a header row") Path data;
    @Option(names = "--out", paramLabel = "FILE.npy", required = true, description = "where to write the output") Path out;
    @Option(names = "--output", paramLabel = "NAME", description = "output to write (default: the model's first)") String output;
    @Option(names = "--batch-size", paramLabel = "B", description = "rows per evaluation (default 256)") int batchSize = 256;
    @Option(names = "--backend", paramLabel = "B", description = Backends.HELP)
    Backends backend;
    @Option(names = "--precision", paramLabel = "P", description = "F32 (default) or F64 (runs on the interpreter)") Precision precision = Precision.F32;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        if (batchSize < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1, got " + batchSize);
        ModelArgument argument = ModelArgument.read(model, backend, precision);
        Model m = argument.model();
        ModelFacts facts = new ModelFacts(m);
        String name = output;
        if (name == null) {
            if (m.outputs().isEmpty()) throw new DescentException("model " + m.name() + " declares no output; name a value with --output NAME");
            name = m.outputs().keySet().iterator().next();
        }
        Integer node = m.outputs().containsKey(name) ? m.outputs().get(name) : m.names().get(name);
        if (node == null) {
            throw new DescentException("model " + m.name() + " has no output `" + name + "` (outputs: " + facts.outputsText() + ")");
        }
        TensorType type = m.graph().type(node);
        if (!ModelFacts.perRow(type)) {
            throw new DescentException("`" + name + "` is " + type + ", with no batch dimension: predict writes one entry per"
                    + " data row (outputs: " + facts.outputsText() + ")");
        }
        OutputPaths.checkWritable(out);
        OutputPaths.checkNotRead(spec.commandLine(), "--out " + out, out, Map.of("the data", data, "the checkpoint", restore, "the model", model));
        Set<String> needed = facts.inputsNeededBy(List.of(node));
        Dataset dataset = DataLoader.load(data, facts, needed, facts.indexRanges(List.of(node)), false, "");
        if (dataset.rows() == 0) throw new DescentException(data + ": the data has no rows");
        TrainingSession session = Backends.load(backend, argument, precision, spec.commandLine().getErr()).newSession(0);
        PrintWriter err = spec.commandLine().getErr();
        Restore.into(session, restore, facts.variablesNeededBy(List.of(node)), List.of(), err);
        int rows = dataset.rows();
        int[] order = Shuffle.identity(rows);
        Object result = null;
        int[] rowShape = null;
        int width = 0;
        DType dtype = type.dtype();
        for (int from = 0; from < rows; from += batchSize) {
            int to = Math.min(rows, from + batchSize);
            Map<String, Tensor> feeds = dataset.feeds(order, from, to);
            Tensor v = session.evaluate(feeds, List.of(name)).get(name);
            int[] s = v.shape();
            if (s.length == 0 || s[0] != to - from) {
                throw new DescentException("`" + name + "` has shape " + Tensor.shapeString(s) + " for a batch of " + (to - from)
                        + " rows; predict writes outputs with one entry per row");
            }
            int[] rest = Arrays.copyOfRange(s, 1, s.length);
            if (result == null) {
                rowShape = rest;
                width = (int) Tensor.elementCount(rest);
                result = newArray(dtype, Math.multiplyExact(rows, width));
            } else if (!Arrays.equals(rest, rowShape)) {
                throw new DescentException("`" + name + "` has rows of shape " + Tensor.shapeString(rest) + " in one batch and "
                        + Tensor.shapeString(rowShape) + " in another; they cannot be concatenated");
            }
            System.arraycopy(v.data(), 0, result, from * width, (to - from) * width);
        }
        int[] shape = new int[rowShape.length + 1];
        shape[0] = rows;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        Tensor all = switch (dtype) {
            case F32 -> Tensor.of((float[]) result, shape);
            case F64 -> Tensor.of((double[]) result, shape);
            case I32 -> Tensor.of((int[]) result, shape);
            case I64 -> Tensor.of((long[]) result, shape);
        };
        Npy.write(out, all);
        PrintWriter o = OutputPaths.isStdout(out) ? spec.commandLine().getErr() : spec.commandLine().getOut();
        o.println("wrote " + name + " " + dtype + Tensor.shapeString(shape) + " for " + rows + (rows == 1 ? " row of " : " rows of ")
                + data + " to " + out);
        o.flush();
        return Main.OK;
    }

    private static Object newArray(DType dtype, int n) {
        return switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
        };
    }
}
