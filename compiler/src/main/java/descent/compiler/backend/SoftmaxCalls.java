package descent.compiler.backend;

import static descent.compiler.emit.Invocation.Arg.constant;
import static descent.compiler.emit.Invocation.Arg.doubles;
import static descent.compiler.emit.Invocation.Arg.floats;

import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.SoftmaxEmitter;
import descent.compiler.emit.SoftmaxF64Emitter;
import descent.compiler.emit.SoftmaxF64Kernel;
import descent.compiler.emit.SoftmaxKernel;
import descent.compiler.emit.SoftmaxSparseXentKernel;
import descent.compiler.emit.SoftmaxXentKernel;
import descent.compiler.ir.Node;
import descent.compiler.emit.StepWriter;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * softmax, log_softmax and the two cross entropies as calls of generated {@link SoftmaxEmitter} kernels:
 * specialised to the class count (which must not be the symbolic dimension), given the row count per call;
 * f64 nodes get scalar kernels bitwise the interpreter's. On several threads, f32 calls of at least
 * {@link #PARALLEL_ELEMENTS} logits are split by ranges of rows: rows are independent, so the bits are one
 * thread's.
 */
final class SoftmaxCalls {
    private SoftmaxCalls() {}

    static void softmax(KernelCalls c, Node n, boolean log) {
        KernelCalls.requireFloating(n);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, n.input(0), -1, log ? SoftmaxF64Emitter.Op.LOG_SOFTMAX : SoftmaxF64Emitter.Op.SOFTMAX);
            return;
        }
        int classes = classes(c, n.id());
        Sz rows = c.size(n.id()).perRow(classes);
        SoftmaxKernel k = Kernels.get("softmax " + classes + log, () -> SoftmaxEmitter.softmax(classes, log));
        int id = n.id(), x = n.input(0);
        c.out(id);
        byRows(c, rows, classes, new Invocation(k, SoftmaxKernel.class, "run", floats(x), constant(0), floats(id), constant(0), count(rows)),
                classes, classes);
    }

    static void xent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, z, l, SoftmaxF64Emitter.Op.XENT);
            return;
        }
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        SoftmaxXentKernel kx = Kernels.get("xent " + classes, () -> SoftmaxEmitter.xent(classes));
        c.out(id);
        byRows(c, rows, classes, new Invocation(kx, SoftmaxXentKernel.class, "run", floats(l), constant(0), floats(z), constant(0),
                floats(id), constant(0), count(rows)), classes, classes, 1);
    }

    static void sparseXent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, z, l, c.isLong(l) ? SoftmaxF64Emitter.Op.SPARSE_XENT_I64 : SoftmaxF64Emitter.Op.SPARSE_XENT_I32);
            return;
        }
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        boolean lng = c.isLong(l);
        int probs = c.softmaxLater(z);
        if (probs >= 0) {
            // The gradient's softmax(logits) comes later in the step: written now from the same exps, one pass less.
            SoftmaxSparseXentKernel kx = Kernels.get("sxent+softmax " + classes + lng, () -> SoftmaxEmitter.sparseXentWithSoftmax(classes, lng));
            c.out(id);
            c.out(probs);
            byRows(c, rows, classes, new Invocation(kx, SoftmaxSparseXentKernel.class, "run", new Arg.Slot(l, Object.class), constant(0),
                    floats(z), constant(0), floats(id), constant(0), floats(probs), constant(0), count(rows)), 1, classes, 1, classes);
            return;
        }
        SoftmaxSparseXentKernel kx = Kernels.get("sxent " + classes + lng, () -> SoftmaxEmitter.sparseXent(classes, lng));
        c.out(id);
        byRows(c, rows, classes, new Invocation(kx, SoftmaxSparseXentKernel.class, "run", new Arg.Slot(l, Object.class), constant(0),
                floats(z), constant(0), floats(id), constant(0), count(rows)), 1, classes, 1);
    }

    /**
     * From this many logits a call is split by rows over the threads. Measured on case b (64 × 10 logits, two
     * threads, 2026-11-27): the sparse cross entropy that also writes the softmax, one `Math.exp` per logit, 6.3 µs
     * on one thread.
     */
    static final int PARALLEL_ELEMENTS = 512;

    /**
     * Appends {@code whole}, a call over all rows whose arguments are, in order, arrays each followed by its offset,
     * then the row count; split over the threads by ranges of rows from {@link #PARALLEL_ELEMENTS} logits on, part p
     * the same call with offsets at its first row (times {@code perRow}, each array's elements per row) and its row
     * count. A part that fails (a label out of range) reports its position within the part; the whole call, which
     * checks every label before it writes, then runs again on this thread to report it within the batch.
     */
    private static void byRows(KernelCalls c, Sz rows, int classes, Invocation whole, int... perRow) {
        int parts = c.threads.threads();
        if (parts == 1) {
            c.invoke(whole);
            return;
        }
        Arg.Count count = count(rows);
        List<List<StepWriter.Action>> split = new ArrayList<>();
        String label = whole.type().getSimpleName();
        for (int p = 0; p < parts; p++) {
            Arg.Span from = new Arg.Span(count, (Arg.Count) constant(1), p, parts, false);
            List<Arg> args = new ArrayList<>(whole.args());
            for (int a = 0; a < perRow.length; a++) args.set(2 * a + 1, from.times(perRow[a]));
            args.set(args.size() - 1, new Arg.Span(count, (Arg.Count) constant(1), p, parts, true));
            split.add(List.of(KernelCalls.invokes(new Invocation(whole.kernel(), whole.type(), whole.method(), args), label + "_part" + p)));
        }
        StepWriter.Action one = KernelCalls.invokes(whole, label);
        StepWriter.Test small = new StepWriter.Test.Any(List.of(KernelCalls.below(new Sz(rows.c() * classes, rows.p()), PARALLEL_ELEMENTS),
                KernelCalls.below(rows, parts)));
        c.choose(small, List.of(one), List.of(new StepWriter.Action.Fork(split, List.of(one))));
    }

    /** An f64 softmax-family node: a scalar kernel bitwise the interpreter's ({@link SoftmaxF64Emitter}). */
    private static void f64(KernelCalls c, Node n, int logits, int labels, SoftmaxF64Emitter.Op op) {
        int id = n.id(), classes = classes(c, logits);
        Sz rows = c.size(logits).perRow(classes);
        SoftmaxF64Kernel k = Kernels.get("softmax f64 " + op + " " + classes, () -> SoftmaxF64Emitter.emit(op, classes));
        c.out(id);
        c.invoke(new Invocation(k, SoftmaxF64Kernel.class, "run", labels < 0 ? new Arg.Null(Object.class) : new Arg.Slot(labels, Object.class),
                doubles(logits), doubles(id), count(rows)));
    }

    private static Arg.Count count(Sz rows) { return new Arg.Count(rows.c(), rows.p()); }

    /** The size of the last axis of {@code node}. */
    private static int classes(KernelCalls c, int node) {
        int[] d = c.dims(node);
        return KernelCalls.fixedDim(d[d.length - 1]);
    }
}
