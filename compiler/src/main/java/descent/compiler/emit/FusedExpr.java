package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A fused elementwise expression, what {@link ElementwiseEmitter} compiles into one loop: a DAG of
 * {@link ExprNode}s in topological order (every operand index is smaller than the node's own), over
 * {@code inputs.size()} input arrays with the given broadcasts, writing the values of the nodes
 * listed in {@code outputs} (several fused results, e.g. an optimizer's var, m and v, in one pass).
 * All values are f32, or all f64 when {@code f64} is set; comparisons yield 1 or 0.
 */
public record FusedExpr(List<InputKind> inputs, List<ExprNode> nodes, List<Integer> outputs, boolean f64) {

    /** An f32 expression. */
    public FusedExpr(List<InputKind> inputs, List<ExprNode> nodes, List<Integer> outputs) { this(inputs, nodes, outputs, false); }

    public FusedExpr {
        inputs = List.copyOf(inputs);
        nodes = List.copyOf(nodes);
        outputs = List.copyOf(outputs);
        if (outputs.isEmpty()) throw new IllegalArgumentException("a fused expression needs at least one output");
        for (int id = 0; id < nodes.size(); id++) {
            ExprNode n = nodes.get(id);
            for (int o : n.operands()) {
                if (o < 0 || o >= id) throw new IllegalArgumentException("node " + id + " (" + n + ") reads " + o + ", which is not an earlier node");
            }
            if (n instanceof ExprNode.Input in && (in.index() < 0 || in.index() >= inputs.size())) {
                throw new IllegalArgumentException("node " + id + " reads input " + in.index() + " of " + inputs.size());
            }
        }
        for (int o : outputs) {
            if (o < 0 || o >= nodes.size()) throw new IllegalArgumentException("output " + o + " is not a node");
        }
    }

    public boolean hasRowInputs() { return inputs.contains(InputKind.ROW); }

    /** Which nodes the outputs depend on (the rest is dead and not emitted). */
    BitSet live() {
        BitSet live = new BitSet();
        for (int o : outputs) live.set(o);
        for (int id = nodes.size() - 1; id >= 0; id--) {
            if (live.get(id)) for (int o : nodes.get(id).operands()) live.set(o);
        }
        return live;
    }

    /**
     * Nodes whose value is the same for every element (they read only SCALAR inputs and constants): the
     * kernel computes them once, before the loop.
     */
    BitSet uniform() {
        BitSet u = new BitSet();
        for (int id = 0; id < nodes.size(); id++) {
            ExprNode n = nodes.get(id);
            boolean isUniform = switch (n) {
                case ExprNode.Input in -> inputs.get(in.index()) == InputKind.SCALAR;
                case ExprNode.Const c -> true;
                default -> n.operands().stream().allMatch(u::get);
            };
            if (isUniform) u.set(id);
        }
        return u;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder(f64 ? "f64\n" : "");
        for (int id = 0; id < nodes.size(); id++) {
            sb.append('%').append(id).append(" = ").append(switch (nodes.get(id)) {
                case ExprNode.Input in -> "input " + in.index() + " (" + inputs.get(in.index()).name().toLowerCase() + ")";
                case ExprNode.Const c -> "const " + c.value();
                case ExprNode.Unary u -> u.fn().name().toLowerCase() + " %" + u.x();
                case ExprNode.Binary b -> b.fn().name().toLowerCase() + " %" + b.a() + ", %" + b.b();
                case ExprNode.Select s -> "select %" + s.cond() + ", %" + s.a() + ", %" + s.b();
                case ExprNode.LeakyRelu l -> "leaky_relu[" + l.alpha() + "] %" + l.x();
                case ExprNode.LeakyReluGrad l -> "leaky_relu_grad[" + l.alpha() + "] %" + l.gradients() + ", %" + l.features();
            }).append('\n');
        }
        return sb.append("outputs ").append(outputs.stream().map(o -> "%" + o).toList()).toString();
    }

    public static Builder builder() { return new Builder(); }

    /** Builds an expression node by node; every method returns the new node's index. */
    public static final class Builder {
        private final List<InputKind> inputs = new ArrayList<>();
        private final List<ExprNode> nodes = new ArrayList<>();

        /** A new input array (input index = number of earlier inputs). */
        public int input(InputKind kind) {
            nodes.add(new ExprNode.Input(inputs.size()));
            inputs.add(kind);
            return nodes.size() - 1;
        }

        public int constant(double value) { return add(new ExprNode.Const(value)); }
        public int unary(UnaryFn fn, int x) { return add(new ExprNode.Unary(fn, x)); }
        public int binary(BinaryFn fn, int a, int b) { return add(new ExprNode.Binary(fn, a, b)); }
        public int select(int cond, int a, int b) { return add(new ExprNode.Select(cond, a, b)); }
        public int leakyRelu(double alpha, int x) { return add(new ExprNode.LeakyRelu(alpha, x)); }
        public int leakyReluGrad(double alpha, int gradients, int features) { return add(new ExprNode.LeakyReluGrad(alpha, gradients, features)); }

        public int add(ExprNode node) {
            nodes.add(node);
            return nodes.size() - 1;
        }

        public FusedExpr build(int... outputs) { return build(false, outputs); }

        /** An f64 expression when {@code f64}. */
        public FusedExpr build(boolean f64, int... outputs) {
            List<Integer> out = new ArrayList<>();
            for (int o : outputs) out.add(o);
            return new FusedExpr(inputs, nodes, out, f64);
        }
    }

    // ---------------------------------------------------------------- from the IR

    /**
     * The expression that computes graph nodes {@code outputNodes} from {@code leafNodes}. Input {@code k}
     * is the {@code k}-th smallest id in {@code leafNodes} (all of them, used or not, so the caller knows
     * the order). See {@link #from(Graph, List, List)}.
     */
    public static FusedExpr from(Graph g, List<Integer> outputNodes, Set<Integer> leafNodes) {
        return from(g, outputNodes, List.copyOf(new TreeSet<>(leafNodes)));
    }

    /**
     * The expression that computes graph nodes {@code outputNodes} from {@code leafNodes}; input {@code k}
     * is {@code leafNodes.get(k)} (e.g. a lowered fused kernel's inputs, in its order), and its kind is how
     * its shape broadcasts to the outputs' common shape. Between the leaves and the outputs every node must
     * be an elementwise op of the outputs' dtype, f32 or f64 (unary, binary, select, const, leaky ReLU and its gradient; identity and
     * stop_gradient pass through); constants that are not leaves are inlined.
     *
     * @throws IllegalArgumentException when the outputs' shapes differ, a node on the way is not
     *                                  elementwise f32, or a leaf broadcasts other than FULL/SCALAR/ROW
     */
    public static FusedExpr from(Graph g, List<Integer> outputNodes, List<Integer> leafNodes) {
        return from(g, outputNodes, leafNodes, Set.of());
    }

    /**
     * As {@link #from(Graph, List, List)}, except that the leaves in {@code materialized} are read FULL: the
     * caller broadcasts them to the outputs' shape first (a column or other pattern a fused loop cannot read).
     */
    public static FusedExpr from(Graph g, List<Integer> outputNodes, List<Integer> leafNodes, Set<Integer> materialized) {
        return from(g, outputNodes, leafNodes, materialized, Set.of());
    }

    /**
     * As {@link #from(Graph, List, List, Set)}, except that the leaves in {@code converted} may be of another
     * dtype: the caller converts them to the loop's dtype first (a select's integer condition).
     */
    public static FusedExpr from(Graph g, List<Integer> outputNodes, List<Integer> leafNodes, Set<Integer> materialized,
                                 Set<Integer> converted) {
        if (outputNodes.isEmpty()) throw new IllegalArgumentException("no output nodes");
        if (new HashSet<>(leafNodes).size() != leafNodes.size()) throw new IllegalArgumentException("repeated leaf in " + leafNodes);
        Shape domain = g.type(outputNodes.get(0)).shape();
        DType dtype = g.type(outputNodes.get(0)).dtype();
        if (dtype != DType.F32 && dtype != DType.F64) throw new IllegalArgumentException("fused elementwise loops are f32 or f64, not " + dtype);
        for (int o : outputNodes) {
            requireDType(g, o, "output", dtype);
            if (!g.type(o).shape().equals(domain)) {
                throw new IllegalArgumentException("outputs of one fused loop need one shape: %" + outputNodes.get(0) + " is "
                        + domain + " but %" + o + " is " + g.type(o).shape());
            }
        }
        Builder b = builder();
        Map<Integer, Integer> exprOf = new HashMap<>();
        for (int leaf : leafNodes) {
            if (!converted.contains(leaf)) requireDType(g, leaf, "leaf", dtype);
            InputKind kind = materialized.contains(leaf) ? InputKind.FULL : kindOf(g.type(leaf).shape(), domain);
            if (kind == null) {
                throw new IllegalArgumentException("leaf %" + leaf + " of shape " + g.type(leaf).shape() + " broadcasts to " + domain
                        + " in a way a fused loop does not read (full, scalar, or a row along the last axis)");
            }
            exprOf.put(leaf, b.input(kind));
        }
        // The graph is topologically ordered, so the needed nodes in id order are a valid expression order.
        BitSet needed = new BitSet();
        for (int o : outputNodes) needed.set(o);
        for (int id = g.size() - 1; id >= 0; id--) {
            if (needed.get(id) && !exprOf.containsKey(id)) for (int in : g.node(id).inputs()) needed.set(in);
        }
        for (int id = needed.nextSetBit(0); id >= 0; id = needed.nextSetBit(id + 1)) {
            if (exprOf.containsKey(id)) continue;
            Node n = g.node(id);
            requireDType(g, id, "node", dtype);
            List<Integer> in = n.inputs().stream().map(exprOf::get).toList();
            int e = switch (n.op()) {
                case Op.Const c -> b.constant(c.value());
                case Op.Unary u -> b.unary(u.fn(), in.get(0));
                case Op.Binary bin -> b.binary(bin.fn(), in.get(0), in.get(1));
                case Op.Select s -> b.select(in.get(0), in.get(1), in.get(2));
                case Op.LeakyRelu l -> b.leakyRelu(l.alpha(), in.get(0));
                case Op.LeakyReluGrad l -> b.leakyReluGrad(l.alpha(), in.get(0), in.get(1));
                case Op.Identity i -> in.get(0);
                case Op.StopGradient s -> in.get(0);
                default -> throw new IllegalArgumentException("%" + id + " (" + n.op().mnemonic() + ") is not elementwise: list it among the leaves");
            };
            exprOf.put(id, e);
        }
        return b.build(dtype == DType.F64, outputNodes.stream().mapToInt(exprOf::get).toArray());
    }

    /**
     * The leaves of the largest fusion ending in {@code outputNodes}: walking back from the outputs, the
     * first nodes that a fused loop cannot compute (not elementwise f32, an input or variable, or shaped
     * so that they do not broadcast to the outputs as FULL, SCALAR or ROW).
     */
    public static Set<Integer> maximalLeaves(Graph g, List<Integer> outputNodes) {
        Shape domain = g.type(outputNodes.get(0)).shape();
        Set<Integer> leaves = new TreeSet<>();
        BitSet needed = new BitSet();
        for (int o : outputNodes) needed.set(o);
        for (int id = g.size() - 1; id >= 0; id--) {
            if (!needed.get(id)) continue;
            Node n = g.node(id);
            boolean fusible = switch (n.op()) {
                case Op.Const c -> true;
                case Op.Unary u -> true;
                case Op.Binary b -> true;
                case Op.Select s -> true;
                case Op.LeakyRelu l -> true;
                case Op.LeakyReluGrad l -> true;
                case Op.Identity i -> true;
                case Op.StopGradient s -> true;
                default -> false;
            };
            fusible &= n.type().dtype() == DType.F32 && kindOf(n.type().shape(), domain) != null;
            if (fusible) for (int in : n.inputs()) needed.set(in);
            else leaves.add(id);
        }
        return leaves;
    }

    /** How a value of shape {@code s} is read in a loop over {@code domain}, or null if it cannot be. */
    public static InputKind kindOf(Shape s, Shape domain) {
        List<Dim> l = withoutLeadingOnes(s), d = withoutLeadingOnes(domain);
        if (l.stream().allMatch(Dim::isOne)) return InputKind.SCALAR;
        if (l.equals(d)) return InputKind.FULL;
        if (l.size() == 1 && d.size() >= 2 && l.get(0).equals(d.get(d.size() - 1))) return InputKind.ROW;
        return null;
    }

    private static List<Dim> withoutLeadingOnes(Shape s) {
        List<Dim> dims = s.dims();
        int i = 0;
        while (i < dims.size() && dims.get(i).isOne()) i++;
        return dims.subList(i, dims.size());
    }

    private static void requireDType(Graph g, int id, String what, DType dtype) {
        if (g.type(id).dtype() != dtype) {
            throw new IllegalArgumentException(what + " %" + id + " is " + g.type(id).dtype() + "; this fused loop is " + dtype);
        }
    }
}
