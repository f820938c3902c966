package descent.compiler.api;

import descent.compiler.ir.TensorType;

/** A graph value of a {@link ModelBuilder} (TF Java calls these operands)'s graph: a handle, valid only with the builder that made it. */
public record Operand(ModelBuilder graph, int node) {
    public TensorType type() { return graph.b.type(node); }

    public Operand add(Operand o) { return graph.add(this, o); }
    public Operand sub(Operand o) { return graph.sub(this, o); }
    public Operand mul(Operand o) { return graph.mul(this, o); }
    public Operand div(Operand o) { return graph.div(this, o); }
    public Operand matmul(Operand o) { return graph.matmul(this, o); }

    @Override public String toString() { return "%" + node + " " + type(); }
}
