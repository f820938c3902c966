package descent.cli;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", description = "Prints a model's signature: inputs, outputs, variables with their bytes, train blocks.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL") Path model;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        Model m = Compiler.check(model);
        PrintWriter out = spec.commandLine().getOut();
        out.println("model " + m.name());
        out.println("inputs:");
        for (Model.InputInfo i : m.inputs()) out.printf("  %-16s %s%n", i.name(), i.type());
        out.println("outputs:");
        for (var e : m.outputs().entrySet()) out.printf("  %-16s %s%n", e.getKey(), m.graph().type(e.getValue()));
        out.println("variables:");
        long total = 0;
        for (Model.VariableInfo v : m.variables()) {
            long bytes = Tensor.elementCount(v.type().shape().concrete(Map.of())) * v.type().dtype().byteSize();
            total += bytes;
            out.printf("  %-16s %-20s %10d bytes%s%n", v.name(), v.type(), bytes, v.trainable() ? "" : "  (not trainable)");
        }
        out.printf("  %-16s %-20s %10d bytes%n", "total", "", total);
        out.println("train blocks:");
        for (descent.compiler.ir.TrainStep t : m.trains()) {
            out.printf("  %-16s loss=%s%n", t.name(), t.lossNode() >= 0 ? nameOf(m, t.lossNode()) : "?");
        }
        out.flush();
        return Main.OK;
    }

    private static String nameOf(Model m, int node) {
        String n = m.graph().node(node).name();
        return n != null ? n : "%" + node;
    }
}
