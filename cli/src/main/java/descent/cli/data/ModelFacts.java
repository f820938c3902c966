package descent.cli.data;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import descent.compiler.ir.Op;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.TrainStep;
import descent.runtime.DescentException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code descent train} and {@code descent predict} need to know about a checked model: which inputs
 * hold one entry per data row, which inputs a computation needs, the name under which a train block's loss
 * can be fetched, and whether the model is a classifier.
 *
 * <p><b>Per-row inputs.</b> An input whose first dimension is symbolic ({@code x: f32[batch, 2]}) holds one
 * entry per data row; batches bind that dimension. An input without one ({@code lr: f32[]}) is fed whole in
 * every step.
 *
 * <p><b>Classifiers.</b> A train block is a classifier when its loss is computed (anywhere upstream) by
 * {@code sparse_softmax_cross_entropy_with_logits(labels=L, logits=Z)} where {@code L} is an integer input of
 * shape {@code [batch]} and {@code Z} is a value of shape {@code [batch, classes]} that has a name in the
 * model (an assigned name or an output). Accuracy is then the fraction of rows whose argmax of {@code Z}
 * (the first maximum on ties) equals the label. Nothing else — output names included — makes a model a
 * classifier.
 */
public final class ModelFacts {
    private final Model model;

    public ModelFacts(Model model) { this.model = model; }

    public Model model() { return model; }

    /** True if {@code input}'s first dimension is symbolic: it holds one entry per data row. */
    public static boolean perRow(TensorType type) { return type.rank() >= 1 && type.shape().dim(0).isSymbolic(); }

    public List<Model.InputInfo> inputs() { return model.inputs(); }

    public Model.InputInfo input(String name) { return model.input(name); }

    /** The inputs (in declaration order) that computing {@code nodes} reads. */
    public Set<String> inputsNeededBy(List<Integer> nodes) {
        BitSet need = neededBy(nodes);
        Set<String> out = new LinkedHashSet<>();
        for (Model.InputInfo in : model.inputs()) if (need.get(in.node())) out.add(in.name());
        return out;
    }

    /** The variables whose values the given nodes read. */
    public Set<String> variablesNeededBy(List<Integer> nodes) {
        BitSet need = neededBy(nodes);
        Set<String> out = new LinkedHashSet<>();
        for (Model.VariableInfo v : model.variables()) if (need.get(v.node())) out.add(v.name());
        return out;
    }

    private BitSet neededBy(List<Integer> nodes) {
        Graph g = model.graph();
        BitSet need = new BitSet();
        for (int n : nodes) need.set(n);
        for (int id = g.size() - 1; id >= 0; id--) {
            if (need.get(id)) for (int in : g.node(id).inputs()) need.set(in);
        }
        return need;
    }

    /** What one call of train block {@code step} computes from: its updates, its loss and {@code extra}. */
    public List<Integer> trainRoots(TrainStep step, List<Integer> extra) {
        List<Integer> nodes = new ArrayList<>(extra);
        for (TrainStep.Update u : step.updates()) nodes.add(u.value());
        if (step.lossNode() >= 0) nodes.add(step.lossNode());
        return nodes;
    }

    /** A name under which node {@code id} can be fetched: an output, then an assigned name ({@code loss} first), or null. */
    public String nameOf(int id) {
        for (var e : model.outputs().entrySet()) if (e.getValue() == id && e.getKey().equals("loss")) return e.getKey();
        for (var e : model.outputs().entrySet()) if (e.getValue() == id) return e.getKey();
        if (model.names().get("loss") != null && model.names().get("loss") == id) return "loss";
        for (var e : model.names().entrySet()) if (e.getValue() == id) return e.getKey();
        return null;
    }

    /** The fetch name of train block {@code step}'s loss. */
    public String lossName(TrainStep step) {
        if (step.lossNode() < 0) {
            throw new DescentException("train block `" + step.name() + "` minimizes no loss that descent train can report"
                    + " (it applies given gradients); use descent run");
        }
        String name = nameOf(step.lossNode());
        if (name != null) return name;
        for (var e : step.locals().entrySet()) if (e.getValue() == step.lossNode()) return step.name() + "/" + e.getKey();
        throw new DescentException("the loss of train block `" + step.name() + "` has no name; assign it first"
                + " (loss = ...) and minimize(loss), so that it can be reported");
    }


