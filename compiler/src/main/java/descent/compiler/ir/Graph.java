package descent.compiler.ir;

import java.util.List;

/** An immutable, topologically ordered list of nodes: node {@code i} has id {@code i}. */
public record Graph(List<Node> nodes) {
    public Graph { nodes = List.copyOf(nodes); }

    public Node node(int id) { return nodes.get(id); }
    public int size() { return nodes.size(); }
    public TensorType type(int id) { return nodes.get(id).type(); }
}
