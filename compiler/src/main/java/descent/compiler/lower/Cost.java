package descent.compiler.lower;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;

/**
 * FLOPs and bytes moved by a lowered train step, with every symbolic dimension set to {@code batch}.
 * FLOPs count multiply-adds as 2 and every other arithmetic op as 1; bytes are what each kernel reads
 * from and writes to memory (a fused value that stays in registers moves nothing) — the figures a
 * roofline needs.
 */
public final class Cost {
    private Cost() {}

    public record Totals(long flops, long bytes) {}

    public static Totals of(Graph g, Lowering.Program p, int batch) {
        long flops = 0, bytes = 0;
        for (Kernel k : p.kernels()) {
            switch (k) {
                case Kernel.Fused f -> {
                    for (int n : f.nodes()) flops += elements(g.node(n), batch);
                    for (int in : f.inputs()) bytes += bytes(g.node(in), batch);
                    for (int out : f.results()) bytes += bytes(g.node(out), batch);
                }
                case Kernel.Single s -> {
                    Node n = g.node(s.node());
                    flops += flops(g, n, batch);
                    for (int in : n.inputs()) bytes += bytes(g.node(in), batch);
                    bytes += bytes(n, batch);
                }
                case Kernel.MatmulEpilogue e -> {
                    Node n = g.node(e.matmul());
                    flops += flops(g, n, batch);
                    for (int x : e.nodes()) flops += elements(g.node(x), batch);
                    for (int in : n.inputs()) bytes += bytes(g.node(in), batch);
                    bytes += bytes(g.node(e.bias()), batch) + bytes(g.node(e.result()), batch);
                }
                case Kernel.SparseRows r -> {
                    // Each listed row of every gathered and scattered variable, and the other inputs, once.
                    long rowBytes = bytes(g.node(r.inputs().get(0)), batch);
                    for (int n : r.nodes()) {
                        if (!r.gathers().contains(n) && !r.scatters().contains(n)) flops += elements(g.node(n), batch);
                    }
                    bytes += rowBytes * (r.gathers().size() + r.scatters().size());
                    for (int in : r.inputs()) if (!r.gathers().contains(in)) bytes += bytes(g.node(in), batch);
                    bytes += bytes(g.node(r.indices()), batch) + bytes(g.node(r.mask()), batch);
                }
                case Kernel.ProductUpdate u -> {
                    long[] c = withUpdate(g, u.product(), u.update(), u.kept(), batch);
                    flops += c[0];
                    bytes += c[1];
                }
                case Kernel.ReduceUpdate u -> {
                    long[] c = withUpdate(g, u.reduction(), u.update(), u.kept(), batch);
                    flops += c[0];
                    bytes += c[1];
                }
                case Kernel.Write w -> { if (!w.inPlace()) bytes += 2 * bytes(g.node(w.value()), batch); }
                case Kernel.Alias a -> { }
                case Kernel.Barrier b -> { }
            }
        }
        return new Totals(flops, bytes);
    }

    /**
     * A gradient with its update inside ({flops, bytes}): the gradient's inputs, the gradient itself only if it is
     * kept, and the update's other inputs and its results.
     */
    private static long[] withUpdate(Graph g, int gradient, Kernel.Fused update, boolean kept, int batch) {
        Node n = g.node(gradient);
        long flops = flops(g, n, batch), bytes = 0;
        for (int in : n.inputs()) bytes += bytes(g.node(in), batch);
        if (kept) bytes += bytes(n, batch);
        for (int x : update.nodes()) flops += elements(g.node(x), batch);
        for (int in : update.inputs()) if (in != gradient) bytes += bytes(g.node(in), batch);
        for (int out : update.results()) bytes += bytes(g.node(out), batch);
        return new long[] {flops, bytes};
    }

    private static long flops(Graph g, Node n, int batch) {
        return switch (n.op()) {
            case Op.MatMul m -> {
                Shape a = g.type(n.input(0)).shape();
                long k = size(m.transposeA() ? a.dim(0) : a.dim(1), batch);
                yield 2 * k * elements(n, batch);
            }
            case Op.Reduce r -> elements(g.node(n.input(0)), batch);
            case Op.SumTo s -> elements(g.node(n.input(0)), batch);
            case Op.Softmax s -> 4 * elements(n, batch);
            case Op.LogSoftmax s -> 4 * elements(n, batch);
            case Op.SoftmaxXent x -> 5 * elements(g.node(n.input(1)), batch);
            case Op.SparseSoftmaxXent x -> 4 * elements(g.node(n.input(1)), batch);
            case Op.DedupSum d -> elements(n, batch);
            case Op.ScatterAdd s -> elements(g.node(n.input(0)), batch);
            case Op.ScatterAccumulate s -> elements(g.node(n.input(2)), batch);
            default -> 0;
        };
    }

    static long elements(Node n, int batch) {
        long e = 1;
        for (var d : n.type().shape().dims()) e *= size(d, batch);
        return e;
    }

    static long bytes(Node n, int batch) { return elements(n, batch) * n.type().dtype().byteSize(); }

    private static long size(descent.compiler.ir.Dim d, int batch) { return d.isSymbolic() ? batch : d.size(); }
}
