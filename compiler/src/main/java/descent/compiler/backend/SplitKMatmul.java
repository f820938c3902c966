package descent.compiler.backend;

import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.InputKind;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.BinaryFn;
import descent.runtime.DType;

/** A forward product X·W, W a variable, split along k in two halves, one per thread, then summed. */
final class SplitKMatmul {
    private SplitKMatmul() {}

    /**
     * A forward product X·W with W read from state, at least this many multiply-adds: split along k
     * ({@link #call}). MLP 784-128-10's 64×784×128 has 6.4M.
     */
    static final long SPLIT_K_MACS = 1 << 21;

    /**
     * X·W (W a variable, k×n) as two products along k, X[:, 0:k₁]·W[0:k₁, :] and X[:, k₁:k]·W[k₁:k, :], one per
     * thread, then their sum, the bias and the activation in one elementwise pass: {@code C = act((C₀ + C₁) + bias)}.
     * The rows of W each part reads, k₁ = {@link RowBlocks#firstRow}(1, 2, k), are those its thread computes the weight
     * gradient of ({@link WeightGradientCalls}) and updates ({@link ElementwiseCalls}), so each core keeps its half of W
     * (and of its slots and gradient) in its own cache, step after step: on this machine a store to a line the
     * other core read earlier in the step costs tens of nanoseconds. (Split by rows of C instead, both cores read
     * all of W; split by columns, every row of W has a cache line both cores write, since Java arrays are not
     * aligned to lines.) The split is always in two, whatever the thread count, so every thread count — one
     * included — gives the same bits; they differ from the unsplit product's by the one rounding of C₀ + C₁. A call
     * below {@link #SPLIT_K_MACS} (a small batch) runs the unsplit product with its epilogue.
     */
    static void call(KernelCalls c, MatmulShape whole, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int k = whole.k(), n = whole.n(), k1 = RowBlocks.firstRow(1, 2, k);
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
}
