package descent.compiler.lower;

import descent.compiler.ir.Shape;
import java.util.List;

/**
 * One loop nest of a lowered train step (what the bytecode backend emits as one piece of code), in the
 * plan's order. What each kernel computes is its nodes' ops; the loops that compute them are the emitter's.
 */
public sealed interface Kernel {
    /**
     * Elementwise nodes fused into one pass over {@code shape}: {@code inputs} are read (broadcast as their
     * shapes say), {@code results} are the members whose values leave the kernel (used later, fetched or
     * written to state); every other member lives only in registers.
     */
    record Fused(List<Integer> nodes, List<Integer> inputs, List<Integer> results, Shape shape) implements Kernel {}

    /** A node with its own loop structure: matmul, reduction, softmax, gather, scatter, transpose, ... */
    record Single(int node) implements Kernel {}

    /**
     * A matmul whose only consumer is an elementwise chain applied to each tile of C before it is stored, so C
     * is written once: {@code result = act(matmul + bias)} with {@code bias} a row vector along C's last axis.
     * {@code nodes} are the chain in order (an add of {@code bias}, then optionally relu, tanh or sigmoid); only {@code result}
     * (the last of them) leaves the kernel — the matmul's own value and the add's never get a buffer.
     */
    record MatmulEpilogue(int matmul, List<Integer> nodes, int bias, int result) implements Kernel {}

    /**
     * Sparse updates of a variable and its slots as one loop over the listed rows ({@link SparseRowFusion}):
     * for each position of {@code indices} whose {@code mask} is set, the rows the {@code gathers} read are
     * loaded from their variables, the group's elementwise nodes computed, and each scatter's new row stored
     * into its variable. {@code nodes} are every node computed here (gathers, elementwise nodes, scatters) in
     * topological order; {@code inputs} are the gathers, then the values read from other kernels; only the
     * scatters leave the kernel (their writes follow it, in place). {@code rows} is the gathered rows' shape.
     */
    record SparseRows(List<Integer> nodes, List<Integer> inputs, List<Integer> gathers, List<Integer> scatters,
                      int indices, int mask, Shape rows) implements Kernel {
        /** Every value the loop reads: its non-gather inputs, the variables, the indices and the mask. */
        public List<Integer> reads(descent.compiler.ir.Graph g) {
            java.util.LinkedHashSet<Integer> r = new java.util.LinkedHashSet<>();
            for (int in : inputs) r.add(gathers.contains(in) ? g.node(in).input(0) : in);
            for (int u : scatters) r.add(g.node(u).input(0));
            r.add(indices);
            r.add(mask);
            return List.copyOf(r);
        }
    }

    /**
     * A weight gradient C = Aᵀ·B computed a block of rows at a time, each block followed at once by
     * {@code update}, the elementwise pass of an optimizer's update over C's shape ({@link UpdateFusion}): the
     * update runs inside the loop that completes its gradient, reading each block while it is in cache.
     * {@code kept}: C has a buffer of its own because something else reads it; otherwise each block lives in a
     * scratch and C is never stored whole. The update's writes follow this kernel.
     */
    record ProductUpdate(int product, Fused update, boolean kept) implements Kernel {}

    /**
     * A reduction (a bias's gradient: sum_to, or reduce) followed at once, in one kernel, by {@code update}, the
     * elementwise pass of an optimizer's update over the reduction's shape ({@link UpdateFusion}). The sums are
     * final only after the reduction's last row, so the update runs once, over all of them, while they are in
     * cache. {@code kept}: the reduction has a buffer of its own because something else reads it; otherwise it
     * lives in a scratch. The update's writes follow this kernel.
     */
    record ReduceUpdate(int reduction, Fused update, boolean kept) implements Kernel {}

    /** A node that moves no data: reshape, identity, stop_gradient, a constant. */
    record Alias(int node) implements Kernel {}

    /**
     * A state write. {@code inPlace}: the kernel computing {@code value} may store straight into the state's
     * storage (every read of the old value is already done), so no buffer for the new value is needed.
     */
    record Write(String state, int value, boolean inPlace) implements Kernel {}

    record Barrier(String reason) implements Kernel {}

    /** The nodes a kernel gives values to (a fused kernel: all of its nodes, results or not). */
    static List<Integer> defines(Kernel k) {
        return switch (k) {
            case Fused f -> f.nodes();
            case Single s -> List.of(s.node());
            case MatmulEpilogue e -> java.util.stream.Stream.concat(java.util.stream.Stream.of(e.matmul()), e.nodes().stream()).toList();
            case Alias a -> List.of(a.node());
            case SparseRows r -> r.nodes();
            case ProductUpdate u -> java.util.stream.Stream.concat(java.util.stream.Stream.of(u.product()), u.update().nodes().stream()).toList();
            case ReduceUpdate u -> java.util.stream.Stream.concat(java.util.stream.Stream.of(u.reduction()), u.update().nodes().stream()).toList();
            case Write w -> List.of();
            case Barrier b -> List.of();
        };
    }

    /** The values a kernel reads from other kernels (a write reads the value it stores). */
    static List<Integer> reads(descent.compiler.ir.Graph g, Kernel k) {
        return switch (k) {
            case Fused f -> f.inputs();
            case Single s -> g.node(s.node()).inputs();
            case MatmulEpilogue e -> java.util.stream.Stream.concat(g.node(e.matmul()).inputs().stream(),
                    java.util.stream.Stream.of(e.bias())).toList();
            case Alias a -> g.node(a.node()).inputs();
            case SparseRows r -> r.reads(g);
            case ProductUpdate u -> java.util.stream.Stream.concat(g.node(u.product()).inputs().stream(),
                    u.update().inputs().stream().filter(x -> x != u.product())).distinct().toList();
            case ReduceUpdate u -> java.util.stream.Stream.concat(g.node(u.reduction()).inputs().stream(),
                    u.update().inputs().stream().filter(x -> x != u.reduction())).distinct().toList();
            case Write w -> List.of(w.value());
            case Barrier b -> List.of();
        };
    }
}
