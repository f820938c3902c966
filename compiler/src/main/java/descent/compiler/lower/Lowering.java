package descent.compiler.lower;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Shape;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.compiler.ir.Model;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.schedule.Plan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stage "lower": a {@link Plan} to {@link Kernel}s. Runs of consecutive elementwise steps over one shape
 * fuse into one pass; a fused value needed only inside its run never gets a buffer; the sparse updates of a
 * variable and its slots become one row loop ({@link SparseRowFusion}); the dense update of a weight matrix
 * runs inside the product that completes its gradient ({@link UpdateFusion}). {@link FusionOrder} first
 * moves scalar steps and writes out of the way of such runs (so an optimizer update is one loop), without
 * moving a read of a state across a write of it — the gate mode's guarantees stay intact.
 */
public final class Lowering {
    private Lowering() {}

    public record Program(List<Kernel> kernels, int buffers, int fusedAway) {}

    public static Program lower(Model m, Plan plan, List<Integer> fetches) {
        Graph g = m.graph();
        Map<Integer, Integer> uses = new HashMap<>();
        Set<Integer> escaping = new HashSet<>(fetches);
        for (Plan.Step s : plan.steps()) {
            switch (s) {
                case Plan.Step.Compute c -> { for (int in : g.node(c.node()).inputs()) uses.merge(in, 1, Integer::sum); }
                case Plan.Step.Write w -> escaping.add(w.value());
                case Plan.Step.Barrier b -> { }
            }
        }
        List<Kernel> out = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        int buffers = 0, fusedAway = 0;
        for (Plan.Step s : FusionOrder.reorder(g, plan.steps())) {
            if (s instanceof Plan.Step.Compute c && isElementwise(g.node(c.node()), g)
                    && (run.isEmpty() || g.type(c.node()).shape().equals(g.type(run.get(0)).shape())
                        && g.type(c.node()).dtype() == g.type(run.get(0)).dtype())) {
                run.add(c.node());
                continue;
            }
            if (!run.isEmpty()) {
                Kernel.Fused f = fuse(g, run, uses, escaping);
                Kernel.MatmulEpilogue e = epilogue(g, out, f, uses, escaping);
                buffers += f.results().size() - (e != null ? 1 : 0);
                fusedAway += f.nodes().size() - f.results().size() + (e != null ? 1 : 0);
                if (e != null) out.set(out.size() - 1, e);
                else out.add(f);
                run = new ArrayList<>();
            }
            switch (s) {
                case Plan.Step.Compute c -> {
                    if (isElementwise(g.node(c.node()), g)) {
                        run.add(c.node());
                    } else if (isAlias(g.node(c.node()))) {
                        out.add(new Kernel.Alias(c.node()));
                    } else {
                        out.add(new Kernel.Single(c.node()));
                        buffers++;
                    }
                }
                case Plan.Step.Write w -> out.add(new Kernel.Write(w.state(), w.value(), inPlace(out, w, g, uses, escaping)));
                case Plan.Step.Barrier b -> out.add(new Kernel.Barrier(b.reason()));
            }
        }
        if (!run.isEmpty()) {
            Kernel.Fused f = fuse(g, run, uses, escaping);
            Kernel.MatmulEpilogue e = epilogue(g, out, f, uses, escaping);
            buffers += f.results().size() - (e != null ? 1 : 0);
            fusedAway += f.nodes().size() - f.results().size() + (e != null ? 1 : 0);
            if (e != null) out.set(out.size() - 1, e);
            else out.add(f);
        }
        List<Kernel> rows = SparseRowFusion.apply(g, out, new HashSet<>(fetches));
        for (Kernel k : rows) if (k instanceof Kernel.SparseRows r) fusedAway += r.nodes().size() - r.scatters().size();
        List<Kernel> fused = UpdateFusion.apply(g, rows, new HashSet<>(fetches));
        for (Kernel k : fused) {
            if (k instanceof Kernel.ProductUpdate u && !u.kept()) { buffers--; fusedAway++; }
            if (k instanceof Kernel.ReduceUpdate u && !u.kept()) { buffers--; fusedAway++; }
        }
        return new Program(List.copyOf(fused), buffers, fusedAway);
    }

