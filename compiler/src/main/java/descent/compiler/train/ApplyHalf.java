package descent.compiler.train;

import descent.compiler.interp.Interpreter;
import descent.compiler.ir.Dim;
import descent.compiler.ir.Grad;
import descent.compiler.ir.Graph;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Model;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.TrainStep;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import descent.runtime.api.Gradient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The second half of a train step as {@code applyGradients} runs it: the step's updates rebuilt on gradients
 * given from outside.
 *
 * <p>TF's apply_gradients takes each IndexedSlices at whatever length it comes: once a data-parallel
 * aggregation has concatenated workers' slices or summed their duplicates, each variable's length is its own,
 * unrelated to the batch. In the step's graph an IndexedSlices has its ids' shape ({@code [batch, 8]} ids give
 * values {@code [batch, 8, 64]}), so here each sparse gradient is a pair of fresh inputs, indices {@code [n]} and
 * values {@code [n, row...]}, with a length symbol of its own ({@code len(w)}), and the nodes of the update that
 * read them are rebuilt at that length. Dense gradients are given as the nodes the step computes them in. Both
 * backends run this half; {@link #given} checks what a caller passes and puts it into the shape of the inputs.
 *
 * @param model  the model with the rebuilt nodes appended to its graph
 * @param step   the train step whose gradients and updates are those nodes
 * @param sparse each sparse gradient's inputs, by variable
 */
public record ApplyHalf(Model model, TrainStep step, Map<String, SparseInputs> sparse) {

    /** The inputs standing for one IndexedSlices gradient, at a length bound to {@code symbol}. */
    public record SparseInputs(int values, int indices, String symbol) {}

    /** What a call gives, checked: a value per given node, and each sparse gradient's length. */
    public record Given(Map<Integer, Tensor> values, Map<String, Integer> bindings) {}

    /** The nodes a call gives values for: each dense gradient's node and each sparse gradient's two inputs. */
    public java.util.Set<Integer> givenNodes() {
        java.util.Set<Integer> nodes = new java.util.LinkedHashSet<>();
        for (var e : step.gradients()) {
            switch (e.grad()) {
                case Grad.Dense d -> nodes.add(d.node());
                case Grad.Sliced s -> { nodes.add(s.values()); nodes.add(s.indices()); }
                case Grad.None n -> { }
            }
        }
        return nodes;
    }

    /** The apply half of {@code step} in {@code model}. */
    public static ApplyHalf of(Model model, TrainStep step) {
        Graph g = model.graph();
        GraphBuilder b = new GraphBuilder(g);
        Map<String, SparseInputs> sparse = new LinkedHashMap<>();
        // The step's sparse gradients by variable: a variable two optimizers update has two, from one call's input.
        Map<String, List<Grad.Sliced>> sliced = new HashMap<>();
        // What every rebuilt node reads instead of a gradient node: dense gradients as they are, sparse values as
        // their inputs, and indices as their variable's inputs where only one variable's gradients have them.
        Map<Integer, Integer> given = new HashMap<>();
        Map<Integer, java.util.Set<String>> indicesOf = new HashMap<>();
        Map<String, Integer> prefixes = new HashMap<>();   // by length symbol: the rank of the ids it replaces
        List<TrainStep.GradientEntry> gradients = new ArrayList<>();
        for (var e : step.gradients()) {
            String v = e.variable();
            switch (e.grad()) {
                case Grad.Dense d -> { given.put(d.node(), d.node()); gradients.add(e); }
                case Grad.None n -> gradients.add(e);
                case Grad.Sliced s -> {
                    SparseInputs in = sparse.computeIfAbsent(v, k -> inputs(b, g, k, s));
                    prefixes.putIfAbsent(in.symbol(), g.type(s.indices()).rank());
                    sliced.computeIfAbsent(v, k -> new ArrayList<>()).add(s);
                    given.put(s.values(), in.values());
                    indicesOf.computeIfAbsent(s.indices(), k -> new java.util.TreeSet<>()).add(v);
                    gradients.add(new TrainStep.GradientEntry(v, new Grad.Sliced(in.values(), in.indices(), s.denseShape())));
                }
            }
        }
        java.util.Set<Integer> shared = new java.util.HashSet<>();   // ids two tables are looked up with
        indicesOf.forEach((node, vars) -> {
            if (vars.size() == 1) given.put(node, sparse.get(vars.iterator().next()).indices());
            else shared.add(node);
        });
        // Each update is rebuilt on the given gradients; shared ids stand for the inputs of the variable whose update
        // (or whose slot's) it is. Updates that read no gradient (Adam's beta powers, the global step) stay as they are.
        Map<String, Rebuild> byOwner = new HashMap<>();
        List<TrainStep.Update> updates = new ArrayList<>();
        for (TrainStep.Update u : step.updates()) {
            String owner = owner(model, u.state());
            // Only shared ids make a variable's updates differ from the rest; without them one rebuild serves all, so a
            // node several updates read (a learning rate from the gradients' norm) is built and computed once.
            String key = !shared.isEmpty() && owner != null && sliced.containsKey(owner) ? owner : "";
            Rebuild r = byOwner.computeIfAbsent(key, k -> {
                Map<Integer, Integer> subst = new HashMap<>(given);
                if (!k.isEmpty()) for (Grad.Sliced s : sliced.get(k)) subst.put(s.indices(), sparse.get(k).indices());
                return new Rebuild(g, b, step.firstNode(), subst, shared, prefixes);
            });
            updates.add(new TrainStep.Update(u.state(), r.node(u.value())));
        }
        TrainStep half = new TrainStep(step.name(), step.span(), step.lossNode(), step.gate(), step.aggregation(), updates, gradients,
                step.rawGradients(), step.groups(), step.slots(), step.optimizers(), step.globalStep(), step.locals(), step.firstNode(),
                step.lockedState());
        List<TrainStep> trains = model.trains().stream().map(t -> t == step ? half : t).toList();
        Model m = new Model(model.name(), b.build(), model.inputs(), model.variables(), model.outputs(), model.names(), trains);
        return new ApplyHalf(m, half, sparse);
    }

    /** Variable {@code v}'s sparse gradient inputs: indices {@code [len(v)]}, values {@code [len(v), row...]}. */
    private static SparseInputs inputs(GraphBuilder b, Graph g, String v, Grad.Sliced s) {
        String symbol = "len(" + v + ")";
        List<Dim> rows = new ArrayList<>(List.of(Dim.sym(symbol)));
        List<Dim> var = s.denseShape().dims();
        rows.addAll(var.subList(1, var.size()));
        int indices = b.input(v + ":indices", new TensorType(g.type(s.indices()).dtype(), new Shape(List.of(Dim.sym(symbol)))));
        int values = b.input(v + ":values", new TensorType(g.type(s.values()).dtype(), new Shape(rows)));
        return new SparseInputs(values, indices, symbol);
    }

    /** The variable whose gradient a state's update follows: the variable itself, or a slot's primary. */
    private static String owner(Model model, String state) {
        Model.VariableInfo v = model.variable(state);
        return switch (v.role()) {
            case VARIABLE -> v.name();
            case SLOT -> v.primary();
            case NON_SLOT -> null;
        };
    }

    /**
     * Copies of the update nodes that read given gradients, built on the inputs instead: elementwise ops, reductions
     * over every axis (a global norm), gathers, scatters, dedup_sum and first_occurrence, what optimizers and
     * hyperparameters computed from the gradients are made of. Values of the forward pass are read as they are.
     * Another op over a rebuilt value is an internal error.
     */
    private static final class Rebuild {
        private final Graph g;
        private final GraphBuilder b;
        private final int firstNode;
        /** Each node visited, to its copy (or itself, when it reads nothing rebuilt). */
        private final Map<Integer, Integer> done;
        /** Ids two tables are looked up with: which inputs they stand for depends on the update. */
        private final java.util.Set<Integer> shared;
        /** By length symbol: the rank of the ids it replaces ({@code [batch, 8]}: 2). */
        private final Map<String, Integer> prefixes;

        Rebuild(Graph g, GraphBuilder b, int firstNode, Map<Integer, Integer> subst, java.util.Set<Integer> shared, Map<String, Integer> prefixes) {
            this.g = g;
            this.b = b;
            this.firstNode = firstNode;
            this.done = new HashMap<>(subst);
            this.shared = shared;
            this.prefixes = prefixes;
        }

        int node(int id) {
            Integer d = done.get(id);
            if (d != null) return d;
            if (shared.contains(id)) throw new IllegalStateException("%" + id + ", the ids of several sparse gradients, read outside their updates");
            if (id < firstNode) return id;   // the forward pass: computed from the feeds, as in the whole step
            Node n = g.node(id);
            List<Integer> in = new ArrayList<>();
            boolean changed = false;
            for (int i : n.inputs()) {
                int r = node(i);
                changed |= r != i;
                in.add(r);
            }
            int out = changed ? rebuilt(n, in) : id;
            done.put(id, out);
            return out;
        }

        private int rebuilt(Node n, List<Integer> in) {
            int[] ins = in.stream().mapToInt(Integer::intValue).toArray();
            DType dtype = n.type().dtype();
            try {
                return switch (n.op()) {
                    case Op.Unary u -> b.add(u, new TensorType(dtype, b.shape(ins[0])), ins);
                    case Op.Cast c -> b.add(c, new TensorType(dtype, b.shape(ins[0])), ins);
                    case Op.Identity i -> b.add(i, b.type(ins[0]), ins);
                    case Op.StopGradient s -> b.add(s, b.type(ins[0]), ins);
                    case Op.Binary x -> elementwise(n, in);
                    case Op.Select x -> elementwise(n, in);
                    case Op.AddN x -> elementwise(n, in);
                    case Op.Gather x when b.shape(ins[0]).equals(g.type(n.input(0)).shape()) && (x.axis() == 0 || ins[1] == n.input(1)) ->
                            b.gather(ins[0], ins[1], x.axis());
                    case Op.DedupSum x -> b.add(x, b.type(ins[0]), ins);
                    case Op.FirstOccurrence x -> b.add(x, new TensorType(dtype, b.shape(ins[0])), ins);
                    case Op.ScatterUpdate x -> b.add(x, n.type(), ins);
                    case Op.ScatterAccumulate x -> b.add(x, n.type(), ins);
                    // Over every axis (a norm, say): the same over the rebuilt operand's axes.
                    case Op.Reduce x when !x.keepDims() && x.axes().size() == g.type(n.input(0)).rank() ->
                            b.reduce(x.fn(), ins[0], java.util.stream.IntStream.range(0, b.shape(ins[0]).rank()).toArray(), false);
                    default -> throw new IllegalStateException(n.op().mnemonic() + " (%" + n.id() + ") reads a sparse gradient");
                };
            } catch (IrException e) {
                throw new IllegalStateException("%" + n.id() + ": " + e.getMessage(), e);
            }
        }

        /**
         * An elementwise op. Over rows (its result has the new length), an operand not rebuilt may broadcast
         * over a row's axes, never over the ids' axes the length replaces; otherwise the result keeps its shape.
         */
        private int elementwise(Node n, List<Integer> in) {
            Shape out = Shape.SCALAR;
            for (int i : in) {
                out = Shape.broadcast(out, b.shape(i));
                if (out == null) throw new IllegalStateException("%" + n.id() + "'s operands no longer broadcast");
            }
            int prefix = out.dims().stream().filter(d -> d.isSymbolic() && prefixes.containsKey(d.symbol()))
                    .mapToInt(d -> prefixes.get(d.symbol())).findFirst().orElse(-1);
            boolean rows = prefix >= 0 && !out.equals(n.type().shape());
            for (int k = 0; k < in.size(); k++) {
                int i = in.get(k);
                if (rows && i == n.input(k) && g.type(i).rank() > n.type().rank() - prefix) {
                    throw new IllegalStateException("%" + n.id() + " broadcasts %" + i + " over a sparse gradient's ids");
                }
            }
            if (!rows && !out.equals(n.type().shape())) throw new IllegalStateException("%" + n.id() + " changes shape");
            return b.add(n.op(), new TensorType(n.type().dtype(), out), in.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /**
     * Checks {@code gradients} (one per optimized variable, as {@code computeGradients} returns them) and
     * gives each the shape of its input: an IndexedSlices' indices may have any rank (flattened to one
     * axis), its values the indices' shape followed by a row of the variable, and its length is its own.
     */
    public Given given(String train, Map<String, Gradient> gradients) {
        Map<Integer, Tensor> values = new LinkedHashMap<>();
        Map<String, Integer> bindings = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        Graph g = model.graph();
        for (var e : step.gradients()) {
            Gradient given = gradients.get(e.variable());
            String what = "gradient of `" + e.variable() + "`";
            Model.VariableInfo variable = model.variable(e.variable());
            switch (e.grad()) {
                case Grad.Dense d -> {
                    if (!(given instanceof Gradient.Dense dense)) {
                        throw new DescentException(what + " must be a dense tensor" + (given == null ? ", and is missing" : ""));
                    }
                    Interpreter.checkValue("the " + what, "the " + what, "the tensor given", g.type(d.node()), dense.value(), bindings, boundBy);
                    values.put(d.node(), dense.value());
                }
                case Grad.Sliced s -> {
                    if (!(given instanceof Gradient.Slices sl)) {
                        throw new DescentException(what + " must be IndexedSlices" + (given == null ? ", and is missing" : ""));
                    }
                    Interpreter.checkDenseShape(what, e.variable(), variable.type(), sl.denseShape());
                    Tensor indices = sl.indices(), rows = sl.values();
                    if (indices == null || rows == null) throw new DescentException(what + " has null " + (indices == null ? "indices" : "values"));
                    if (indices.dtype() != DType.I32 && indices.dtype() != DType.I64) {
                        throw new DescentException(what + ": indices are " + indices.dtype() + "; they must be i32 or i64");
                    }
                    if (indices.rank() == 0) throw new DescentException(what + ": indices are a scalar; they must have at least one axis");
                    if (rows.dtype() != variable.type().dtype()) {
                        throw new DescentException(what + ": values are " + rows.dtype() + " but `" + e.variable() + "` is " + variable.type());
                    }
                    int[] varShape = variable.type().shape().concrete(Map.of());
                    int[] expected = new int[indices.rank() + varShape.length - 1];
                    System.arraycopy(indices.shape(), 0, expected, 0, indices.rank());
                    System.arraycopy(varShape, 1, expected, indices.rank(), varShape.length - 1);
                    if (!java.util.Arrays.equals(rows.shape(), expected)) {
                        throw new DescentException(what + ": values have shape " + Tensor.shapeString(rows.shape()) + " but indices of shape "
                                + Tensor.shapeString(indices.shape()) + " need values of shape " + Tensor.shapeString(expected)
                                + " (the indices' shape, then a row of `" + e.variable() + "`)");
                    }
                    Interpreter.checkSliceIndices(what, e.variable(), variable.type(), indices);
                    SparseInputs in = sparse.get(e.variable());
                    int n = indices.size();
                    int[] flat = expected.clone();
                    flat = java.util.Arrays.copyOfRange(flat, indices.rank() - 1, flat.length);
                    flat[0] = n;
                    values.put(in.indices(), asDtype(indices, g.type(in.indices()).dtype()).reshape(n));
                    values.put(in.values(), rows.reshape(flat));
                    bindings.put(in.symbol(), n);
                }
                case Grad.None n -> { }
            }
        }
        for (String name : gradients.keySet()) {
            if (step.gradients().stream().noneMatch(e -> e.variable().equals(name))) {
                throw new DescentException("train step `" + train + "` does not optimize `" + name + "` (it optimizes "
                        + String.join(", ", step.gradients().stream().map(TrainStep.GradientEntry::variable).toList()) + ")");
            }
        }
        return new Given(values, bindings);
    }

    /**
     * An IndexedSlices as TF's gradients hand it out: indices of one axis, values of one row per index (the step
     * computes them in its ids' shape, {@code [batch, 8]}; the data is the same, row-major).
     */
    public static Gradient.Slices flat(Tensor values, Tensor indices, int[] denseShape) {
        int n = indices.size();
        int[] rows = denseShape.clone();
        rows[0] = n;
        return new Gradient.Slices(values.reshape(rows), indices.reshape(n), denseShape);
    }

    /** Indices in the dtype the step reads them in (in range, so i64 → i32 loses nothing). */
    private static Tensor asDtype(Tensor indices, DType dtype) {
        if (indices.dtype() == dtype) return indices;
        int n = indices.size();
        if (dtype == DType.I32) {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = (int) indices.longs()[i];
            return Tensor.of(out, n);
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = indices.ints()[i];
        return Tensor.of(out, n);
    }
}
