package descent.compiler.lower;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sparse updates as row loops. An optimizer's sparse update is lowered as, per variable or slot, a gather of
 * the listed rows, elementwise passes over them and a masked scatter back (each distinct index once, at its
 * first occurrence): three or more passes over [ids, width] per state. The updates of one variable and its
 * slots use the same indices and mask, so they become one {@link Kernel.SparseRows}: for each listed row whose
 * mask is set, read the row of every state it gathers, compute, and store the new rows in place.
 *
 * <p>Why it computes the same values: the mask visits each distinct index once, so rows never interact; a
 * gather reads the value from before the step and the loop reads a row before it stores it. Rows the mask
 * skips are only ever scattered away (checked: every fused value is read only inside the group), so they
 * need not be computed at all.
 *
 * <p>Conditions, else the kernels stay as they are: masked scatter_updates of rank-2 f32 variables, each
 * written in place and nothing else reading its value; gathers along axis 0 with the same indices; every
 * fused pass over the rows' shape entirely inside the group; other inputs broadcast as full, scalar or a row
 * of the width; no barrier and no other write between the group's first kernel and its last (the loop reads
 * its inputs where the last one was, and an input may be a variable).
 * The group runs where its last scatter was, followed by its writes.
 */
final class SparseRowFusion {
    private SparseRowFusion() {}

    static List<Kernel> apply(Graph g, List<Kernel> kernels, Set<Integer> fetches) {
        List<Kernel> out = kernels;
        // Groups by (indices, mask), in order of their first scatter.
        Map<List<Integer>, List<Integer>> groups = new LinkedHashMap<>();
        for (int k = 0; k < kernels.size(); k++) {
            if (kernels.get(k) instanceof Kernel.Single s && g.node(s.node()).op() instanceof Op.ScatterUpdate) {
                Node u = g.node(s.node());
                if (u.inputs().size() == 4) groups.computeIfAbsent(List.of(u.input(1), u.input(3)), x -> new ArrayList<>()).add(s.node());
            }
        }
        for (List<Integer> scatters : groups.values()) {
            List<Kernel> fused = fuse(g, out, scatters, fetches);
            if (fused != null) out = fused;
        }
        return out;
    }