    /** A member escapes its run if something outside the run uses it, or it is fetched or written. */
    private static Kernel.Fused fuse(Graph g, List<Integer> run, Map<Integer, Integer> uses, Set<Integer> escaping) {
        Set<Integer> members = new HashSet<>(run);
        Map<Integer, Integer> usesInside = new HashMap<>();
        LinkedHashSet<Integer> inputs = new LinkedHashSet<>();
        for (int n : run) {
            for (int in : g.node(n).inputs()) {
                if (members.contains(in)) usesInside.merge(in, 1, Integer::sum);
                else inputs.add(in);
            }
        }
        List<Integer> results = new ArrayList<>();
        for (int n : run) {
            if (escaping.contains(n) || uses.getOrDefault(n, 0) > usesInside.getOrDefault(n, 0)) results.add(n);
        }
        return new Kernel.Fused(List.copyOf(run), List.copyOf(inputs), List.copyOf(results), g.type(run.get(0)).shape());
    }

    /** The activations a matmul kernel applies to its tiles (emit/MatmulEpilogue). */
    static final Set<UnaryFn> EPILOGUE_ACTIVATIONS = java.util.EnumSet.of(UnaryFn.RELU, UnaryFn.TANH, UnaryFn.SIGMOID);

    /**
     * The fused run {@code f} as the epilogue of the matmul lowered just before it, or null: the matmul's only
     * use is the run's first node, an add of a row vector along C's last axis (f32, rank 1), optionally followed
     * by a relu, tanh or sigmoid of that sum, and only the chain's last value leaves the run. Nothing else runs in between, so
     * the plan's order is kept.
     */
    private static Kernel.MatmulEpilogue epilogue(Graph g, List<Kernel> done, Kernel.Fused f, Map<Integer, Integer> uses,
                                                  Set<Integer> escaping) {
        if (done.isEmpty() || !(done.get(done.size() - 1) instanceof Kernel.Single s)) return null;
        int mm = s.node();
        if (!(g.node(mm).op() instanceof Op.MatMul) || g.type(mm).dtype() != DType.F32
                || escaping.contains(mm) || uses.getOrDefault(mm, 0) != 1) return null;
        List<Integer> nodes = f.nodes();
        int last = nodes.get(nodes.size() - 1);
        if (nodes.size() > 2 || f.results().size() != 1 || f.results().get(0) != last) return null;
        Node add = g.node(nodes.get(0));
        if (!(add.op() instanceof Op.Binary bi && bi.fn() == BinaryFn.ADD) || add.inputs().size() != 2) return null;
        int bias;
        if (add.input(0) == mm && add.input(1) != mm) bias = add.input(1);
        else if (add.input(1) == mm && add.input(0) != mm) bias = add.input(0);
        else return null;
        Shape c = g.type(mm).shape(), b = g.type(bias).shape();
        if (c.rank() != 2 || !f.shape().equals(c) || b.rank() != 1 || !b.dim(0).equals(c.dim(1))
                || g.type(bias).dtype() != DType.F32) return null;
        if (nodes.size() == 2) {
            Node act = g.node(last);
            if (!(act.op() instanceof Op.Unary u && EPILOGUE_ACTIVATIONS.contains(u.fn())) || act.input(0) != add.id()) return null;
        }
        return new Kernel.MatmulEpilogue(mm, nodes, bias, last);
    }

