package descent.compiler.ir;

import descent.runtime.Initializer;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code descent compile --emit ir}: one node per line,
 * {@code %id name : type = op[attributes] inputs}, followed by the model's outputs and train blocks.
 */
public final class IrPrinter {
    private IrPrinter() {}

    /** The forward model ({@code --emit ir}): the nodes before the first train block, outputs, and the blocks' names. */
    public static String print(Model m) {
        StringBuilder sb = new StringBuilder("model ").append(m.name()).append('\n');
        int end = m.trains().isEmpty() ? m.graph().size() : m.trains().get(0).firstNode();
        for (int id = 0; id < end; id++) sb.append(line(m, m.graph().node(id))).append('\n');
        for (var e : m.outputs().entrySet()) sb.append("output ").append(e.getKey()).append(" = %").append(e.getValue()).append('\n');
        for (TrainStep t : m.trains()) sb.append("train ").append(t.name()).append('\n');
        return sb.toString();
    }

    /**
     * The whole training IR ({@code --emit grad}): every node, then per train block its gradients as
     * compute_gradients returned them and as applied, its slots and its updates.
     */
    public static String printTraining(Model m) {
        StringBuilder sb = new StringBuilder("model ").append(m.name()).append('\n');
        for (Node n : m.graph().nodes()) sb.append(line(m, n)).append('\n');
        for (var e : m.outputs().entrySet()) sb.append("output ").append(e.getKey()).append(" = %").append(e.getValue()).append('\n');
        for (TrainStep t : m.trains()) {
            sb.append("train ").append(t.name()).append(" loss=").append(t.lossNode() >= 0 ? "%" + t.lossNode() : "?")
                    .append(" gate=").append(t.gate()).append(" aggregation=").append(t.aggregation())
                    .append(" optimizers=").append(t.optimizers()).append('\n');
            for (TrainStep.GradientEntry g : t.rawGradients()) sb.append("  gradient ").append(g.variable()).append(" = ").append(grad(g.grad())).append('\n');
            for (TrainStep.GradientEntry g : t.gradients()) sb.append("  applied  ").append(g.variable()).append(" = ").append(grad(g.grad())).append('\n');
            t.slots().forEach((v, slots) -> slots.forEach((slot, state) ->
                    sb.append("  slot ").append(v).append(' ').append(slot).append(" = ").append(state).append('\n')));
            for (TrainStep.Update u : t.updates()) sb.append("  update ").append(u.state()).append(" <- %").append(u.value()).append('\n');
            if (t.globalStep() != null) sb.append("  global_step ").append(t.globalStep()).append('\n');
        }
        return sb.toString();
    }

    static String grad(Grad g) {
        return switch (g) {
            case Grad.Dense d -> "%" + d.node();
            case Grad.Sliced s -> "IndexedSlices(values=%" + s.values() + ", indices=%" + s.indices() + ", dense_shape=" + s.denseShape() + ")";
            case Grad.None n -> "None";
        };
    }

    public static String line(Model m, Node n) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-5s", "%" + n.id()));
        sb.append(String.format(" %-12s", n.name() == null ? "" : n.name()));
        sb.append(String.format(" : %-22s = ", n.type()));
        sb.append(n.op().mnemonic());
        // An f32 constant prints as the float it is (0.01, not 0.009999999776482582).
        if (n.op() instanceof Op.Const c && n.type().dtype() == descent.runtime.DType.F32) {
            float f = (float) c.value();
            sb.append('[').append(f == Math.rint(f) && Math.abs(f) < 1e7 ? String.valueOf((long) f) : Float.toString(f)).append(']');
        } else {
            sb.append(attributes(m, n.op()));
        }
        if (!n.inputs().isEmpty()) {
            sb.append(' ').append(n.inputs().stream().map(i -> "%" + i).collect(Collectors.joining(", ")));
        }
        return sb.toString().stripTrailing();
    }

    private static String attributes(Model m, Op op) {
        return switch (op) {
            case Op.Input i -> "";
            case Op.Variable v -> {
                Model.VariableInfo info = m == null ? null : m.variable(v.name());
                yield info == null ? "" : "[" + init(info.init()) + (info.trainable() ? "" : ", trainable=false") + "]";
            }
            case Op.Const c -> "[" + num(c.value()) + "]";
            case Op.LeakyRelu l -> "[alpha=" + num(l.alpha()) + "]";
            case Op.LeakyReluGrad l -> "[alpha=" + num(l.alpha()) + "]";
            case Op.MatMul mm -> mm.transposeA() || mm.transposeB()
                    ? "[" + (mm.transposeA() ? "transpose_a" : "") + (mm.transposeA() && mm.transposeB() ? ", " : "")
                      + (mm.transposeB() ? "transpose_b" : "") + "]" : "";
            case Op.Reduce r -> "[axes=" + r.axes() + (r.keepDims() ? ", keepdims" : "") + "]";
            case Op.Transpose t -> "[perm=" + t.perm() + "]";
            case Op.Concat c -> "[axis=" + c.axis() + "]";
            case Op.Slice s -> "[begin=" + s.begin() + "]";
            case Op.Pad p -> "[before=" + p.before() + "]";
            case Op.Tile t -> "[multiples=" + t.multiples() + "]";
            case Op.Gather ga -> ga.axis() == 0 ? "" : "[axis=" + ga.axis() + "]";
            case Op.ScatterAdd s -> s.axis() == 0 ? "" : "[axis=" + s.axis() + "]";
            case Op.OneHot o -> "[depth=" + o.depth() + (o.onValue() != 1 || o.offValue() != 0
                    ? ", on=" + num(o.onValue()) + ", off=" + num(o.offValue()) : "") + "]";
            case Op.DimSize d -> "[axes=" + d.axes() + "]";
            case Op.Cast c -> "[" + c.to() + "]";
            case Op.AddN a -> "[" + a.method() + "]";
            default -> "";
        };
    }

    static String init(Initializer i) {
        return switch (i) {
            case Initializer.Zeros z -> "zeros";
            case Initializer.Ones o -> "ones";
            case Initializer.Constant c -> c.values() == null ? "constant(" + num(c.value()) + ")"
                    : "constant(" + c.values().length + " values)";
            case Initializer.RandomUniform u -> "random_uniform(" + num(u.minval()) + ", " + num(u.maxval()) + seed(u.seed()) + ")";
            case Initializer.RandomNormal n -> "random_normal(" + num(n.mean()) + ", " + num(n.stddev()) + seed(n.seed()) + ")";
            case Initializer.TruncatedNormal n -> "truncated_normal(" + num(n.mean()) + ", " + num(n.stddev()) + seed(n.seed()) + ")";
            case Initializer.VarianceScaling v -> "variance_scaling(" + num(v.scale()) + ", " + v.mode() + ", " + v.distribution()
                    + seed(v.seed()) + ")";
        };
    }

    private static String seed(Long s) { return s == null ? "" : ", seed=" + s; }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.valueOf((long) v);
        return String.valueOf(v);
    }

    public static String nodes(List<Node> nodes) {
        return nodes.stream().map(n -> line(null, n)).collect(Collectors.joining("\n"));
    }
}
