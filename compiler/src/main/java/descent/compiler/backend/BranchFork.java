package descent.compiler.backend;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * The calls of a pair of independent products ({@link BranchPairs}): the first on the calling thread, the
 * second on a worker, joined before the next call. While the pair runs, neither product splits its own work
 * (a nested {@link StepThreads#run} runs its parts on the thread that asked). Below {@link #FORK_MACS}
 * multiply-adds in either product the two run one after the other, each splitting as it would alone. So do a
 * layer's input gradient dZ·Wᵀ and its partner once dZ·Wᵀ is large enough to split by rows of W
 * ({@link ColumnsOfWMatmul#readsRowsOfW}): run at once, one core would read all of W, and the update of W that
 * follows would store to lines of W the other core holds — in the MLP 784-512-512-10 step that update took
 * 570 µs instead of 90 whenever this VM was in its slow state for such stores (2026-11-27).
 */
final class BranchFork implements KernelCalls.Call {
    /**
     * Measured on the 2-core bench machine (MLP 784-512-512-10, batch 128, Momentum: its two 128×512×512
     * backward products): see the issue note of 2026-11-27. Below about a million multiply-adds a product
     * takes ~10 µs, and waking a worker and joining it is a few µs.
     */
    static final long FORK_MACS = 1 << 20;

    /** {@link #FORK_MACS}; tests set it to 0 so that every pair runs at once. */
    static long forkMacs = FORK_MACS;

    private final KernelCalls.Call[] first, second;
    private final Sz firstMacs, secondMacs;
    /** Multiply-adds of the pair's dZ·Wᵀ that splits by rows of W, or null when neither product is one. */
    private final Sz rowsOfWMacs;
    private final StepThreads threads;
    /** A per-thread holder slot for the {@link Branches} object, so a call allocates nothing. */
    private final int holder;

    BranchFork(List<Object> first, List<Object> second, Sz firstMacs, Sz secondMacs, Sz rowsOfWMacs, StepThreads threads, int holder) {
        this.rowsOfWMacs = rowsOfWMacs;
        this.first = first.stream().map(KernelCalls::asCall).toArray(KernelCalls.Call[]::new);
        this.second = second.stream().map(KernelCalls::asCall).toArray(KernelCalls.Call[]::new);
        this.firstMacs = firstMacs;
        this.secondMacs = secondMacs;
        this.threads = threads;
        this.holder = holder;
    }

    @Override public void run(Object[] buf, long step, int b) {
        if (Math.min(firstMacs.atLong(b), secondMacs.atLong(b)) < forkMacs
                || rowsOfWMacs != null && rowsOfWMacs.atLong(b) >= WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT) {
            for (KernelCalls.Call c : first) c.run(buf, step, b);
            for (KernelCalls.Call c : second) c.run(buf, step, b);
            return;
        }
        Object[] h = (Object[]) buf[holder];
        Branches branches = (Branches) h[0];
        if (branches == null) h[0] = branches = new Branches();
        branches.buf = buf;
        branches.step = step;
        branches.b = b;
        threads.run(2, branches);
    }

    /** One thread's view of the pair: part 0 runs the first product, part 1 the second. */
    private final class Branches implements IntConsumer {
        private Object[] buf;
        private long step;
        private int b;

        @Override public void accept(int part) {
            for (KernelCalls.Call c : part == 0 ? first : second) c.run(buf, step, b);
        }
    }
}