    /**
     * The write can go straight to the state's storage when the value was produced by the last kernel before
     * it (other writes aside) and has the state's shape: the plan put every other read of the old value
     * earlier, and a fused loop reads each element of every input before it stores that element's results.
     * A row update (sparse) qualifies when it updates the variable itself, whose other rows stay as they are, or
     * a value of the state's type that the fused kernel just before it made and nothing else reads (TF's sparse Adam:
     * {@code m·β1}, then the gradient's rows added): both then work in the state's storage, the fused loop in
     * place and the rows added there, where the value would otherwise be a copy of the whole variable and the
     * write another.
     */
    private static boolean inPlace(List<Kernel> done, Plan.Step.Write w, Graph g, Map<Integer, Integer> uses, Set<Integer> escaping) {
        int i = done.size() - 1;
        while (i >= 0 && done.get(i) instanceof Kernel.Write) i--;
        if (i < 0) return false;
        Kernel last = done.get(i);
        boolean producedLast = switch (last) {
            case Kernel.Fused f -> f.results().contains(w.value());
            case Kernel.Single s -> s.node() == w.value() && isRowUpdate(g.node(s.node()))
                    && (g.node(s.node()).input(0) == w.stateNode() || i > 0 && done.get(i - 1) instanceof Kernel.Fused f
                        && fusedIntoRowUpdate(g, f, g.node(s.node()).input(0), w, uses, escaping));
            default -> false;
        };
        return producedLast && g.type(w.value()).equals(g.type(w.stateNode()));
    }

    /** A scatter_update or scatter_accumulate: rows written into a copy of its first input. */
    public static boolean isRowUpdate(Node n) { return n.op() instanceof Op.ScatterUpdate || n.op() instanceof Op.ScatterAccumulate; }

    /** Whether {@code base}, a row update's first input, is {@code f}'s result of the state's type read only there. */
    private static boolean fusedIntoRowUpdate(Graph g, Kernel.Fused f, int base, Plan.Step.Write w, Map<Integer, Integer> uses,
                                              Set<Integer> escaping) {
        return f.results().contains(base) && uses.getOrDefault(base, 0) == 1 && !escaping.contains(base)
                && g.type(base).equals(g.type(w.stateNode()));
    }

    /** An f32 elementwise op of f32 operands only (what a sparse row loop computes). */
    static boolean isF32Elementwise(Node n, Graph g) {
        if (n.type().dtype() != DType.F32 || !isElementwiseOp(n)) return false;
        for (int in : n.inputs()) if (g.type(in).dtype() != DType.F32) return false;
        return true;
    }

    /**
     * What a fused loop computes ({@code emit/FusedExpr}): unary, binary, select, leaky ReLU, in f32 or f64. A
     * loop has one element type: every operand has the node's dtype, except a select's condition, which may
     * be of a type that converts to it without changing which values are 0 (an integer condition, or f32 in an
     * f64 loop; the backend converts it first). An f64 condition on f32 values could underflow to 0 and is
     * not fused (the compiled backend reports it unsupported).
     */
    public static boolean isElementwise(Node n, Graph g) {
        DType t = n.type().dtype();
        if ((t != DType.F32 && t != DType.F64) || !isElementwiseOp(n)) return false;
        for (int k = 0; k < n.inputs().size(); k++) {
            DType in = g.type(n.input(k)).dtype();
            if (in == t) continue;
            boolean condition = n.op() instanceof Op.Select && k == 0;
            if (!condition || !(in == DType.I32 || in == DType.I64 || in == DType.F32 && t == DType.F64)) return false;
        }
        return true;
    }

    private static boolean isElementwiseOp(Node n) {
        return switch (n.op()) {
            case Op.Unary u -> true;
            case Op.Binary b -> true;
            case Op.LeakyRelu l -> true;
            case Op.LeakyReluGrad l -> true;
            case Op.Select s -> true;
            default -> false;
        };
    }

    static boolean isAlias(Node n) {
        return n.op() instanceof Op.Reshape || n.op() instanceof Op.Identity || n.op() instanceof Op.StopGradient
                || n.op() instanceof Op.Const;
    }
}
