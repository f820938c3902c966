package descent.compiler.backend;

import descent.compiler.emit.CopyKernel;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.RowsEmitter;
import descent.compiler.emit.RowsKernel;
import descent.compiler.emit.RowsSpec;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.emit.StepWriter;
import descent.runtime.DescentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;

/**
 * gather, scatter_add, dedup_sum, first_occurrence, scatter_update, scatter_accumulate and one_hot as calls
 * of generated {@link RowsEmitter} kernels (f64: scalar kernels over double arrays). Row counts and widths must not be the symbolic dimension; the
 * number of indices may be.
 */
final class RowsCalls {
    private RowsCalls() {}

    static void gather(KernelCalls c, Node n, Op.Gather ga) {
        KernelCalls.requireFloating(n);
        int[] p = c.dims(n.input(0));
        int outer = KernelCalls.fixed(Sz.of(Arrays.copyOfRange(p, 0, ga.axis()))), rows = KernelCalls.fixedDim(p[ga.axis()]),
                inner = KernelCalls.fixed(Sz.of(Arrays.copyOfRange(p, ga.axis() + 1, p.length)));
        RowsSpec spec = RowsSpec.gather(outer, rows, inner, c.isLong(n.input(1)));
        if (outer != 1 || c.threads.threads() == 1 || n.type().dtype() != descent.runtime.DType.F32) {
            call(c, n.id(), spec, n.input(0), n.input(1), -1, -1, false);
            return;
        }
        // An embedding lookup: from SparseRowsCalls.PARALLEL_ELEMENTS on, one contiguous range of indices per thread —
        // the ranges the sparse update of the same rows is split by, so each core reads the rows it last wrote.
        // The closure holds the cache entry itself (not only its kernel), so the entry stays while the step lives and
        // the next model with this spec finds it rather than defining a second class.
        RowsEmitter.Emitted emitted = Kernels.get("rows " + spec, () -> RowsEmitter.emit(spec));
        int id = n.id(), src = n.input(0), indices = n.input(1), parts = c.threads.threads();
        c.out(id);
        Sz count = c.size(indices);
        Arg.Count k = new Arg.Count(count.c(), count.p());
        Invocation whole = new Invocation(emitted.kernel(), RowsKernel.class, "run", object(src), Arg.constant(0), object(indices),
                Arg.constant(0), k, new Arg.Null(Object.class), object(id), Arg.constant(0), new Arg.Null(int[].class));
        List<List<StepWriter.Action>> split = new ArrayList<>();
        for (int part = 0; part < parts; part++) {
            // The same ranges of ids (an Arg.Span of the positions) as the sparse update of these rows (SparseRowsCalls).
            Arg.Span from = new Arg.Span(k, (Arg.Count) Arg.constant(1), part, parts, false);
            split.add(List.of(KernelCalls.invokes(new Invocation(emitted.kernel(), RowsKernel.class, "run", object(src), Arg.constant(0),
                    object(indices), from, new Arg.Span(k, (Arg.Count) Arg.constant(1), part, parts, true), new Arg.Null(Object.class),
                    object(id), from.times(inner), new Arg.Null(int[].class)), "gather_" + id + "_part" + part)));
        }
        // A part reports a bad index at its position within the part: the whole list, checked again before anything
        // is written, reports it at its position in the list, as one thread does.
        StepWriter.Action one = KernelCalls.invokes(whole, "gather_" + id);
        c.choose(KernelCalls.below(new Sz(count.c() * inner, count.p()), SparseRowsCalls.PARALLEL_ELEMENTS), List.of(one),
                List.of(new StepWriter.Action.Fork(split, List.of(one))));
    }

    static void scatterAdd(KernelCalls c, Node n, Op.ScatterAdd s) {
        KernelCalls.requireFloating(n);
        int[] o = c.dims(n.id());
        int outer = KernelCalls.fixed(Sz.of(Arrays.copyOfRange(o, 0, s.axis()))), rows = KernelCalls.fixedDim(o[s.axis()]),
                inner = KernelCalls.fixed(Sz.of(Arrays.copyOfRange(o, s.axis() + 1, o.length)));
        call(c, n.id(), RowsSpec.scatterAdd(outer, rows, inner, c.isLong(n.input(1))), n.input(0), n.input(1), -1, -1, false);
    }

