package descent.compiler.lower;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An optimizer's dense update of a weight matrix run inside the product that completes its gradient
 * ({@link Kernel.ProductUpdate}). A weight gradient C = Aᵀ·B is lowered as one product, and the update
 * (already one fused pass over C's shape, {@link FusionOrder}) runs later as a pass of its own, reading C back
 * from memory. Here the update moves up to the product, which then computes C a block of rows at a time and
 * runs the update over each block while it is in cache; when nothing else reads C, C is never stored whole.
 * A bias's gradient, a reduction (sum_to) of the layer's gradient over the batch, gets its update the same way
 * ({@link Kernel.ReduceUpdate}), as one block: its sums are final only after the last row.
 *
 * <p>Conditions, else the kernels stay as they are: the product is f32, rank 2, with A transposed, B not, and C of
 * static shape; the first kernel after it that reads C is a fused pass over C's shape whose other inputs are
 * f32 and broadcast as full, scalar or a row of C's width, and which is followed by writes of what it computes
 * (an update; other writes right after it, such as Adam's beta powers, stay after every kernel moved down).
 * There is no barrier between the two (so under GATE_GRAPH, whose barrier separates the last gradient from
 * the first update, nothing fuses). The kernels in between that the update needs (its rate and bias
 * corrections) move before the product; they must not read C, and neither they nor the update may read a
 * state written in between. The others, writes of other variables included, move after the update and its
 * writes in their order, and must not read what it computes or the state it writes. The product must not
 * read that state either (its blocks would see rows already updated).
 *
 * <p>Why the values are the plan's: every kernel computes from the same inputs as before. Moved-up kernels
 * read no value of the product and no state written in between; moved-down kernels, and the writes among
 * them, touch nothing the update reads or changes; the update reads each element of its inputs before it stores that
 * element's results, as it did. So the gate mode's order (no write before the reads the plan put before it,
 * no update before a barrier) holds.
 */
final class UpdateFusion {
    private UpdateFusion() {}

    static List<Kernel> apply(Graph g, List<Kernel> kernels, Set<Integer> fetches) {
        List<Kernel> out = kernels;
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i) instanceof Kernel.Single s && (isWeightGradient(g, s.node()) || isReduction(g, s.node()))) {
                List<Kernel> fused = fuse(g, out, i, fetches);
                // Position i now holds the first kernel moved up, which may itself be a weight gradient.
                if (fused != null) { out = fused; i--; }
            }
        }
        return out;
    }

    private static boolean isWeightGradient(Graph g, int id) {
        if (!(g.node(id).op() instanceof Op.MatMul m) || !m.transposeA() || m.transposeB() || g.type(id).dtype() != DType.F32) return false;
        Shape c = g.type(id).shape();
        return c.rank() == 2 && c.dims().stream().noneMatch(Dim::isSymbolic);
    }

    /**
     * A bias's gradient: an f32 sum_to or reduction of static result shape. Its sums are final only after the
     * last row, so its update runs right after the reduction, inside the same kernel ({@link Kernel.ReduceUpdate}).
     */
    private static boolean isReduction(Graph g, int id) {
        Op op = g.node(id).op();
        Shape s = g.type(id).shape();
        return (op instanceof Op.SumTo || op instanceof Op.Reduce) && g.type(id).dtype() == DType.F32
                && s.dims().stream().noneMatch(Dim::isSymbolic) && s.staticSize() < FUSED_REDUCTION_ELEMENTS;
    }

    /**
     * A reduction's update runs on the calling thread, inside the reduction's kernel; an update pass of its own splits
     * over the threads from 2¹⁸ elements (backend/ElementwiseCalls' PARALLEL_ELEMENTS), so larger results stay apart.
     */
    static final long FUSED_REDUCTION_ELEMENTS = 1 << 18;

    /** {@code kernels} with gradient {@code i} (a product or a reduction) and the update that reads it as one kernel, or null. */
    private static List<Kernel> fuse(Graph g, List<Kernel> kernels, int i, Set<Integer> fetches) {
        int mm = ((Kernel.Single) kernels.get(i)).node();
        int j = -1;
        Set<String> writtenBetween = new HashSet<>();
        for (int k = i + 1; k < kernels.size() && j < 0; k++) {
            Kernel x = kernels.get(k);
            if (x instanceof Kernel.Barrier) return null;
            if (x instanceof Kernel.Write w) writtenBetween.add(w.state());
            else if (Kernel.reads(g, x).contains(mm)) j = k;
        }
        boolean product = g.node(mm).op() instanceof Op.MatMul;
        if (j < 0 || !(kernels.get(j) instanceof Kernel.Fused f) || !(product ? readsAsBlocks(g, f, mm) : readsWhole(g, f, mm))) return null;
        // The update's writes: those of the writes right after it that store what it computes. Other writes there
        // (Adam's beta powers after the last update) stay after every kernel that moves down.
        int end = j + 1;
        Set<String> states = new HashSet<>();
        List<Kernel> ownWrites = new ArrayList<>(), otherWrites = new ArrayList<>();
        for (; end < kernels.size() && kernels.get(end) instanceof Kernel.Write w; end++) {
            if (f.results().contains(w.value())) { states.add(w.state()); ownWrites.add(w); } else otherWrites.add(w);
        }
        if (states.isEmpty()) return null;
        int[] aliasOf = aliases(g, kernels);
        for (int r : g.node(mm).inputs()) if (isStateIn(g, root(r, aliasOf), states)) return null;

        // The kernels in between that the update needs move before the product; what they and the update read
        // must not be state written in between (they would now read it before the write).
        Set<Integer> needed = new HashSet<>(f.inputs());
        needed.remove(mm);
        boolean[] up = new boolean[j];
        for (int k = j - 1; k > i; k--) {
            Kernel x = kernels.get(k);
            if (Kernel.defines(x).stream().anyMatch(needed::contains)) {
                up[k] = true;
                needed.addAll(Kernel.reads(g, x));
            }
        }
        if (needed.contains(mm)) return null;
        for (int r : needed) if (isStateIn(g, root(r, aliasOf), writtenBetween)) return null;
        // The others (writes included, in their order) move after the update and its writes.
        Set<Integer> computed = new HashSet<>(f.nodes());
        for (int k = i + 1; k < j; k++) {
            if (up[k]) continue;
            if (kernels.get(k) instanceof Kernel.Write w && (states.contains(w.state()) || !producedDown(kernels, i, k, up, w))) return null;
            for (int r : Kernel.reads(g, kernels.get(k))) {
                if (computed.contains(r) || isStateIn(g, root(r, aliasOf), states)) return null;
            }
        }
        boolean kept = fetches.contains(mm);
        for (int k = 0; k < kernels.size() && !kept; k++) {
            if (k == j) continue;
            for (int r : Kernel.reads(g, kernels.get(k))) if (root(r, aliasOf) == mm) kept = true;
        }

        List<Kernel> out = new ArrayList<>(kernels.subList(0, i));
        for (int k = i + 1; k < j; k++) if (up[k]) out.add(kernels.get(k));
        out.add(product ? new Kernel.ProductUpdate(mm, f, kept) : new Kernel.ReduceUpdate(mm, f, kept));
        out.addAll(ownWrites);
        for (int k = i + 1; k < j; k++) if (!up[k]) out.add(kernels.get(k));
        out.addAll(otherWrites);
        out.addAll(kernels.subList(end, kernels.size()));
        return List.copyOf(out);
    }

    /**
     * Whether the write at {@code k} stores a value computed by a kernel between {@code i} and {@code k} that
     * stays where it is: a write kept next to its producer stays correct even when that kernel stored the value
     * straight into the state.
     */
    private static boolean producedDown(List<Kernel> kernels, int i, int k, boolean[] up, Kernel.Write w) {
        for (int p = k - 1; p > i; p--) {
            if (Kernel.defines(kernels.get(p)).contains(w.value())) return !up[p];
        }
        return false;
    }

    /** A fused f32 pass over C's shape that reads C, and its other inputs as whole arrays, scalars or rows of C. */
    private static boolean readsAsBlocks(Graph g, Kernel.Fused f, int mm) {
        Shape c = g.type(mm).shape();
        if (!f.shape().equals(c) || !f.inputs().contains(mm) || f.results().isEmpty()) return false;
        for (int n : f.nodes()) if (g.type(n).dtype() != DType.F32) return false;
        for (int in : f.inputs()) {
            if (in == mm) continue;
            Shape s = g.type(in).shape();
            if (g.type(in).dtype() != DType.F32) return false;
            boolean scalar = s.dims().stream().allMatch(Dim::isOne);
            boolean row = s.rank() == 1 && s.dim(0).equals(c.dim(1));
            if (!scalar && !row && !s.equals(c)) return false;
        }
        return true;
    }

    /**
     * A fused f32 pass over the reduction's shape that reads it, its other inputs whole arrays of that shape,
     * scalars, or rows along its last axis: what one loop over the whole result reads without a broadcast first.
     */
    private static boolean readsWhole(Graph g, Kernel.Fused f, int r) {
        Shape c = g.type(r).shape();
        if (!f.shape().equals(c) || !f.inputs().contains(r) || f.results().isEmpty()) return false;
        for (int n : f.nodes()) if (g.type(n).dtype() != DType.F32) return false;
        for (int in : f.inputs()) {
            Shape s = g.type(in).shape();
            if (g.type(in).dtype() != DType.F32) return false;
            boolean scalar = s.dims().stream().allMatch(Dim::isOne);
            boolean row = c.rank() >= 1 && s.rank() == 1 && s.dim(0).equals(c.dim(c.rank() - 1));
            if (!scalar && !row && !s.equals(c)) return false;
        }
        return true;
    }

    private static boolean isStateIn(Graph g, int node, Set<String> states) {
        return g.node(node).op() instanceof Op.Variable v && states.contains(v.name());
    }

    private static int[] aliases(Graph g, List<Kernel> kernels) {
        int[] aliasOf = new int[g.size()];
        Arrays.fill(aliasOf, -1);
        for (Kernel k : kernels) {
            if (k instanceof Kernel.Alias a && !(g.node(a.node()).op() instanceof Op.Const)) aliasOf[a.node()] = g.node(a.node()).input(0);
        }
        return aliasOf;
    }

    private static int root(int id, int[] aliasOf) {
        while (aliasOf[id] >= 0) id = aliasOf[id];
        return id;
    }
}
