package descent.compiler.backend;

import static descent.compiler.emit.Invocation.Arg.constant;
import static descent.compiler.emit.Invocation.Arg.doubles;
import static descent.compiler.emit.Invocation.Arg.floats;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulF64Emitter;
import descent.compiler.emit.MatmulF64Kernel;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.UnaryFn;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A matmul as a call of a generated {@link MatmulEmitter} kernel: one kernel with a runtime M when only the
 * rows depend on the batch, one with a runtime K when the batch is contracted (a weight gradient Aᵀ·op(B),
 * {@link WeightGradientCalls#weightGradient}, which packs B itself when it must), one with a runtime N when the
 * batch is C's column count (the column layout, W·X with X features × batch), and one with each of them the
 * runtime argument when the batch is two or three of the dimensions (H·Hᵀ).
 *
 * <p>On several threads a product is split the way that keeps each core on its own rows of a weight matrix
 * (each strategy in a file of its own, chosen in {@link #matmul(KernelCalls, Node, Op.MatMul, MatmulEpilogue,
 * int, int)}): a weight gradient by rows of C ({@link WeightGradientCalls}), a forward X·W along k
 * ({@link SplitKMatmul}), X·Wᵀ by columns of C ({@link ColumnsOfWMatmul}), any other large product by rows of C
 * ({@link RowSplitMatmul}); all of them over the same 8-row blocks ({@link RowBlocks}), and all bitwise one
 * thread's result.
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
        if (rows == 0 || cols == 0) return;   // C is empty (a dimension bound to an empty batch)
        if (k == 0) {
            FillCalls.fill(c, id, c.size(id), new FillCalls.Constant(0));   // the sum of nothing
            return;
        }
        MatmulF64Kernel kernel = Kernels.get("matmul f64 " + rows + "x" + k + "x" + cols + " " + m,
                () -> MatmulF64Emitter.emit(rows, k, cols, m.transposeA(), m.transposeB()));
        c.invoke(new Invocation(kernel, MatmulF64Kernel.class, "run", doubles(x), constant(0),
                doubles(y), constant(0), doubles(id), constant(0), Arg.batch()));
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

    /** Product {@code n} into buffer {@code id}, with epilogue {@code epi} ({@code bias}: its row's buffer, or -1). */
    private static void matmul(KernelCalls c, Node n, Op.MatMul m, MatmulEpilogue epi, int bias, int id) {
        int[] a = c.dims(n.input(0)), bd = c.dims(n.input(1));
        int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? bd[0] : bd[1];
        c.out(id);
        int x = n.input(0), y = n.input(1);
        if (rows == 0 || cols == 0) return;   // C is empty (a dimension bound to an empty batch)
        if (k == 0) {
            // The sum of nothing, then the epilogue: the runtime-K kernel at k = 0 (no kernel has a static k of 0).
            EmittedMatmul e = kernel(new MatmulShape(rows, MatmulShape.RUNTIME_K, cols, m.transposeA(), m.transposeB(), DType.F32), epi);
            c.invoke(new Invocation(e.kernel(), MatmulKernel.class, "run", floats(x), constant(0), floats(y), constant(0),
                    floats(id), constant(0), constant(0), new Arg.Null(float[].class),
                    bias < 0 ? new Arg.Null(float[].class) : floats(bias), constant(0)));
            return;
        }
        if (m.transposeA() && k >= 0 && rows >= 0 && cols >= 0 && c.threads.threads() > 1
                && (long) rows * k * cols >= WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT) {
            WeightGradientCalls.parts(c, rows, k, cols, m.transposeB(), epi, x, y, bias, id);   // a static batch
            return;
        }
        if (k >= 0 && cols >= 0) {
            MatmulShape shape = new MatmulShape(rows < 0 ? MatmulShape.RUNTIME_M : rows, k, cols, m.transposeA(), m.transposeB(), DType.F32);
            if (!m.transposeA() && !m.transposeB() && c.g.node(y).op() instanceof Op.Variable && k >= 2 * 8
                    && (rows < 0 || (long) rows * k * cols >= SplitKMatmul.SPLIT_K_MACS)) {
                SplitKMatmul.call(c, shape, epi, x, y, bias, id);
                return;
            }
            if (ColumnsOfWMatmul.readsRowsOfW(c.g, n) && c.threads.threads() > 1 && (rows < 0 || (long) rows * k * cols >= WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT)) {
                ColumnsOfWMatmul.call(c, shape, epi, x, y, bias, id);
                return;
            }
            EmittedMatmul e = kernel(shape, epi);
            if (!m.transposeA() && c.threads.threads() > 1 && (rows < 0 || (long) rows * k * cols >= PARALLEL_MACS)) {
                RowSplitMatmul.call(c, e, rows, k, cols, m.transposeB(), epi, x, y, bias, id);
                return;
            }
            int scratch = e.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(e.scratchFloats(), 0)) : -1;
            List<Arg> args = new ArrayList<>(List.of(floats(x), constant(0), floats(y), constant(0), floats(id), constant(0),
                    rows < 0 ? Arg.batch() : constant(rows), scratch < 0 ? new Arg.Null(float[].class) : floats(scratch)));
            if (bias >= 0) args.addAll(List.of(floats(bias), constant(0)));
            c.invoke(new Invocation(e.kernel(), MatmulKernel.class, "run", args));
            return;
        }
        if (c.symbol == null) throw new IllegalStateException();
        boolean ta = m.transposeA(), tb = m.transposeB();
        if (ta && k < 0 && rows >= 0 && cols >= 0 && c.threads.threads() > 1) {
            WeightGradientCalls.parts(c, rows, -1, cols, tb, epi, x, y, bias, id);
            return;
        }
        if (ta && k < 0 && rows >= 0 && cols >= 0) {
            // A weight gradient on one thread: the runtime-K kernel, for every batch size (it packs B itself when it must).
            invokeAtBatch(c, WeightGradientCalls.weightGradient(rows, cols, tb, epi), x, y, bias, id);
            return;
        }
        // The column layout (the batch as C's columns, or contracted with a row-major A): runtime-N or runtime-K
        // kernels, split by rows of C on several threads.
        if (rows >= 0 && ((k < 0 && cols >= 0) || (k >= 0 && cols < 0))) {
            ColumnLayoutMatmul.call(c, rows, k, cols, ta, tb, epi, x, y, bias, id);
            return;
        }
        // The batch in two or three dimensions (H·Hᵀ, say): one kernel with each of them the runtime argument. One thread.
        MatmulShape shape = new MatmulShape(rows < 0 ? MatmulShape.RUNTIME_M : rows, k < 0 ? MatmulShape.RUNTIME_K : k,
                cols < 0 ? MatmulShape.RUNTIME_N : cols, ta, tb, DType.F32);
        invokeAtBatch(c, kernel(shape, epi), x, y, bias, id);
    }

    /**
     * A call of {@code e}, whose runtime dimensions are all the batch, at the batch. A runtime-K kernel's scratch
     * grows with k (the batch): it gets a buffer of its floats per unit of k, which the buffer plan sizes for the
     * largest batch the thread has run ({@link EmittedMatmul#scratchFloats(int)} never needs more).
     */
    static void invokeAtBatch(KernelCalls c, EmittedMatmul e, int x, int y, int bias, int id) {
        int scratch = e.scratchFloats() == 0 ? -1
                : c.buffers.scratch(DType.F32, new Sz(e.scratchFloats(), e.shape().hasRuntimeK() ? 1 : 0));
        c.invoke(new Invocation(e.kernel(), MatmulKernel.class, "run", floats(x), constant(0), floats(y), constant(0), floats(id),
                constant(0), Arg.batch(), scratch < 0 ? new Arg.Null(float[].class) : floats(scratch),
                bias < 0 ? new Arg.Null(float[].class) : floats(bias), constant(0)));
    }

    /**
     * A call of {@code e}'s ten-argument run: A from slot {@code x} at {@code xOff}, B from {@code y} at {@code yOff}, C
     * into {@code id} at {@code cOff}, {@code rows} rows (or k, or n: the kernel's runtime dimension), its scratch
     * slot (-1: none) and the bias row from {@code bias} (-1: none) at {@code biasOff}.
     */
    static Invocation product(EmittedMatmul e, int x, Arg xOff, int y, Arg yOff, int id, Arg cOff, Arg rows, int scratch, int bias, Arg biasOff) {
        Arg none = new Arg.Null(float[].class);
        return new Invocation(e.kernel(), MatmulKernel.class, "run", floats(x), xOff, floats(y), yOff, floats(id), cOff, rows,
                scratch < 0 ? none : floats(scratch), bias < 0 ? none : floats(bias), biasOff);
    }

    /** The shared kernel of {@code shape} with {@code epi}. */
    private static EmittedMatmul kernel(MatmulShape shape, MatmulEpilogue epi) {
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }
}
