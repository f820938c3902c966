package descent.cli;

import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.compiler.schedule.Plan;
import descent.compiler.schedule.Scheduler;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = {
        "Prints a model's signature and what each train block holds and needs.",
        "",
        "Inputs, outputs, variables with their bytes, and per train block its optimizers, slots, non-slot variables and plan summary.",
        ""})
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "a .descent file, or a jar from descent compile -o") Path model;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        Model m = ModelArgument.checked(model);
        PrintWriter out = spec.commandLine().getOut();
        out.println("model " + m.name());
        out.println("inputs:");
        for (Model.InputInfo i : m.inputs()) out.printf("  %-24s %s%n", i.name(), i.type());
        out.println("outputs:");
        for (var e : m.outputs().entrySet()) out.printf("  %-24s %s%n", e.getKey(), m.graph().type(e.getValue()));
        out.println("variables:");
        long total = 0;
        for (Model.VariableInfo v : m.variables()) {
            if (v.role() != Model.VariableInfo.Role.VARIABLE) continue;
            total += bytes(v);
            out.printf("  %-24s %-20s %10d bytes%s%n", v.name(), v.type(), bytes(v), v.trainable() ? "" : "  (not trainable)");
        }
        out.printf("  %-24s %-20s %10d bytes%n", "total", "", total);
        for (TrainStep t : m.trains()) {
            out.printf("train %s: %s, gate %s, aggregation %s, loss %s%s%n", t.name(), String.join(", ", t.optimizers()),
                    t.gate(), t.aggregation(), t.lossNode() >= 0 ? nameOf(m, t.lossNode()) : "?",
                    t.globalStep() != null ? ", increments " + t.globalStep() : "");
            long state = 0;
            for (Model.VariableInfo v : m.variables()) {
                if (v.role() == Model.VariableInfo.Role.VARIABLE || !updatedBy(t, v.name())) continue;
                state += bytes(v);
                String what = v.role() == Model.VariableInfo.Role.SLOT ? "slot \"" + v.slotName() + "\" of " + v.primary() : "non-slot";
                out.printf("  %-24s %-20s %10d bytes  %s%n", v.name(), v.type(), bytes(v), what);
            }
            out.printf("  %-24s %-20s %10d bytes%n", "optimizer state", "", state);
            List<Integer> fetches = new ArrayList<>(m.outputs().values());
            if (t.lossNode() >= 0 && !fetches.contains(t.lossNode())) fetches.add(t.lossNode());
            Plan p = Scheduler.schedule(m, t, fetches);
            out.printf("  plan: %d steps, peak buffers %d bytes (gradients %d), symbolic dimensions counted as 1%n",
                    p.steps().size(), p.peakBytes(), p.peakGradientBytes());
            for (int batch : new int[] {1, 32}) {
                var cost = descent.compiler.lower.Cost.of(m.graph(), descent.compiler.lower.Lowering.lower(m, p, fetches), batch);
                out.printf("  per step at batch %d: %d FLOPs, %d bytes moved%n", batch, cost.flops(), cost.bytes());
            }
            out.print("  peak buffer bytes by gate mode (batch 1):");
            for (TrainStep.GateMode mode : TrainStep.GateMode.values()) {
                TrainStep as = new TrainStep(t.name(), t.span(), t.lossNode(), mode, t.aggregation(), t.updates(), t.gradients(),
                        t.rawGradients(), t.groups(), t.slots(), t.optimizers(), t.globalStep(), t.locals(), t.firstNode(), t.lockedState());
                Plan q = Scheduler.schedule(m, as, fetches);
                out.printf(" %s %d (gradients %d)%s", mode, q.peakBytes(), q.peakGradientBytes(), mode == TrainStep.GateMode.GATE_GRAPH ? "" : ",");
            }
            out.println();
        }
        out.flush();
        return Main.OK;
    }

    private static boolean updatedBy(TrainStep t, String state) {
        return t.updates().stream().anyMatch(u -> u.state().equals(state));
    }

    private static long bytes(Model.VariableInfo v) {
        return Tensor.elementCount(v.type().shape().concrete(Map.of())) * v.type().dtype().byteSize();
    }

    private static String nameOf(Model m, int node) {
        String n = m.graph().node(node).name();
        return n != null ? n : "%" + node;
    }
}