    /** {@code kernels} with the group of {@code scatters} as one row loop, or null when it does not qualify. */
    private static List<Kernel> fuse(Graph g, List<Kernel> kernels, List<Integer> scatters, Set<Integer> fetches) {
        int indices = g.node(scatters.get(0)).input(1), mask = g.node(scatters.get(0)).input(3);
        Shape domain = g.type(g.node(scatters.get(0)).input(2)).shape();
        // Who reads what, kernel by kernel (a fused kernel reads its inputs; its other nodes are its own).
        Map<Integer, Integer> kernelOf = new HashMap<>();
        Map<Integer, List<Integer>> readers = new HashMap<>();
        for (int k = 0; k < kernels.size(); k++) {
            for (int n : Kernel.defines(kernels.get(k))) kernelOf.put(n, k);
            for (int r : Kernel.reads(g, kernels.get(k))) readers.computeIfAbsent(r, x -> new ArrayList<>()).add(k);
        }
        Set<Integer> members = new HashSet<>(), gathers = new LinkedHashSet<>();
        Set<Integer> leaves = new TreeSet<>();
        Set<Integer> memberKernels = new TreeSet<>();
        List<Integer> writes = new ArrayList<>();
        for (int u : scatters) {
            Node un = g.node(u);
            Node var = g.node(un.input(0));
            if (!(var.op() instanceof Op.Variable) || var.type().rank() != 2 || var.type().dtype() != DType.F32
                    || !un.type().equals(var.type()) || !g.type(un.input(2)).shape().equals(domain) || fetches.contains(u)) return null;
            List<Integer> r = readers.getOrDefault(u, List.of());
            if (r.size() != 1 || !(kernels.get(r.get(0)) instanceof Kernel.Write w) || !w.inPlace()) return null;
            writes.add(r.get(0));
            memberKernels.add(kernelOf.get(u));
            if (!collect(g, un.input(2), indices, domain, var.type().shape().dim(1), members, gathers, leaves)) return null;
        }
        if (!rowsMatch(g.type(indices).shape(), domain)) return null;
        // Every member's kernel is absorbed whole, and what it defines is read only inside the group.
        Set<Integer> groupNodes = new HashSet<>(members);
        groupNodes.addAll(scatters);
        for (int n : members) {
            Integer k = kernelOf.get(n);
            if (k == null) return null;
            memberKernels.add(k);
        }
        for (int k : memberKernels) {
            Kernel kernel = kernels.get(k);
            for (int n : Kernel.defines(kernel)) {
                if (!groupNodes.contains(n) || fetches.contains(n)) return null;
                if (scatters.contains(n)) continue;
                for (int reader : readers.getOrDefault(n, List.of())) if (!memberKernels.contains(reader)) return null;
            }
            if (kernel instanceof Kernel.Fused f && !f.shape().equals(domain)) return null;
        }
        int first = memberKernels.iterator().next(), at = kernelOf.get(scatters.get(scatters.size() - 1));
        for (int k : memberKernels) at = Math.max(at, k);
        // The loop runs at `at` and reads its inputs then: no other write may come between its first kernel and
        // `at` — a leaf can be a variable (a hyperparameter tensor) or alias one, and would be read after its write.
        for (int k = first; k <= at; k++) {
            Kernel kernel = kernels.get(k);
            if (kernel instanceof Kernel.Barrier) return null;
            if (kernel instanceof Kernel.Write && !writes.contains(k)) return null;
        }
        List<Integer> nodes = new ArrayList<>(new TreeSet<>(groupNodes));   // ids are topological
        List<Integer> inputs = new ArrayList<>(gathers);
        for (int l : leaves) if (!gathers.contains(l)) inputs.add(l);
        Kernel.SparseRows rows = new Kernel.SparseRows(nodes, inputs, List.copyOf(gathers), List.copyOf(scatters), indices, mask, domain);
        List<Kernel> out = new ArrayList<>();
        for (int k = 0; k < kernels.size(); k++) {
            if (!memberKernels.contains(k) && !writes.contains(k)) out.add(kernels.get(k));
            if (k == at) {   // `at` is the group's last member
                out.add(rows);
                for (int w : writes) out.add(kernels.get(w));
            }
        }
        return out;
    }

    /**
     * Walks back from {@code id} through elementwise nodes over {@code domain}: gathers of a rank-2 variable's
     * rows by {@code indices} are row inputs, anything else is a leaf that must broadcast as full, scalar or a
     * row of {@code width}. False when something does not fit.
     */
    private static boolean collect(Graph g, int id, int indices, Shape domain, Dim width, Set<Integer> members,
                                   Set<Integer> gathers, Set<Integer> leaves) {
        if (members.contains(id) || leaves.contains(id)) return true;
        Node n = g.node(id);
        if (n.op() instanceof Op.Gather ga && ga.axis() == 0 && n.input(1) == indices && n.type().shape().equals(domain)
                && g.node(n.input(0)).op() instanceof Op.Variable && g.type(n.input(0)).rank() == 2
                && g.type(n.input(0)).dtype() == DType.F32) {
            members.add(id);
            gathers.add(id);
            return true;
        }
        if (Lowering.isF32Elementwise(n, g) && n.type().shape().equals(domain)) {
            members.add(id);
            for (int in : n.inputs()) if (!collect(g, in, indices, domain, width, members, gathers, leaves)) return false;
            return true;
        }
        Shape s = n.type().shape();
        boolean scalar = s.dims().stream().allMatch(Dim::isOne);
        boolean row = s.rank() == 1 && s.dim(0).equals(width);
        if (n.type().dtype() != DType.F32 || !(scalar || row || s.equals(domain))) return false;
        leaves.add(id);
        return true;
    }

    /** The rows' shape is the indices' shape and one more axis (the width). */
    private static boolean rowsMatch(Shape indices, Shape domain) {
        return domain.rank() == indices.rank() + 1 && domain.dims().subList(0, indices.rank()).equals(indices.dims());
    }
}
