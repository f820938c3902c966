package descent.compiler.ir;

import java.util.List;

/** An immutable, topologically ordered list of nodes: node {@code i} has id {@code i}. */
public record Graph(List<Node> nodes) {
    public Graph { nodes = List.copyOf(nodes); }

    public Node node(int id) { return nodes.get(id); }
    public int size() { return nodes.size(); }
    public TensorType type(int id) { return nodes.get(id).type(); }

    /**
     * The node whose value {@code id}'s is, element for element: through reshapes, identities and stop_gradients,
     * which compute nothing (the compiled step moves the array: a reshape of a variable is the variable's array).
     */
    public int sameArray(int id) {
        Node n = node(id);
        while ((n.op() instanceof Op.Reshape || n.op() instanceof Op.Identity || n.op() instanceof Op.StopGradient) && !n.inputs().isEmpty()) {
            n = node(n.input(0));
        }
        return n.id();
    }
}
