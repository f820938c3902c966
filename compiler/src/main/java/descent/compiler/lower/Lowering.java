package descent.compiler.lower;

import descent.compiler.ir.Graph;
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
 * fuse into one pass; a fused value needed only inside its run never gets a buffer. Fusing only
 * consecutive steps keeps the plan's order — and with it the gate mode's guarantees — intact.
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
        for (Plan.Step s : plan.steps()) {
            if (s instanceof Plan.Step.Compute c && isElementwise(g.node(c.node()))
                    && (run.isEmpty() || g.type(c.node()).shape().equals(g.type(run.get(0)).shape()))) {
                run.add(c.node());
                continue;
            }
            if (!run.isEmpty()) {
                Kernel.Fused f = fuse(g, run, uses, escaping);
                buffers += f.results().size();
                fusedAway += f.nodes().size() - f.results().size();
                out.add(f);
                run = new ArrayList<>();
            }
            switch (s) {
                case Plan.Step.Compute c -> {
                    if (isElementwise(g.node(c.node()))) {
                        run.add(c.node());
                    } else if (isAlias(g.node(c.node()))) {
                        out.add(new Kernel.Alias(c.node()));
                    } else {
                        out.add(new Kernel.Single(c.node()));
                        buffers++;
                    }
                }
                case Plan.Step.Write w -> out.add(new Kernel.Write(w.state(), w.value(), inPlace(out, w, g)));
                case Plan.Step.Barrier b -> out.add(new Kernel.Barrier(b.reason()));
            }
        }
        if (!run.isEmpty()) {
            Kernel.Fused f = fuse(g, run, uses, escaping);
            buffers += f.results().size();
            fusedAway += f.nodes().size() - f.results().size();
            out.add(f);
        }
        return new Program(List.copyOf(out), buffers, fusedAway);
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

    /**
     * The write can go straight to the state's storage when the value was produced by the kernel just
     * before it and has the state's shape: the plan put every read of the old value earlier.
     */
    private static boolean inPlace(List<Kernel> done, Plan.Step.Write w, Graph g) {
        if (done.isEmpty()) return false;
        Kernel last = done.get(done.size() - 1);
        boolean producedLast = switch (last) {
            case Kernel.Fused f -> f.results().contains(w.value());
            case Kernel.Single s -> s.node() == w.value();
            default -> false;
        };
        return producedLast && g.type(w.value()).equals(g.type(w.stateNode()));
    }

    /** What a fused f32 loop computes ({@code emit/FusedExpr}): f32 unary, binary, select, leaky ReLU. */
    static boolean isElementwise(Node n) {
        if (n.type().dtype() != descent.runtime.DType.F32) return false;
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
