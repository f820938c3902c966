package descent.compiler.backend;

import descent.compiler.emit.StepWriter;
import descent.compiler.emit.StepWriter.Action;
import descent.compiler.emit.StepWriter.Test;
import java.util.ArrayList;
import java.util.List;

/**
 * The calls of a pair of independent products ({@link BranchPairs}) as one step action: the first on the calling
 * thread, the second on a worker, joined before the next call. While the pair runs, neither product splits its
 * own work (a nested {@link StepThreads#run} runs its parts on the thread that asked). Below {@link #FORK_MACS}
 * multiply-adds in either product the two run one after the other, each splitting as it would alone. So do a
 * layer's input gradient dZ·Wᵀ and its partner once dZ·Wᵀ is large enough to split by rows of W
 * ({@link ColumnsOfWMatmul#readsRowsOfW}): run at once, one core would read all of W, and the update of W that
 * follows would store to lines of W the other core holds — in the MLP 784-512-512-10 step that update took
 * 570 µs instead of 90 whenever this VM was in its slow state for such stores (2026-11-27).
 */
final class BranchFork {
    private BranchFork() {}

    /**
     * Measured on the 2-core bench machine (MLP 784-512-512-10, batch 128, Momentum: its two 128×512×512
     * backward products): see the issue note of 2026-11-27. Below about a million multiply-adds a product
     * takes ~10 µs, and waking a worker and joining it is a few µs.
     */
    static final long FORK_MACS = 1 << 20;

    /** {@link #FORK_MACS}, as steps built from now on use it; tests set it to 0 so that every pair runs at once. */
    static long forkMacs = FORK_MACS;

    /**
     * {@code first} then {@code second} when either product is below {@link #forkMacs} multiply-adds or the pair's
     * dZ·Wᵀ ({@code rowsOfWMacs}, or null when neither product is one) splits by rows of W; else both at once.
     */
    static Action action(List<Action> first, List<Action> second, Sz firstMacs, Sz secondMacs, Sz rowsOfWMacs) {
        List<Test> apart = new ArrayList<>(List.of(KernelCalls.below(firstMacs, forkMacs), KernelCalls.below(secondMacs, forkMacs)));
        if (rowsOfWMacs != null) apart.add(new Test.Not(KernelCalls.below(rowsOfWMacs, WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT)));
        List<Action> inTurn = new ArrayList<>(first);
        inTurn.addAll(second);
        return new Action.Choose(new Test.Any(apart), inTurn, List.of(new Action.Fork(List.of(first, second))));
    }
}