    /** A classifier's labels input and fetchable logits, per the rule in the class comment. */
    public record Classifier(String labels, String logits, int node) {}

    /** The values an integer input may hold, [0, limit), and the op that says so (for messages). */
    public record IndexRange(long limit, String why) {}

    /**
     * The integer inputs used directly as class labels (sparse_softmax_cross_entropy_with_logits) or as ids of a
     * lookup (gather, embedding_lookup) along a static dimension, among the ops computing {@code roots}, with their
     * ranges (the narrowest when several ops use one input). Data is checked against them when loaded, so a bad label is reported by its file and
     * row before training starts rather than by its position in a shuffled batch steps later.
     */
    public Map<String, IndexRange> indexRanges(List<Integer> roots) {
        Graph g = model.graph();
        BitSet computed = neededBy(roots);
        Map<String, IndexRange> out = new LinkedHashMap<>();
        for (int id = 0; id < g.size(); id++) {
            if (!computed.get(id)) continue;   // an op the call does not compute puts no bound on its data
            var node = g.node(id);
            int index, bounded, axis;
            String what;
            if (node.op() instanceof Op.SparseSoftmaxXent) {
                index = node.input(0);
                bounded = node.input(1);
                axis = g.node(bounded).type().rank() - 1;
                what = "classes";
            } else if (node.op() instanceof Op.Gather gather) {
                index = node.input(1);
                bounded = node.input(0);
                axis = gather.axis();
                what = axis == 0 ? "rows" : "entries along axis " + axis;
            } else {
                continue;
            }
            if (!(g.node(index).op() instanceof Op.Input in) || g.node(index).type().dtype().isFloating()) continue;
            TensorType type = g.node(bounded).type();
            if (axis < 0 || axis >= type.rank() || type.shape().dim(axis).isSymbolic()) continue;
            long limit = type.shape().dim(axis).size();
            String name = nameOf(bounded);
            IndexRange range = new IndexRange(limit, "the " + limit + " " + what + " of " + (name == null ? type.toString() : "`" + name + "`"));
            out.merge(in.name(), range, (a, b) -> a.limit() <= b.limit() ? a : b);
        }
        return out;
    }

    /** The classifier behind train block {@code step}'s loss, or null if it is not one. */
    public Classifier classifier(TrainStep step) {
        if (step.lossNode() < 0) return null;
        Graph g = model.graph();
        BitSet need = new BitSet();
        need.set(step.lossNode());
        for (int id = step.lossNode(); id >= 0; id--) {
            if (!need.get(id)) continue;
            var node = g.node(id);
            for (int in : node.inputs()) need.set(in);
            if (!(node.op() instanceof Op.SparseSoftmaxXent)) continue;
            var labels = g.node(node.input(0));
            var logits = g.node(node.input(1));
            if (!(labels.op() instanceof Op.Input in)) continue;
            TensorType lt = labels.type(), zt = logits.type();
            if (lt.dtype().isFloating() || lt.rank() != 1 || !perRow(lt)) continue;
            if (zt.rank() != 2 || !zt.shape().dim(0).isSymbolic()) continue;
            String name = nameOf(logits.id());
            if (name == null) continue;
            return new Classifier(in.name(), name, logits.id());
        }
        return null;
    }

    /** The fetchable names of the model's outputs, for messages. */
    public String outputsText() {
        List<String> parts = new ArrayList<>();
        model.outputs().forEach((n, id) -> parts.add(n + " " + model.graph().type(id)));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    /** Inputs as {@code x f32[batch, 2], labels i32[batch]}, for messages. */
    public String inputsText() {
        return String.join(", ", model.inputs().stream().map(i -> i.name() + " " + i.type()).toList());
    }

    /** For messages and checks: does a data tensor's shape fit a per-row input (rank and fixed dimensions)? */
    static String shapeMismatch(TensorType type, int[] shape) {
        List<Dim> dims = type.shape().dims();
        if (shape.length != dims.size()) return "rank " + shape.length + ", expected " + dims.size();
        for (int i = 1; i < dims.size(); i++) {
            if (!dims.get(i).isSymbolic() && dims.get(i).size() != shape[i]) {
                return "dimension " + i + " is " + shape[i] + ", expected " + dims.get(i).size();
            }
        }
        return null;
    }
}
