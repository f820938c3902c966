package descent.compiler.lower;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Model;
import java.util.stream.Collectors;

/** {@code descent compile --emit kernels}: one kernel per line, with the nodes it computes. */
public final class KernelPrinter {
    private KernelPrinter() {}

    public static String print(Model m, String train, Lowering.Program p) {
        Graph g = m.graph();
        StringBuilder sb = new StringBuilder("kernels ").append(train).append('\n');
        int i = 0;
        for (Kernel k : p.kernels()) {
            sb.append(String.format("%4d  ", i++)).append(line(g, k)).append('\n');
        }
        sb.append(p.kernels().size()).append(" kernels, ").append(p.buffers()).append(" buffers, ")
                .append(p.fusedAway()).append(" values fused away\n");
        return sb.toString();
    }

    /** One kernel as {@code --emit kernels} prints it, without its index. */
    public static String line(Graph g, Kernel k) {
        StringBuilder sb = new StringBuilder();
        switch (k) {
            case Kernel.Fused f -> sb.append("fused ").append(f.shape()).append(" {")
                    .append(f.nodes().stream().map(n -> "%" + n + " " + g.node(n).op().mnemonic()).collect(Collectors.joining("; ")))
                    .append("} in ").append(ids(f.inputs())).append(" out ").append(ids(f.results()));
            case Kernel.Single s -> sb.append(g.node(s.node()).op().mnemonic()).append(" %").append(s.node())
                    .append(' ').append(g.type(s.node()));
            case Kernel.MatmulEpilogue e -> sb.append("matmul %").append(e.matmul()).append(" epilogue {")
                    .append(e.nodes().stream().map(n -> "%" + n + " " + g.node(n).op().mnemonic()).collect(Collectors.joining("; ")))
                    .append("} in [%").append(e.bias()).append("] out %").append(e.result()).append(' ').append(g.type(e.result()));
            case Kernel.SparseRows r -> sb.append("sparse_rows ").append(r.rows()).append(" at %").append(r.indices())
                    .append(" where %").append(r.mask()).append(" {")
                    .append(r.nodes().stream().map(n -> "%" + n + " " + g.node(n).op().mnemonic()).collect(Collectors.joining("; ")))
                    .append("} in ").append(ids(r.inputs())).append(" out ").append(ids(r.scatters()));
            case Kernel.ProductUpdate u -> sb.append("matmul %").append(u.product()).append(' ').append(g.type(u.product()))
                    .append(u.kept() ? "" : " (by blocks only)").append(" then each block: ").append(line(g, u.update()));
            case Kernel.ReduceUpdate u -> sb.append(g.node(u.reduction()).op().mnemonic()).append(" %").append(u.reduction())
                    .append(' ').append(g.type(u.reduction())).append(u.kept() ? "" : " (in a scratch only)").append(" then: ")
                    .append(line(g, u.update()));
            case Kernel.Alias a -> sb.append("alias %").append(a.node()).append(' ').append(g.node(a.node()).op().mnemonic());
            case Kernel.Write w -> sb.append("write ").append(w.state()).append(" <- %").append(w.value())
                    .append(w.inPlace() ? " (in place)" : "");
            case Kernel.Barrier b -> sb.append("barrier (").append(b.reason()).append(')');
        }
        return sb.toString();
    }

    private static String ids(java.util.List<Integer> xs) {
        return xs.stream().map(x -> "%" + x).collect(Collectors.joining(", ", "[", "]"));
    }
}
