package descent.compiler.autodiff;

import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 3 ({@code --emit grad}): appends, for each train block whose loss is known, the gradient of that
 * loss with respect to every trainable variable — what {@code compute_gradients} will hand the optimizer.
 */
public final class GradientPass {
    private GradientPass() {}

    /** A train block's gradients, by variable name. */
    public record Result(Model model, Map<String, Map<String, Grad>> gradients) {}

    public static Result run(Model m) {
        GraphBuilder b = new GraphBuilder(m.graph());
        Map<String, Map<String, Grad>> all = new LinkedHashMap<>();
        for (Model.TrainInfo t : m.trains()) {
            if (t.lossNode() < 0) continue;
            List<Integer> xs = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Model.VariableInfo v : m.variables()) {
                if (v.trainable() && v.type().dtype().isFloating()) { xs.add(v.node()); names.add(v.name()); }
            }
            b.at(t.span());
            List<Grad> gs = Autodiff.gradients(b, List.of(t.lossNode()), null, xs, t.aggregation());
            Map<String, Grad> byVar = new LinkedHashMap<>();
            for (int i = 0; i < xs.size(); i++) byVar.put(names.get(i), gs.get(i));
            all.put(t.name(), byVar);
        }
        Model out = new Model(m.name(), b.build(), m.inputs(), m.variables(), m.outputs(), m.names(), m.trains());
        return new Result(out, all);
    }

    public static String print(Result r) {
        StringBuilder sb = new StringBuilder(descent.compiler.ir.IrPrinter.print(r.model()));
        r.gradients().forEach((train, grads) -> {
            sb.append("gradients ").append(train).append('\n');
            grads.forEach((v, g) -> sb.append("  d/d").append(v).append(" = ").append(switch (g) {
                case Grad.Dense d -> "%" + d.node();
                case Grad.Sliced s -> "IndexedSlices(values=%" + s.values() + ", indices=%" + s.indices()
                        + ", dense_shape=" + s.denseShape() + ")";
                case Grad.None n -> "None";
            }).append('\n'));
        });
        return sb.toString();
    }

}