    static void dedupSum(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        Sz count = c.size(n.input(1)), values = c.size(n.input(0));
        if (count.p() != values.p()) throw new KernelCalls.Fallback();
        int inner = count.c() == 0 ? 1 : Math.toIntExact(values.c() / count.c());
        call(c, n.id(), RowsSpec.dedupSum(idRange(c, n.input(1)), inner, c.isLong(n.input(1))), n.input(0), n.input(1), -1, -1, false);
    }

    static void firstOccurrence(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        call(c, n.id(), RowsSpec.firstOccurrence(idRange(c, n.input(0)), c.isLong(n.input(0))), -1, n.input(0), -1, -1, false);
    }

    static void scatterUpdate(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        int[] v = c.dims(n.input(0));
        call(c, n.id(), RowsSpec.scatterUpdate(KernelCalls.fixedDim(v[0]), KernelCalls.fixed(Sz.of(Arrays.copyOfRange(v, 1, v.length))),
                c.isLong(n.input(1))), n.input(2), n.input(1), n.input(3), n.input(0), true);
    }

    static void scatterAccumulate(KernelCalls c, Node n) {
        KernelCalls.requireFloating(n);
        int[] v = c.dims(n.input(0));
        call(c, n.id(), RowsSpec.scatterAccumulate(KernelCalls.fixedDim(v[0]), KernelCalls.fixed(Sz.of(Arrays.copyOfRange(v, 1, v.length))),
                c.isLong(n.input(1))), n.input(2), n.input(1), -1, n.input(0), true);
    }

    static void oneHot(KernelCalls c, Node n, Op.OneHot o) {
        KernelCalls.requireFloating(n);
        call(c, n.id(), RowsSpec.oneHot(o.depth(), o.onValue(), o.offValue(), c.isLong(n.input(0))), -1, n.input(0), -1, -1, false);
    }

    /** A row op; {@code base} (the variable for in-place ops) is copied into the output first. */
    private static void call(KernelCalls c, int id, RowsSpec f32Spec, int src, int indices, int aux, int base, boolean copyBase) {
        RowsSpec spec = c.g.type(id).dtype() == descent.runtime.DType.F64 ? f32Spec.inF64() : f32Spec;
        RowsEmitter.Emitted e = Kernels.get("rows " + spec, () -> RowsEmitter.emit(spec));
        c.out(id);
        Sz n = c.size(indices);
        if (copyBase) {
            Sz baseSize = c.size(base);
            c.invoke(new Invocation(CopyApart.INSTANCE, CopyKernel.class, "run", object(base), object(id), new Arg.Count(baseSize.c(), baseSize.p())));
        }
        // The ops that link equal indices take an all-zero scratch of R + 2n ints, which they leave all zero.
        int scratch = e.scratchInts(1) > 0 ? c.buffers.scratch(descent.runtime.DType.I32, new Sz(2 * n.c(), n.p()), e.scratchInts(0)) : -1;
        c.invoke(new Invocation(e.kernel(), RowsKernel.class, "run", src < 0 ? new Arg.Null(Object.class) : object(src), Arg.constant(0),
                object(indices), Arg.constant(0), new Arg.Count(n.c(), n.p()), aux < 0 ? new Arg.Null(Object.class) : object(aux),
                object(id), Arg.constant(0), scratch < 0 ? new Arg.Null(int[].class) : new Arg.Slot(scratch, int[].class)));
    }

    private static Arg object(int slot) { return new Arg.Slot(slot, Object.class); }

    /** Copies the first n elements of src into dst unless they are one array (an op done in place). */
    enum CopyApart implements CopyKernel {
        INSTANCE;

        @Override public void run(Object src, Object dst, int n) { if (src != dst) System.arraycopy(src, 0, dst, 0, n); }
    }

    /** The id range of a sparse update's indices: the rows of the variable the same indices gather from. */
    private static int idRange(KernelCalls c, int indices) {
        Node source = idSource(c.g, indices);
        if (source == null) throw new DescentException("the compiled backend cannot bound the indices of %" + indices + "; use --backend interpreter");
        return KernelCalls.fixedDim(c.dims(source.input(0))[0]);
    }

    /** The node that gathers rows of a variable with {@code indices} or scatters into one, or null. */
    static Node idSource(descent.compiler.ir.Graph g, int indices) {
        for (Node m : g.nodes()) {
            boolean uses = m.inputs().size() > 1 && m.input(1) == indices;
            if (uses && (m.op() instanceof Op.ScatterUpdate || m.op() instanceof Op.ScatterAccumulate
                    || m.op() instanceof Op.Gather ga && ga.axis() == 0)) return m;
        }
        return null;
    }
}
