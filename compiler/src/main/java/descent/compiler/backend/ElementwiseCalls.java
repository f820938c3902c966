package descent.compiler.backend;

import descent.compiler.emit.CastEmitter;
import descent.compiler.emit.ElementwiseEmitter;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.ElementwiseStyle;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.LayoutEmitter;
import descent.compiler.emit.LayoutKernel;
import descent.compiler.emit.StepWriter;
import java.util.ArrayList;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Node;
import descent.compiler.ir.Shape;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fused elementwise passes ({@link Kernel.Fused}, f32 or f64) and add_n as calls of generated
 * {@link ElementwiseKernel}s. The argument arrays go into per-thread holders, so a call allocates nothing.
 */
final class ElementwiseCalls {
    private ElementwiseCalls() {}

    static void fused(KernelCalls c, Kernel.Fused f) {
        if (f.results().isEmpty()) return;
        boolean f64 = c.g.type(f.results().get(0)).dtype() == DType.F64;
        Shape domain = f.shape();
        int[] to = c.concrete(domain);
        Sz length = Sz.of(to);
        int rowDim = to.length == 0 ? 1 : to[to.length - 1];
        int[] inputs = f.inputs().stream().mapToInt(Integer::intValue).toArray();
        Set<Integer> materialized = new HashSet<>(), converted = new HashSet<>();
        Prep prep = prepare(c, inputs, domain, to, length, f64 ? DType.F64 : DType.F32, materialized, converted);
        if (f64) {
            fused64(c, f, FusedExpr.from(c.g, f.results(), f.inputs(), materialized, converted), prep, length, rowDim);
            return;
        }
        FusedExpr expr = FusedExpr.from(c.g, f.results(), f.inputs(), materialized, converted);
        ElementwiseKernel kernel = compile(expr);
        int[] results = f.results().stream().mapToInt(Integer::intValue).toArray();
        for (int r : results) c.out(r);
        int inSlot = c.buffers.holder(inputs.length, true), outSlot = c.buffers.holder(results.length, true);
        // Large passes are split into contiguous ranges of whole rows, one per thread; each part's offsets
        // live in per-thread slots, so concurrent steps on one executable do not share them.
        int parts = materialized.isEmpty() && converted.isEmpty() ? c.threads.threads() : 1;
        if (parts == 1) {
            // Inputs that must be converted or broadcast first are, by calls of their own into their scratch.
            int[] read = prep.invoke(c, inputs);
            c.invoke(pass(kernel, false, inSlot, read, outSlot, results, length, rowDim < 0 ? Arg.batch() : Arg.constant(Math.max(1, rowDim))));
            return;
        }
        boolean hasRows = expr.inputs().contains(descent.compiler.emit.InputKind.ROW);
        // The update of a weight matrix (a pass reading state of its own [k, n] shape and a weight gradient split by
        // rows of W) splits by the same 8-row blocks whenever that product splits, from a smaller size: each core then
        // updates the rows of W, its slots and its gradient that it alone touched in the step.
        Sz gradientMacs = null;
        for (int in : inputs) if (c.rowSplits.containsKey(in)) gradientMacs = c.rowSplits.get(in);
        int stateUnit = gradientMacs != null && to.length == 2 && to[0] > 0 && readsStateOfShape(c, inputs, domain)
                ? Math.multiplyExact(8, to[1]) : 0;
        Arg row = rowDim < 0 ? Arg.batch() : Arg.constant(Math.max(1, rowDim));
        Arg.Count len = new Arg.Count(length.c(), length.p());
        int[] full = expr.inputs().stream().mapToInt(k -> k == descent.compiler.emit.InputKind.FULL ? 1 : 0).toArray();
        int[] partIn = new int[parts], partOut = new int[parts], partInHeld = new int[parts], partOutHeld = new int[parts];
        for (int p = 0; p < parts; p++) {
            partIn[p] = c.buffers.scratch(DType.I32, new Sz(inputs.length, 0));
            partOut[p] = c.buffers.scratch(DType.I32, new Sz(results.length, 0));
            partInHeld[p] = c.buffers.holder(inputs.length, true);
            partOutHeld[p] = c.buffers.holder(results.length, true);
        }
        String label = "fused_" + results[0];
        List<StepWriter.Action> whole = List.of(KernelCalls.invokes(pass(kernel, false, inSlot, inputs, outSlot, results, length, row), label));
        // Part p: a contiguous range of whole rows (of 64 elements when no input is a row vector), or of whole 8-row
        // blocks of W; each part has its own holders and offsets, so parts running at once share nothing they write.
        java.util.function.Function<Arg.Count, StepWriter.Action> split = unit -> {
            List<List<StepWriter.Action>> ps = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                Arg.Span from = new Arg.Span(len, unit, p, parts, false);
                int[] allOut = new int[results.length];
                Arrays.fill(allOut, 1);
                ps.add(List.of(KernelCalls.invokes(new Invocation(kernel, ElementwiseKernel.class, "run",
                        new Arg.Gathered(partInHeld[p], inputs, float[][].class), new Arg.Offsets(partIn[p], new Arg.Ints(full), from),
                        new Arg.Gathered(partOutHeld[p], results, float[][].class), new Arg.Offsets(partOut[p], new Arg.Ints(allOut), from),
                        new Arg.Span(len, unit, p, parts, true), row), label + "_part" + p)));
            }
            return new StepWriter.Action.Fork(ps);
        };
        Arg.Count unit = hasRows ? (Arg.Count) row : (Arg.Count) Arg.constant(64);
        StepWriter.Test small = KernelCalls.below(length, PARALLEL_ELEMENTS);
        StepWriter.Test spreadAt = null;
        for (int in : inputs) if (c.spread.containsKey(in)) spreadAt = c.spread.get(in);
        if (stateUnit == 0 && spreadAt != null) {
            // An input both cores wrote, each its own columns (a layer's input gradient, before its relu gradient):
            // on one core the pass pulls half its lines across, so it splits by rows from PARALLEL_SPREAD_ELEMENTS.
            StepWriter.Test notSplit = new StepWriter.Test.Any(List.of(KernelCalls.below(length, PARALLEL_SPREAD_ELEMENTS),
                    new StepWriter.Test.Not(spreadAt)));
            c.choose(notSplit, KernelCalls.branch(small, whole, List.of(split.apply(unit))), List.of(split.apply(unit)));
            return;
        }
        if (stateUnit == 0) {
            c.choose(small, whole, List.of(split.apply(unit)));
            return;
        }
        // By rows of W when that product split and the pass is at least PARALLEL_STATE_ELEMENTS; else as any pass.
        StepWriter.Test notByRows = new StepWriter.Test.Any(List.of(KernelCalls.below(length, PARALLEL_STATE_ELEMENTS),
                new StepWriter.Test.Not(WeightGradientCalls.splitsAt(gradientMacs))));
        c.choose(notByRows, KernelCalls.branch(small, whole, List.of(split.apply(unit))),
                List.of(split.apply((Arg.Count) Arg.constant(stateUnit))));
    }

    /**
     * The conversions and broadcasts a pass's inputs need before its loop reads them: an input of another dtype (a
     * select's integer condition) is converted into a scratch, one the loop cannot read as it is (a column broadcast,
     * say) is broadcast into a scratch. Adds those inputs to {@code converted} and {@code materialized}.
     */
    private static Prep prepare(KernelCalls c, int[] inputs, Shape domain, int[] to, Sz length, DType dtype,
                                Set<Integer> materialized, Set<Integer> converted) {
        LayoutKernel[] broadcasts = new LayoutKernel[inputs.length], casts = new LayoutKernel[inputs.length];
        int[] scratch = new int[inputs.length], castScratch = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            int in = inputs[i];
            DType from = c.g.type(in).dtype();
            if (from == dtype) continue;
            int[] dims = c.dims(in);
            converted.add(in);
            casts[i] = Kernels.get("cast " + from + dtype + Arrays.toString(dims), () -> CastEmitter.cast(from, dtype, dims));
            castScratch[i] = c.buffers.scratch(dtype, Sz.of(dims));
        }
        for (int i = 0; i < inputs.length; i++) {
            int in = inputs[i];
            if (FusedExpr.kindOf(c.g.type(in).shape(), domain) != null) continue;
            int[] from = c.dims(in);
            materialized.add(in);
            broadcasts[i] = Kernels.get("bcast " + dtype + Arrays.toString(from) + Arrays.toString(to),
                    () -> LayoutEmitter.broadcastTo(dtype, from, to));
            scratch[i] = c.buffers.scratch(dtype, length);
        }
        return new Prep(inputs, casts, castScratch, broadcasts, scratch);
    }

    /**
     * How a pass's inputs reach its loop: as their buffers, or first converted to the loop's dtype ({@code casts},
     * into {@code castScratch}) and/or broadcast to its shape ({@code broadcasts}, into {@code scratch}).
     */
    private record Prep(int[] inputs, LayoutKernel[] casts, int[] castScratch, LayoutKernel[] broadcasts, int[] scratch) {
        /**
         * Appends the calls that convert and broadcast the inputs that need it; returns the slot the pass reads
         * each input from (its scratch for those).
         */
        int[] invoke(KernelCalls c, int[] ins) {
            int[] read = ins.clone();
            int argSlot = -1, offSlot = -1;
            for (int i = 0; i < ins.length; i++) {
                if (casts[i] == null && broadcasts[i] == null) continue;
                if (argSlot < 0) {
                    argSlot = c.buffers.holder(1, false);
                    offSlot = c.buffers.scratch(DType.I32, new Sz(1, 0));
                }
                if (casts[i] != null) {
                    c.invoke(layout(casts[i], argSlot, read[i], offSlot, castScratch[i]));
                    read[i] = castScratch[i];
                }
                if (broadcasts[i] != null) {
                    c.invoke(layout(broadcasts[i], argSlot, read[i], offSlot, scratch[i]));
                    read[i] = scratch[i];
                }
            }
            return read;
        }

        private static Invocation layout(LayoutKernel k, int argSlot, int from, int offSlot, int to) {
            return new Invocation(k, LayoutKernel.class, "run", new Arg.Gathered(argSlot, new int[] {from}, Object[].class),
                    new Arg.Slot(offSlot, int[].class), new Arg.Slot(to, Object.class), Arg.constant(0), Arg.batch());
        }
    }

    /**
     * An f64 pass: the same call over double arrays, on one thread. Its kernel is a scalar loop (bitwise the
     * interpreter; C2 vectorizes it when every offset is 0), as f64 expressions have no vector style.
     */
    private static void fused64(KernelCalls c, Kernel.Fused f, FusedExpr expr, Prep prep, Sz length, int rowDim) {
        int[] inputs = prep.inputs();
        ElementwiseKernel kernel = Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseStyle.SCALAR));
        int[] results = f.results().stream().mapToInt(Integer::intValue).toArray();
        for (int r : results) c.out(r);
        int inSlot = c.buffers.doubleHolder(inputs.length), outSlot = c.buffers.doubleHolder(results.length);
        int[] read = prep.invoke(c, inputs);
        c.invoke(pass(kernel, true, inSlot, read, outSlot, results, length, rowDim < 0 ? Arg.batch() : Arg.constant(Math.max(1, rowDim))));
    }

    /**
     * Below this many elements a pass runs on one thread. Measured on the 2-core bench machine: split at 2¹⁷,
     * the embedding step's [256, 8, 64] passes made it three times slower (290 → 950 µs), while 1M-element
     * updates run twice as fast split. The cause, found later: on this machine a store to a cache line the
     * other core has read earlier in the step costs tens of nanoseconds. An Adam update of 100K floats split
     * in two takes 21 µs instead of 30 on its own, but 392 µs inside the MLP 784-128-10 step, whose forward
     * product read the weights on the other core (per-kernel timers, 2026-11-27).
     */
    static final int PARALLEL_ELEMENTS = 1 << 18;

    /**
     * The threshold for the update of a weight matrix whose weight gradient split by rows in the same call: split
     * in the same blocks of 8 rows, each core updates the rows of W (and of its slots and gradient) it alone
     * touched in the step. Without such a split a pass this small stays whole: had the other core read W (or
     * written the gradient), the update's stores would cost a line transfer each.
     */
    static final int PARALLEL_STATE_ELEMENTS = 1 << 15;

    /**
     * The threshold for a pass reading a value both cores wrote, each its own columns ({@link KernelCalls#spread}).
     * Case c's relu gradients ([128, 512], after dZ·Wᵀ split by columns): 43–46 µs each on one core of a two-thread
     * step against 12–15 in a one-thread step; split by rows, 23–24 µs (per-kernel timers, 2026-11-30).
     */
    static final int PARALLEL_SPREAD_ELEMENTS = 1 << 15;

    private static boolean readsStateOfShape(KernelCalls c, int[] inputs, Shape domain) {
        for (int in : inputs) if (c.g.node(in).op() instanceof descent.compiler.ir.Op.Variable && c.g.type(in).shape().equals(domain)) return true;
        return false;
    }

    /** add_n: a left-to-right chain of additions, as the interpreter sums. */
    static void addN(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        boolean f64 = n.type().dtype() == DType.F64;
        List<Integer> in = n.inputs();
        FusedExpr.Builder bld = FusedExpr.builder();
        int acc = -1;
        for (int i = 0; i < in.size(); i++) {
            int x = bld.input(FusedExpr.kindOf(c.g.type(in.get(i)).shape(), n.type().shape()));
            acc = acc < 0 ? x : bld.binary(BinaryFn.ADD, acc, x);
        }
        FusedExpr expr = bld.build(f64, acc);
        ElementwiseKernel kernel = f64 ? Kernels.get("fused " + expr, () -> ElementwiseEmitter.compile(expr, ElementwiseStyle.SCALAR))
                : compile(expr);
        int id = n.id();
        c.out(id);
        Sz length = c.size(id);
        int[] ins = in.stream().mapToInt(Integer::intValue).toArray();
        int inSlot = f64 ? c.buffers.doubleHolder(ins.length) : c.buffers.holder(ins.length, true);
        int outSlot = f64 ? c.buffers.doubleHolder(1) : c.buffers.holder(1, true);
        c.invoke(pass(kernel, f64, inSlot, ins, outSlot, new int[] {id}, length, Arg.constant(1)));
    }

    /**
     * A pass's call: its input and output arrays gathered into their holders, zero offsets, {@code length}
     * elements in rows of {@code row}.
     */
    private static Invocation pass(ElementwiseKernel kernel, boolean f64, int inSlot, int[] ins, int outSlot, int[] outs, Sz length,
                                   Arg row) {
        Class<?> held = f64 ? double[][].class : float[][].class;
        return new Invocation(kernel, ElementwiseKernel.class, f64 ? "run64" : "run", new Arg.Gathered(inSlot, ins, held),
                new Arg.Ints(new int[ins.length]), new Arg.Gathered(outSlot, outs, held), new Arg.Ints(new int[outs.length]),
                new Arg.Count(length.c(), length.p()), row);
    }

    static ElementwiseKernel compile(FusedExpr expr) {
        return Kernels.get("fused " + expr, () -> ElementwiseEmitter.compileForBackend(expr, null));
    }
}
