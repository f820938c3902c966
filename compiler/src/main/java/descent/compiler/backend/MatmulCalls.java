package descent.compiler.backend;

import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.InputKind;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulF64Emitter;
import descent.compiler.emit.MatmulF64Kernel;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.UnaryFn;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A matmul as a call of a generated {@link MatmulEmitter} kernel: one kernel with a runtime M when only the
 * rows depend on the batch, one with a runtime K when the batch is contracted (a weight gradient Aᵀ·B with a
 * row-major B; a batch large enough that B should be packed gets its own kernel, {@link #weightGradient}); a
 * kernel per batch size, made when first seen, when the batch is C's column count or is contracted against a
 * transposed B.
 */
final class MatmulCalls {
    private MatmulCalls() {}

    static void matmul(KernelCalls c, Node n, Op.MatMul m) {
        if (n.type().dtype() == DType.F64) {
            matmul64(c, n, m);
            return;
        }
        matmul(c, n, m, MatmulEpilogue.NONE, -1, n.id());
    }

    /** An f64 product: one scalar kernel, bitwise the interpreter's ({@link MatmulF64Emitter}), on one thread. */
    private static void matmul64(KernelCalls c, Node n, Op.MatMul m) {
        int[] a = c.dims(n.input(0)), bd = c.dims(n.input(1));
        int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? bd[0] : bd[1];
        int id = n.id(), x = n.input(0), y = n.input(1);
        c.out(id);
        MatmulF64Kernel kernel = Kernels.get("matmul f64 " + rows + "x" + k + "x" + cols + " " + m,
                () -> MatmulF64Emitter.emit(rows, k, cols, m.transposeA(), m.transposeB()));
        c.call((buf, step, b) -> kernel.run((double[]) buf[x], 0, (double[]) buf[y], 0, (double[]) buf[id], 0, b));
    }

    /** A matmul with its bias add (and activation) applied to C's tiles: writes only the chain's result. */
    static void matmulEpilogue(KernelCalls c, Kernel.MatmulEpilogue e) {
        Node n = c.g.node(e.matmul());
        UnaryFn activation = e.nodes().size() == 2 ? ((Op.Unary) c.g.node(e.nodes().get(1)).op()).fn() : null;
        matmul(c, n, (Op.MatMul) n.op(), new MatmulEpilogue(true, activation), e.bias(), e.result());
    }

    /**
     * Below this many multiply-adds a matmul runs on one thread. Measured on the 2-core bench machine: a
     * 128×784×512 product split in two takes 0.65 of its one-thread time inside a train step. A forward
     * product X·W split by rows of C has both cores read all of W, and the optimizer's update of W later in the
     * step then stores to lines the other core still holds: MLP 784-128-10 (64×784×128 split, 111 → 64 µs)
     * had its W update go from 31 to 135 µs and the step from 303 to 356 µs (per-kernel timers, 2026-11-27).
     */
    static final long PARALLEL_MACS = 1 << 24;

    /**
     * The threshold for weight gradients (Aᵀ·B over the batch, split by rows of C = rows of W): each core
     * writes its own rows of the gradient, and the update of those rows follows on the same core
     * ({@link #rowsSplitLastCall}). MLP 784-128-10: its 784×64×128 weight gradient 116 → 76 µs. The same as
     * {@link #SPLIT_K_MACS}: a layer's forward product X·W and its weight gradient Xᵀ·dZ have the same number of
     * multiply-adds, so both split, or neither, at any batch size.
     */
    static final long PARALLEL_MACS_WEIGHT_GRADIENT = 1 << 21;

    /**
     * C's rows split into one contiguous block per thread (multiples of 8 rows), each computed by a kernel for
     * its block: a row of C is the same dot products in the same order whichever kernel computes it, so the
     * result is bitwise that of the unsplit kernel (checked by the backend's thread-count tests). A runtime-M
     * kernel serves every block; static M gets a kernel per block size.
     */
    private static void split(KernelCalls c, EmittedMatmul whole, int rows, int k, int cols, boolean tb, MatmulEpilogue epi,
                              int x, int y, int bias, int id) {
        int parts = c.threads.threads();
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        int[] scratch = new int[parts];
        for (int p = 0; p < parts; p++) {
            if (rows < 0) {
                kernels[p] = whole;
            } else {
                int r = Parts.rowsOf(p, parts, rows);
                MatmulShape shape = new MatmulShape(r, k, cols, false, tb, DType.F32);
                kernels[p] = r == 0 ? null : Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
            }
            scratch[p] = kernels[p] != null && kernels[p].scratchFloats() > 0
                    ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        int holder = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            Parts ps = (Parts) h[0];
            if (ps == null) h[0] = ps = new Parts(kernels, scratch, k, cols, x, y, bias, id);
            int r = rows < 0 ? b : rows;
            if ((long) r * k * cols < PARALLEL_MACS) ps.runAlone(buf, r); else ps.run(c.threads, buf, r);
        });
    }

    /** The first row of part {@code p} of {@code parts} over {@code rows} rows of C: whole 8-row tiles each. */
    static int firstRow(int p, int parts, int rows) { return Parts.firstRow(p, parts, rows); }

    /** One thread's view of a split matmul, kept in a per-thread slot so a call allocates nothing. */
    private static final class Parts implements java.util.function.IntConsumer {
        private final EmittedMatmul[] kernels;
        private final int[] scratch;
        private final int k, cols, x, y, bias, id;
        private Object[] buf;
        private int rows;

        Parts(EmittedMatmul[] kernels, int[] scratch, int k, int cols, int x, int y, int bias, int id) {
            this.kernels = kernels;
            this.scratch = scratch;
            this.k = k;
            this.cols = cols;
            this.x = x;
            this.y = y;
            this.bias = bias;
            this.id = id;
        }

        /** The first row of block {@code p} of {@code parts} over {@code rows} rows. */
        static int firstRow(int p, int parts, int rows) {
            int blocks = (rows + 7) / 8;
            return (int) Math.min(rows, (long) blocks * p / parts * 8);
        }

        static int rowsOf(int p, int parts, int rows) { return firstRow(p + 1, parts, rows) - firstRow(p, parts, rows); }

        void run(StepThreads threads, Object[] buf, int rows) {
            this.buf = buf;
            this.rows = rows;
            threads.run(kernels.length, this);
        }

        /** A runtime-M product too small to split (a small batch): the whole of C by one call. */
        void runAlone(Object[] buf, int rows) {
            kernels[0].kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows,
                    scratch[0] < 0 ? null : (float[]) buf[scratch[0]], bias < 0 ? null : (float[]) buf[bias], 0);
        }

        @Override public void accept(int p) {
            int from = firstRow(p, kernels.length, rows), n = firstRow(p + 1, kernels.length, rows) - from;
            if (n == 0) return;
            kernels[p].kernel().run((float[]) buf[x], from * k, (float[]) buf[y], 0, (float[]) buf[id], from * cols, n,
                    scratch[p] < 0 ? null : (float[]) buf[scratch[p]], bias < 0 ? null : (float[]) buf[bias], 0);
        }
    }

    /**
     * A weight gradient through {@link TransposedParts}, at the batch size of each call ({@code k} &lt; 0) or at
     * {@code k}. Its holder slot is registered with {@code c.rowSplits} under C's node, so the update that reads C
     * can split by the same rows exactly when this product did ({@link #rowsSplitLastCall}).
     */
    private static void weightGradientParts(KernelCalls c, int rows, int k, int cols, boolean tb, MatmulEpilogue epi,
                                            int x, int y, int bias, int id) {
        int holder = c.buffers.holder(1, false);
        c.rowSplits.put(id, holder);
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            TransposedParts ps = (TransposedParts) h[0];
            if (ps == null) h[0] = ps = new TransposedParts(c.threads.threads(), rows, cols, tb, epi, x, y, bias, id);
            ps.run(c.threads, buf, k < 0 ? b : k);
        });
    }

    /** Whether the weight gradient whose holder is {@code buf[holder]} split its rows over the threads in its last call here. */
    static boolean rowsSplitLastCall(Object[] buf, int holder) {
        Object ps = ((Object[]) buf[holder])[0];
        return ps instanceof TransposedParts t && t.splitLast;
    }

    /**
     * A forward product X·W with W read from state, at least this many multiply-adds: split along k
     * ({@link #splitK}). MLP 784-128-10's 64×784×128 has 6.4M.
     */
    static final long SPLIT_K_MACS = 1 << 21;

    /**
     * X·W (W a variable, k×n) as two products along k, X[:, 0:k₁]·W[0:k₁, :] and X[:, k₁:k]·W[k₁:k, :], one per
     * thread, then their sum, the bias and the activation in one elementwise pass: {@code C = act((C₀ + C₁) + bias)}.
     * The rows of W each part reads, k₁ = {@link Parts#firstRow}(1, 2, k), are those its thread computes the weight
     * gradient of ({@link TransposedParts}) and updates ({@link ElementwiseCalls}), so each core keeps its half of W
     * (and of its slots and gradient) in its own cache, step after step: on this machine a store to a line the
     * other core read earlier in the step costs tens of nanoseconds. (Split by rows of C instead, both cores read
     * all of W; split by columns, every row of W has a cache line both cores write, since Java arrays are not
     * aligned to lines.) The split is always in two, whatever the thread count, so every thread count — one
     * included — gives the same bits; they differ from the unsplit product's by the one rounding of C₀ + C₁. A call
     * below {@link #SPLIT_K_MACS} (a small batch) runs the unsplit product with its epilogue.
     */
    private static void splitK(KernelCalls c, MatmulShape whole, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int k = whole.k(), n = whole.n(), k1 = Parts.firstRow(1, 2, k);
        EmittedMatmul dense = Kernels.get("matmul " + whole + epi.tag(), () -> MatmulEmitter.emit(whole, epi));
        MatmulShape[] shapes = {new MatmulShape(whole.m(), k1, n, false, false, DType.F32, k, n, n),
                new MatmulShape(whole.m(), k - k1, n, false, false, DType.F32, k, n, n)};
        EmittedMatmul[] kernels = new EmittedMatmul[2];
        int[] scratch = new int[3];
        for (int p = 0; p < 2; p++) {
            MatmulShape s = shapes[p];
            kernels[p] = Kernels.get("matmul " + s, () -> MatmulEmitter.emit(s));
            scratch[p] = kernels[p].scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        scratch[2] = dense.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(dense.scratchFloats(), 0)) : -1;
        int partial = c.buffers.scratch(DType.F32, c.size(id));
        FusedExpr.Builder e = FusedExpr.builder();
        int sum = e.binary(BinaryFn.ADD, e.input(InputKind.FULL), e.input(InputKind.FULL));
        if (epi.bias()) sum = e.binary(BinaryFn.ADD, sum, e.input(InputKind.ROW));
        if (epi.activation() != null) sum = e.unary(epi.activation(), sum);
        ElementwiseKernel combine = ElementwiseCalls.compile(e.build(sum));
        int inSlot = c.buffers.holder(epi.bias() ? 3 : 2, true), outSlot = c.buffers.holder(1, true), holder = c.buffers.holder(1, false);
        int[] inOff = new int[epi.bias() ? 3 : 2], outOff = new int[1];
        c.call((buf, step, b) -> {
            int rows = whole.hasRuntimeM() ? b : whole.m();
            float[] out = (float[]) buf[id], bs = bias < 0 ? null : (float[]) buf[bias];
            if ((long) rows * k * n < SPLIT_K_MACS) {
                dense.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, out, 0, rows, scratch[2] < 0 ? null : (float[]) buf[scratch[2]], bs, 0);
                return;
            }
            Object[] h = (Object[]) buf[holder];
            KParts ps = (KParts) h[0];
            if (ps == null) h[0] = ps = new KParts(kernels, scratch, k1, n, x, y, partial, id);
            ps.run(c.threads, buf, rows);
            float[][] in = (float[][]) buf[inSlot], outs = (float[][]) buf[outSlot];
            in[0] = out;
            in[1] = (float[]) buf[partial];
            if (bs != null) in[2] = bs;
            outs[0] = out;
            combine.run(in, inOff, outs, outOff, rows * n, n);
        });
    }

    /** One thread's view of a product split along k: part 0 writes C₀ into C, part 1 C₁ into a scratch. */
    private static final class KParts implements java.util.function.IntConsumer {
        private final EmittedMatmul[] kernels;
        private final int[] scratch;
        private final int k1, n, x, y, partial, id;
        private Object[] buf;
        private int rows;

        KParts(EmittedMatmul[] kernels, int[] scratch, int k1, int n, int x, int y, int partial, int id) {
            this.kernels = kernels;
            this.scratch = scratch;
            this.k1 = k1;
            this.n = n;
            this.x = x;
            this.y = y;
            this.partial = partial;
            this.id = id;
        }

        void run(StepThreads threads, Object[] buf, int rows) {
            this.buf = buf;
            this.rows = rows;
            threads.run(2, this);
        }

        @Override public void accept(int p) {
            kernels[p].kernel().run((float[]) buf[x], p * k1, (float[]) buf[y], p * k1 * n, (float[]) buf[p == 0 ? id : partial], 0, rows,
                    scratch[p] < 0 ? null : (float[]) buf[scratch[p]]);
        }
    }

    /**
     * Whether {@code n} is X·Wᵀ with W a variable (n×k, read transposed): usually a layer's input gradient dZ·Wᵀ,
     * but a forward {@code matmul(x, w, transpose_b=true)} matches too, and is split the same way. On several
     * threads it is split by columns of C, which are rows of W ({@link #columnsOfW}), and is never run beside
     * another product ({@link BranchPairs}), which would have one core read all of W.
     */
    static boolean readsRowsOfW(Graph g, Node n) {
        return n.op() instanceof Op.MatMul m && !m.transposeA() && m.transposeB() && g.type(n.id()).dtype() == DType.F32
                && g.node(n.input(1)).op() instanceof Op.Variable;
    }

    /**
     * dZ·Wᵀ (W a variable stored n×k: a layer's input gradient) split by columns of C, which are rows of W: part p
     * computes C[:, n₀:n₁] = dZ·W[n₀:n₁, :]ᵀ, n₀ = {@link #firstRow}(p, parts, n), the rows of W its thread also
     * reads in the forward product ({@link #splitK}), takes the weight gradient of ({@link TransposedParts}) and
     * updates, so W never moves between cores in a step. (Split by rows of C, both cores read all of W, which the
     * update then writes half by half: each of W's lines goes from one core's cache to the other's.) The price is
     * one cache line per row of C that both threads write, since Java arrays are not aligned to lines. Bitwise the
     * unsplit product: a column of C is the same dot products in the same order whichever kernel computes it. A
     * call below {@link #PARALLEL_MACS_WEIGHT_GRADIENT} (a small batch) runs the whole product on the calling
     * thread.
     */
    private static void columnsOfW(KernelCalls c, MatmulShape whole, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int parts = c.threads.threads(), n = whole.n(), k = whole.k();
        EmittedMatmul dense = Kernels.get("matmul " + whole + epi.tag(), () -> MatmulEmitter.emit(whole, epi));
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        int[] scratch = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            int cols = firstRow(p + 1, parts, n) - firstRow(p, parts, n);
            MatmulShape s = cols == 0 ? null : new MatmulShape(whole.m(), k, cols, false, true, DType.F32).withStrides(k, k, n);
            kernels[p] = s == null ? null : Kernels.get("matmul " + s + epi.tag(), () -> MatmulEmitter.emit(s, epi));
            scratch[p] = kernels[p] != null && kernels[p].scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        scratch[parts] = dense.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(dense.scratchFloats(), 0)) : -1;
        int holder = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            int rows = whole.hasRuntimeM() ? b : whole.m();
            if ((long) rows * k * n < PARALLEL_MACS_WEIGHT_GRADIENT) {
                dense.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows,
                        scratch[parts] < 0 ? null : (float[]) buf[scratch[parts]], bias < 0 ? null : (float[]) buf[bias], 0);
                return;
            }
            Object[] h = (Object[]) buf[holder];
            ColumnParts ps = (ColumnParts) h[0];
            if (ps == null) h[0] = ps = new ColumnParts(kernels, scratch, k, n, x, y, bias, id);
            ps.run(c.threads, buf, rows);
        });
    }

    /** One thread's view of a product split by columns of C ({@link #columnsOfW}), kept in a per-thread slot. */
    private static final class ColumnParts implements java.util.function.IntConsumer {
        private final EmittedMatmul[] kernels;
        private final int[] scratch;
        private final int k, n, x, y, bias, id;
        private Object[] buf;
        private int rows;

        ColumnParts(EmittedMatmul[] kernels, int[] scratch, int k, int n, int x, int y, int bias, int id) {
            this.kernels = kernels;
            this.scratch = scratch;
            this.k = k;
            this.n = n;
            this.x = x;
            this.y = y;
            this.bias = bias;
            this.id = id;
        }

        void run(StepThreads threads, Object[] buf, int rows) {
            this.buf = buf;
            this.rows = rows;
            threads.run(kernels.length, this);
        }

        @Override public void accept(int p) {
            if (kernels[p] == null) return;
            int from = firstRow(p, kernels.length, n);
            kernels[p].kernel().run((float[]) buf[x], 0, (float[]) buf[y], from * k, (float[]) buf[id], from, rows,
                    scratch[p] < 0 ? null : (float[]) buf[scratch[p]], bias < 0 ? null : (float[]) buf[bias], from);
        }
    }

    /**
     * A weight gradient, C = Aᵀ·B contracted over the batch, split by rows of C: a row block of C reads a column
     * block of A (stored batch × rows), which its kernel reads in place, rows of A {@code rows} apart. Bitwise the
     * unsplit product, like the row splits above. One instance per thread (kept in a buffer slot); kernels are
     * looked up again only when the batch size changes, so a warm call allocates nothing.
     */
    private static final class TransposedParts implements java.util.function.IntConsumer {
        private final int parts, rows, cols, x, y, bias, id;
        private final boolean tb;
        private final MatmulEpilogue epi;
        private final EmittedMatmul[] kernels;
        private final float[][] scratch;
        private EmittedMatmul whole;
        private float[] wholeScratch;
        private int batch = -1;
        private Object[] buf;
        /** Whether the last call split the rows over the threads (read by the update of the same rows). */
        private boolean splitLast;

        TransposedParts(int parts, int rows, int cols, boolean tb, MatmulEpilogue epi, int x, int y, int bias, int id) {
            this.parts = parts;
            this.rows = rows;
            this.cols = cols;
            this.tb = tb;
            this.epi = epi;
            this.x = x;
            this.y = y;
            this.bias = bias;
            this.id = id;
            this.kernels = new EmittedMatmul[parts];
            this.scratch = new float[parts][];
        }

        /** The kernel for {@code m} of the rows at batch {@code k} ({@link #weightGradient}). */
        private EmittedMatmul kernel(int m, int k) { return weightGradient(m, k, cols, tb, epi, rows); }

        /** The int argument of a call of {@code e}: k for a runtime-K kernel, else the block's rows. */
        private int dim(EmittedMatmul e, int blockRows) { return e.shape().hasRuntimeK() ? batch : blockRows; }

        void run(StepThreads threads, Object[] buf, int b) {
            if (b != batch) {
                whole = kernel(rows, b);
                wholeScratch = whole.newScratch(b);
                for (int p = 0; p < parts; p++) {
                    int n = Parts.rowsOf(p, parts, rows);
                    kernels[p] = n == 0 ? null : kernel(n, b);
                    scratch[p] = kernels[p] == null ? null : kernels[p].newScratch(b);
                }
                batch = b;
            }
            splitLast = (long) rows * b * cols >= PARALLEL_MACS_WEIGHT_GRADIENT;
            if (!splitLast) {
                whole.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, dim(whole, rows), wholeScratch,
                        bias < 0 ? null : (float[]) buf[bias], 0);
                return;
            }
            this.buf = buf;
            threads.run(parts, this);
        }

        @Override public void accept(int p) {
            int from = Parts.firstRow(p, parts, rows), n = Parts.rowsOf(p, parts, rows);
            if (n == 0) return;
            kernels[p].kernel().run((float[]) buf[x], from, (float[]) buf[y], 0, (float[]) buf[id], from * cols, dim(kernels[p], n), scratch[p],
                    bias < 0 ? null : (float[]) buf[bias], 0);
        }
    }

    /**
     * The kernel of a weight gradient Aᵀ·B (A stored batch × m) at batch {@code k}: with a row-major B, the one
     * runtime-K kernel for every batch size, which packs B from the k where the kernel specialised to that k would
     * ({@code VectorMatmulWriter.packFromK}: 784×1024×512 took 8.1 ms packed and 11.9 ms in place, same JVM,
     * 2026-11-27); with a transposed B, the kernel specialised to k.
     */
    static EmittedMatmul weightGradient(int m, int k, int cols, boolean tb, MatmulEpilogue epi) {
        return weightGradient(m, k, cols, tb, epi, m);
    }

    /** The same for rows of C whose A is a column block of one stored batch × {@code lda}. */
    static EmittedMatmul weightGradient(int m, int k, int cols, boolean tb, MatmulEpilogue epi, int lda) {
        MatmulShape shape = tb ? new MatmulShape(m, k, cols, true, true, DType.F32).withStrides(lda, k, cols)
                : new MatmulShape(m, MatmulShape.RUNTIME_K, cols, true, false, DType.F32).withStrides(lda, cols, cols);
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }

    private static void matmul(KernelCalls c, Node n, Op.MatMul m, MatmulEpilogue epi, int bias, int id) {
        int[] a = c.dims(n.input(0)), bd = c.dims(n.input(1));
        int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? bd[0] : bd[1];
        c.out(id);
        int x = n.input(0), y = n.input(1);
        if (m.transposeA() && k >= 0 && rows >= 0 && cols >= 0 && c.threads.threads() > 1
                && (long) rows * k * cols >= PARALLEL_MACS_WEIGHT_GRADIENT) {
            weightGradientParts(c, rows, k, cols, m.transposeB(), epi, x, y, bias, id);   // a static batch
            return;
        }
        if (k >= 0 && cols >= 0) {
            MatmulShape shape = new MatmulShape(rows < 0 ? MatmulShape.RUNTIME_M : rows, k, cols, m.transposeA(), m.transposeB(), DType.F32);
            if (!m.transposeA() && !m.transposeB() && c.g.node(y).op() instanceof Op.Variable && k >= 2 * 8
                    && (rows < 0 || (long) rows * k * cols >= SPLIT_K_MACS)) {
                splitK(c, shape, epi, x, y, bias, id);
                return;
            }
            if (readsRowsOfW(c.g, n) && c.threads.threads() > 1 && (rows < 0 || (long) rows * k * cols >= PARALLEL_MACS_WEIGHT_GRADIENT)) {
                columnsOfW(c, shape, epi, x, y, bias, id);
                return;
            }
            EmittedMatmul e = Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
            if (!m.transposeA() && c.threads.threads() > 1 && (rows < 0 || (long) rows * k * cols >= PARALLEL_MACS)) {
                split(c, e, rows, k, cols, m.transposeB(), epi, x, y, bias, id);
                return;
            }
            int scratch = e.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(e.scratchFloats(), 0)) : -1;
            if (bias < 0) {
                c.call((buf, step, b) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0,
                        rows < 0 ? b : rows, scratch < 0 ? null : (float[]) buf[scratch]));
            } else {
                c.call((buf, step, b) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0,
                        rows < 0 ? b : rows, scratch < 0 ? null : (float[]) buf[scratch], (float[]) buf[bias], 0));
            }
            return;
        }
        if (c.symbol == null) throw new IllegalStateException();
        boolean ta = m.transposeA(), tb = m.transposeB();
        if (ta && k < 0 && rows >= 0 && cols >= 0 && c.threads.threads() > 1) {
            weightGradientParts(c, rows, -1, cols, tb, epi, x, y, bias, id);
            return;
        }
        if (ta && !tb && k < 0 && rows >= 0 && cols >= 0) {
            // A weight gradient: the runtime-K kernel, for every batch size (it packs B itself when the batch is large).
            int scratch = c.buffers.lazy();
            EmittedMatmul e = weightGradient(rows, 1, cols, false, epi);
            c.call((buf, step, b) -> {
                float[] s = null;
                int floats = e.scratchFloats(b);
                if (floats > 0) {
                    s = (float[]) buf[scratch];
                    if (s == null || s.length < floats) buf[scratch] = s = new float[floats];
                }
                e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, b, s,
                        bias < 0 ? null : (float[]) buf[bias], 0);
            });
            return;
        }
        int scratch = c.buffers.lazy();
        // The last batch size and its kernel, swapped as one array so threads never see a mismatched pair.
        AtomicReference<Object[]> lastKernel = new AtomicReference<>();
        c.call((buf, step, b) -> {
            Object[] lk = lastKernel.get();
            if (lk == null || (int) lk[0] != b) {
                MatmulShape shape = new MatmulShape(rows < 0 ? b : rows, k < 0 ? b : k, cols < 0 ? b : cols, ta, tb, DType.F32);
                lk = new Object[] {b, Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi))};
                lastKernel.set(lk);
            }
            EmittedMatmul e = (EmittedMatmul) lk[1];
            float[] s = null;
            if (e.scratchFloats() > 0) {
                s = (float[]) buf[scratch];
                if (s == null || s.length < e.scratchFloats()) buf[scratch] = s = new float[e.scratchFloats()];
            }
            e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows < 0 ? b : rows, s,
                    bias < 0 ? null : (float[]) buf[bias], 0);
        });
    }
}
