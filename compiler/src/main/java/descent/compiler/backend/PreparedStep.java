package descent.compiler.backend;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Model;
import descent.compiler.ir.TensorType;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A repeated train call (or evaluation: {@link #train} null) with one fetch list, resolved once so that running it
 * again allocates nothing: the
 * node ids of its inputs, state and fetches, its executable, and the feeds already checked (a tensor's shape
 * never changes, so a feed seen before is not checked again).
 */
final class PreparedStep {
    /** A feed already checked against its input, and the size of the symbolic dimension it implies (-1: none). */
    private record Checked(Tensor tensor, int b) {}

    final String train;
    final List<String> fetches;
    final int[] nodeIds;
    final Executable exe;
    private final int[] inputIds;
    private final String[] inputNames;
    private final TensorType[] inputTypes;
    private final int[] varIds;
    private final Object[] varArrays;
    private final Checked[] checked;
    /** The element count of each fetch. */
    final Sz[] fetchCounts;
    /** Whether a fetch is state's own array ({@code CompiledSession.fetchesState}): copied under the read locks. */
    final boolean fetchesState;

    PreparedStep(String train, List<String> fetches, int[] nodeIds, Executable exe, int[] inputIds, String[] inputNames,
                 TensorType[] inputTypes, int[] varIds, Object[] varArrays, Sz[] fetchCounts, boolean fetchesState) {
        this.fetchesState = fetchesState;
        this.train = train;
        this.fetches = fetches;
        this.nodeIds = nodeIds;
        this.exe = exe;
        this.inputIds = inputIds;
        this.inputNames = inputNames;
        this.inputTypes = inputTypes;
        this.varIds = varIds;
        this.varArrays = varArrays;
        this.checked = new Checked[inputIds.length];
        this.fetchCounts = fetchCounts;
    }

    /** Whether this is the call of {@code train} (null: an evaluation) with these fetches (List.equals without an iterator). */
    boolean matches(String train, List<String> fetches) {
        if (!java.util.Objects.equals(this.train, train)) return false;
        if (this.fetches == fetches) return true;
        int n = this.fetches.size();
        if (fetches.size() != n) return false;
        for (int i = 0; i < n; i++) if (!this.fetches.get(i).equals(fetches.get(i))) return false;
        return true;
    }

    /**
     * Runs the call with {@code steps}' next step number (an evaluation: its current one, which it leaves as it
     * is); returns the context holding its fetched values, or null
     * when the feeds do not fit (the general path then reports what is wrong).
     */
    Executable.Ctx run(Model model, Map<String, Tensor> feeds, Map<String, Object> state, StepCounter steps,
                       Map<String, ReentrantReadWriteLock> locks) {
        int b = bind(model, feeds);
        return b < 0 ? null : run(b, feeds, state, steps, locks);
    }

    /** {@link #run} for feeds {@link #bind} has accepted, with the size it bound. */
    Executable.Ctx run(int b, Map<String, Tensor> feeds, Map<String, Object> state, StepCounter steps, Map<String, ReentrantReadWriteLock> locks) {
        Executable.Ctx ctx = exe.context(b);
        Object[] buf = ctx.buf;
        for (int i = 0; i < inputIds.length; i++) buf[inputIds[i]] = feeds.get(inputNames[i]).data();
        for (int i = 0; i < varIds.length; i++) buf[varIds[i]] = varArrays[i];
        if (train == null) {
            exe.run(ctx, state, steps.current(), locks);
            return ctx;
        }
        long step = steps.start();
        try {
            exe.run(ctx, state, step, locks);
        } catch (RuntimeException | Error e) {
            steps.failed(step); // a failed step is not a step: the count stays the number of steps taken
            throw e;
        }
        return ctx;
    }

    /**
     * Checks the feeds without allocating; returns the symbolic dimension's size (0 without one), or -1 when
     * anything is off.
     */
    int bind(Model model, Map<String, Tensor> feeds) {
        if (feeds.size() > model.inputs().size()) return -1;
        int b = -1;
        for (int i = 0; i < inputIds.length; i++) {
            Tensor t = feeds.get(inputNames[i]);
            if (t == null) return -1;
            Checked c = checked[i];
            int tb;
            if (c != null && c.tensor() == t) {
                tb = c.b();
            } else {
                tb = check(t, inputTypes[i]);
                if (tb == -2) return -1;
                checked[i] = new Checked(t, tb);
            }
            if (tb >= 0) {
                if (b >= 0 && b != tb) return -1;
                b = tb;
            }
        }
        if (feeds.size() != inputIds.length) {
            // Feeds this step does not read must still fit their inputs (the general path reports those that do not).
            for (var e : feeds.entrySet()) {
                Model.InputInfo input = model.input(e.getKey());
                if (input == null || e.getValue() == null || check(e.getValue(), input.type()) == -2) return -1;
            }
        }
        return Math.max(b, 0);
    }

    /** The symbolic dimension's size a feed implies (-1: it has none), or -2 when it does not fit the input. */
    private static int check(Tensor t, TensorType type) {
        if (t.dtype() != type.dtype()) return -2;
        int[] s = t.shape();
        List<Dim> dims = type.shape().dims();
        if (s.length != dims.size()) return -2;
        int b = -1;
        for (int d = 0; d < s.length; d++) {
            Dim dim = dims.get(d);
            if (dim.isSymbolic()) {
                if (b >= 0 && b != s[d]) return -2;
                b = s[d];
            } else if (dim.size() != s[d]) {
                return -2;
            }
        }
        return b;
    }
}
