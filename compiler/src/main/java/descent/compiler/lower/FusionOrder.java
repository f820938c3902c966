package descent.compiler.lower;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.schedule.Plan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The plan's steps in an order that lets {@link Lowering} fuse whole optimizer updates into one loop. An
 * update such as Adam's is planned as several elementwise steps over the variable's shape, interleaved with
 * scalar steps (the bias-corrected rate), constants, and a write after each new slot value; fused as
 * consecutive runs, that is six passes over the variable. Here, while a run of same-shape elementwise steps
 * is open:
 * <ul>
 * <li>a scalar elementwise step or cast, a constant or a reshape that does not read the run's values moves before
 * the run;</li>
 * <li>a write moves after the run.</li>
 * </ul>
 * Neither move crosses a barrier, and no read of a state moves across a write of that state: a step that
 * reads a variable whose write was moved closes the run first. So every value is computed from the same
 * inputs as in the plan, and the gate mode's guarantees (no write before the reads the plan put before it,
 * no update before a barrier) hold.
 */
final class FusionOrder {
    private FusionOrder() {}

    static List<Plan.Step> reorder(Graph g, List<Plan.Step> steps) {
        List<Plan.Step> out = new ArrayList<>(steps.size());
        // Constants read nothing, so they go first: the scalar steps after them then fuse into one kernel.
        List<Plan.Step> run = new ArrayList<>(), constants = new ArrayList<>(), hoisted = new ArrayList<>(), deferred = new ArrayList<>();
        Set<Integer> members = new HashSet<>(), written = new HashSet<>();
        for (Plan.Step s : steps) {
            switch (s) {
                case Plan.Step.Compute c -> {
                    Node n = g.node(c.node());
                    boolean readsWritten = reads(n, written);
                    Node first = run.isEmpty() ? null : g.node(((Plan.Step.Compute) run.get(0)).node());
                    if (Lowering.isElementwise(n, g) && !readsWritten
                            && (first == null || n.type().shape().equals(first.type().shape()) && n.type().dtype() == first.type().dtype())) {
                        run.add(s);
                        members.add(n.id());
                    } else if (!run.isEmpty() && !readsWritten && !reads(n, members) && hoistable(n, g)) {
                        (n.op() instanceof Op.Const ? constants : hoisted).add(s);
                    } else {
                        flush(out, constants, hoisted, run, deferred, members, written);
                        if (Lowering.isElementwise(n, g)) { run.add(s); members.add(n.id()); } else out.add(s);
                    }
                }
                case Plan.Step.Write w -> {
                    if (run.isEmpty()) { out.add(w); continue; }
                    deferred.add(w);
                    written.add(w.stateNode());
                    for (Node a : g.nodes()) if (a.id() != w.stateNode() && g.sameArray(a.id()) == w.stateNode()) written.add(a.id());   // its array too
                }
                case Plan.Step.Barrier b -> {
                    flush(out, constants, hoisted, run, deferred, members, written);
                    out.add(b);
                }
            }
        }
        flush(out, constants, hoisted, run, deferred, members, written);
        return List.copyOf(out);
    }

    private static void flush(List<Plan.Step> out, List<Plan.Step> constants, List<Plan.Step> hoisted, List<Plan.Step> run,
                              List<Plan.Step> deferred, Set<Integer> members, Set<Integer> written) {
        out.addAll(constants);
        out.addAll(hoisted);
        out.addAll(run);
        out.addAll(deferred);
        constants.clear();
        hoisted.clear();
        run.clear();
        deferred.clear();
        members.clear();
        written.clear();
    }

    private static boolean reads(Node n, Set<Integer> nodes) {
        for (int in : n.inputs()) if (nodes.contains(in)) return true;
        return false;
    }

    /**
     * One element computed elementwise (a learning rate, a bias correction) or cast (the global step as a float,
     * which AdagradDA's update reads after its accumulators': left in place, it split the update into two passes
     * over the variable), or a constant, or another name for a value (a reshape, identity or stop_gradient, which
     * computes nothing: the gradient of a mean reshaped between two passes over the logits split them).
     */
    private static boolean hoistable(Node n, Graph g) {
        if (Lowering.isAlias(n)) return true;
        boolean scalar = n.type().shape().staticSize() == 1;
        return scalar && (Lowering.isElementwise(n, g) || n.op() instanceof Op.Cast);
    }
}
