package descent.compiler.backend;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Independent branches of a step run at once: pairs of matrix products neither of which needs the other
 * (in an MLP's backward pass, a layer's weight gradient Aᵀ·dZ and the gradient of its input dZ·Wᵀ), the
 * second moved up to run beside the first, one on each of two threads ({@link #withNext}).
 *
 * <p>The second product {@code j} of a pair moves up to just after the first {@code i} only when that
 * changes no value: {@code j} reads only values defined before {@code i}; no state {@code j} reads is written
 * between {@code i} and {@code j} (directly by an in-place kernel or by a write); neither product's value is
 * stored into state (an in-place product would race with the other's reads); and no barrier lies between
 * them, so the gate mode's order of reads, gradients and updates is kept. Both products compute exactly what
 * they computed in the plan's order, so the step's results are bitwise those of one thread. Products cannot
 * fail, so a failed step is undone as before. Nothing is paired when the step takes locks (use_locking): the
 * locked span is counted in kernel positions.
 *
 * <p>Buffers: a pair's two kernels share one time in {@link #time}, so neither's output can reuse an array
 * the other reads or writes while both run.
 */
record BranchPairs(List<Kernel> kernels, boolean[] withNext, int[] time) {

    /** The plan's kernels unchanged: nothing runs at once. */
    static BranchPairs none(List<Kernel> kernels) {
        int[] time = new int[kernels.size()];
        Arrays.setAll(time, i -> i);
        return new BranchPairs(kernels, new boolean[kernels.size()], time);
    }

    /**
     * Pairs independent products of {@code kernels} when a step runs on exactly two threads. With more, each
     * product splits over all of them instead: a pair would run each product on one thread and leave the
     * others idle (a split asked for inside a pair runs on the thread that asked).
     */
    static BranchPairs of(Graph g, List<Kernel> kernels, int threads, boolean locked) {
        return of(g, kernels, threads, locked, symbolic(g));
    }

    /**
     * The same, for a step whose symbolic dimensions are bound by {@code bindings} (-1: left symbolic, the batch).
     *
     * <p>A product with its update inside ({@link Kernel.ProductUpdate}) is not paired with a layer's input gradient
     * dZ·Wᵀ that splits by rows of W from {@link WeightGradientCalls#PARALLEL_MACS_WEIGHT_GRADIENT} on, unless that
     * product stays below it: such a pair runs one product after the other anyway ({@link BranchFork#action}), and
     * unfused, the update reads its weight gradient back from memory (MLP 784-512-512-10, batch 128, two threads:
     * W₂'s Momentum update 33–51 µs as a kernel of its own).
     */
    static BranchPairs of(Graph g, List<Kernel> kernels, int threads, boolean locked, Map<String, Integer> bindings) {
        if (threads != 2 || locked) return none(kernels);
        // A product with its update inside pairs as the product alone, its update right after it (where the
        // fused kernel ran, so nothing moves across it); one that finds no partner gets its update back.
        List<Kernel> expanded = new ArrayList<>();
        Map<Integer, Kernel.ProductUpdate> fused = new java.util.HashMap<>();
        for (Kernel k : kernels) {
            if (k instanceof Kernel.ProductUpdate u) {
                fused.put(u.product(), u);
                expanded.add(new Kernel.Single(u.product()));
                expanded.add(u.update());
            } else {
                expanded.add(k);
            }
        }
        BranchPairs pairs = pair(g, expanded, (a, b) -> !keepsFused(g, a, b, fused, bindings) && !keepsFused(g, b, a, fused, bindings));
        return fused.isEmpty() ? pairs : pairs.refuse(fused);
    }

    /** Whether {@code product}'s update stays inside it rather than {@code product} pairing with {@code other} (see {@link #of}). */
    private static boolean keepsFused(Graph g, Kernel product, Kernel other, Map<Integer, Kernel.ProductUpdate> fused,
                                      Map<String, Integer> bindings) {
        if (!(product instanceof Kernel.Single s) || !fused.containsKey(s.node()) || !readsRowsOfW(g, other)) return false;
        Sz macs = macs(g, other, bindings);
        return macs.p() > 0 || macs.c() >= WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT;
    }

    /** Every symbolic dimension of {@code g} left symbolic. */
    private static Map<String, Integer> symbolic(Graph g) {
        Map<String, Integer> b = new java.util.HashMap<>();
        for (Node n : g.nodes()) for (var d : g.type(n.id()).shape().dims()) if (d.isSymbolic()) b.put(d.symbol(), -1);
        return b;
    }

    /**
     * These pairs with each unpaired product of {@code fused} and the update after it made one kernel again.
     * Nothing can have moved between them: a product is moved up only to just after a paired one.
     */
    private BranchPairs refuse(Map<Integer, Kernel.ProductUpdate> fused) {
        List<Kernel> out = new ArrayList<>();
        List<Boolean> next = new ArrayList<>();
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            boolean paired = withNext[i] || i > 0 && withNext[i - 1];
            Kernel.ProductUpdate u = k instanceof Kernel.Single s ? fused.get(s.node()) : null;
            if (u != null && !paired && i + 1 < kernels.size() && kernels.get(i + 1) == u.update()) {
                k = u;
                i++;
            }
            out.add(k);
            next.add(withNext[i]);
        }
        boolean[] withNext = new boolean[out.size()];
        for (int i = 0; i < withNext.length; i++) withNext[i] = next.get(i);
        int[] time = new int[out.size()];
        for (int i = 0; i < time.length; i++) time[i] = i > 0 && withNext[i - 1] ? i - 1 : i;
        return new BranchPairs(List.copyOf(out), withNext, time);
    }

    private static BranchPairs pair(Graph g, List<Kernel> kernels, java.util.function.BiPredicate<Kernel, Kernel> allowed) {
        int n = kernels.size();
        int[] definedAt = new int[g.size()];
        Arrays.fill(definedAt, -1);
        int[] aliasOf = new int[g.size()];
        Arrays.fill(aliasOf, -1);
        Set<Integer> stored = new HashSet<>();
        for (int ki = 0; ki < n; ki++) {
            Kernel k = kernels.get(ki);
            for (int d : Kernel.defines(k)) definedAt[d] = ki;
            if (k instanceof Kernel.Alias a && !(g.node(a.node()).op() instanceof Op.Const)) aliasOf[a.node()] = g.node(a.node()).input(0);
            if (k instanceof Kernel.Write w) stored.add(w.value());
        }
        List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, n).boxed().toList());
        boolean[] withNext = new boolean[n];
        for (int i = 0; i < order.size(); i++) {
            int first = order.get(i);
            if (!candidate(g, kernels.get(first), stored)) continue;
            for (int j = i + 1; j < order.size(); j++) {
                int second = order.get(j);
                if (kernels.get(second) instanceof Kernel.Barrier) break;
                if (candidate(g, kernels.get(second), stored) && allowed.test(kernels.get(first), kernels.get(second))
                        && movable(g, kernels, first, second, definedAt, aliasOf)) {
                    order.remove(j);
                    order.add(i + 1, second);
                    withNext[i] = true;
                    i++;
                    break;
                }
            }
        }
        int[] time = new int[n];
        for (int i = 0; i < n; i++) time[i] = i > 0 && withNext[i - 1] ? i - 1 : i;
        return new BranchPairs(order.stream().map(kernels::get).toList(), withNext, time);
    }

    /** The number of pairs. */
    int count() {
        int c = 0;
        for (boolean b : withNext) if (b) c++;
        return c;
    }

    /** A matrix product whose value is not stored into state. */
    private static boolean candidate(Graph g, Kernel k, Set<Integer> stored) {
        boolean product = k instanceof Kernel.MatmulEpilogue
                || k instanceof Kernel.Single s && g.node(s.node()).op() instanceof Op.MatMul;
        if (!product) return false;
        for (int d : Kernel.defines(k)) if (stored.contains(d)) return false;
        return true;
    }

    /**
     * Whether the product at {@code from} in the plan may run beside the one at {@code to}: it reads nothing
     * defined at or after {@code to}, and no state it reads is written in between. (Positions are the plan's;
     * a product moved up by an earlier pair only makes this more cautious.)
     */
    private static boolean movable(Graph g, List<Kernel> kernels, int to, int from, int[] definedAt, int[] aliasOf) {
        Set<String> reads = new HashSet<>();
        for (int r : Kernel.reads(g, kernels.get(from))) {
            if (definedAt[r] >= to) return false;
            int root = r;
            while (aliasOf[root] >= 0) root = aliasOf[root];
            if (g.node(root).op() instanceof Op.Variable v) reads.add(v.name());
        }
        for (int p = to; p < from; p++) {
            Kernel between = kernels.get(p);
            if (between instanceof Kernel.Barrier) return false;
            if (between instanceof Kernel.Write w && reads.contains(w.state())) return false;
        }
        return true;
    }

    /**
     * Whether a product kernel, with or without an epilogue, is X·Wᵀ with W a variable, which splits by rows of W
     * ({@link ColumnsOfWMatmul#readsRowsOfW}).
     */
    static boolean readsRowsOfW(Graph g, Kernel k) {
        return switch (k) {
            case Kernel.Single s -> ColumnsOfWMatmul.readsRowsOfW(g, g.node(s.node()));
            case Kernel.MatmulEpilogue e -> ColumnsOfWMatmul.readsRowsOfW(g, g.node(e.matmul()));
            default -> false;
        };
    }

    /** Multiply-adds of a product kernel, as a count times a power of the batch. */
    static Sz macs(Graph g, Kernel k, Map<String, Integer> bindings) {
        int id = switch (k) {
            case Kernel.MatmulEpilogue e -> e.matmul();
            case Kernel.Single s -> s.node();
            default -> throw new IllegalArgumentException("not a product: " + k);
        };
        Node n = g.node(id);
        Op.MatMul m = (Op.MatMul) n.op();
        int[] a = g.type(n.input(0)).shape().concrete(bindings);
        int inner = m.transposeA() ? a[a.length - 2] : a[a.length - 1];
        Sz out = Sz.of(g.type(id).shape().concrete(bindings));
        return inner < 0 ? new Sz(out.c(), out.p() + 1) : new Sz(out.c() * inner, out.p());
    }
}
