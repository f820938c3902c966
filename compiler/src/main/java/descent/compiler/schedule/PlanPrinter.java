package descent.compiler.schedule;

import descent.compiler.ir.Graph;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code descent compile --emit plan}: each step on a line with the buffers it frees, then the peaks.
 * Buffer sizes count symbolic dimensions as 1.
 */
public final class PlanPrinter {
    private PlanPrinter() {}

    public static String print(Model m, Plan p) {
        Graph g = m.graph();
        StringBuilder sb = new StringBuilder();
        sb.append("plan ").append(p.train() == null ? "(evaluation)" : p.train());
        if (p.train() != null) sb.append(" gate=").append(p.gate()).append(" aggregation=").append(p.aggregation());
        sb.append('\n');
        List<List<Integer>> frees = new ArrayList<>();
        for (int i = 0; i < p.steps().size(); i++) frees.add(new ArrayList<>());
        for (int id = 0; id < p.lastUse().length; id++) if (p.lastUse()[id] >= 0) frees.get(p.lastUse()[id]).add(id);
        for (int i = 0; i < p.steps().size(); i++) {
            String line = switch (p.steps().get(i)) {
                case Plan.Step.Compute c -> IrPrinter.line(m, g.node(c.node()));
                case Plan.Step.Write w -> "write " + w.state() + " <- %" + w.value();
                case Plan.Step.Barrier b -> "barrier (" + b.reason() + ")";
            };
            sb.append(String.format("%4d  %s", i, line));
            List<Integer> f = frees.get(i);
            if (!f.isEmpty()) {
                sb.append("   ; frees ");
                for (int k = 0; k < f.size(); k++) sb.append(k == 0 ? "" : " ").append('%').append(f.get(k));
            }
            sb.append('\n');
        }
        sb.append("peak buffer bytes ").append(p.peakBytes()).append(", of which gradients ").append(p.peakGradientBytes())
                .append(" (symbolic dimensions counted as 1)\n");
        return sb.toString();
    }

}
