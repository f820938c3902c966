package descent.compiler.backend;

import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.InputKind;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.BinaryFn;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.StepWriter;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.List;

import static descent.compiler.emit.Invocation.Arg.constant;
import static descent.compiler.emit.Invocation.Arg.floats;

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
        int inSlot = c.buffers.holder(epi.bias() ? 3 : 2, true), outSlot = c.buffers.holder(1, true);
        Arg rows = whole.hasRuntimeM() ? Arg.batch() : constant(whole.m());
        Arg noFloats = new Arg.Null(float[].class);
        String label = "matmul_" + id;
        StepWriter.Action unsplit = KernelCalls.invokes(new Invocation(dense.kernel(), MatmulKernel.class, "run", floats(x), constant(0),
                floats(y), constant(0), floats(id), constant(0), rows, scratch[2] < 0 ? noFloats : floats(scratch[2]),
                bias < 0 ? noFloats : floats(bias), constant(0)), label);
        List<List<StepWriter.Action>> parts = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            parts.add(List.of(KernelCalls.invokes(new Invocation(kernels[p].kernel(), MatmulKernel.class, "run", floats(x), constant(p * k1),
                    floats(y), constant(p * k1 * n), floats(p == 0 ? id : partial), constant(0), rows,
                    scratch[p] < 0 ? noFloats : floats(scratch[p])), label + "_k" + p)));
        }
        int[] ins = bias < 0 ? new int[] {id, partial} : new int[] {id, partial, bias};
        StepWriter.Action combined = KernelCalls.invokes(new Invocation(combine, ElementwiseKernel.class, "run",
                new Arg.Gathered(inSlot, ins, float[][].class), new Arg.Ints(new int[ins.length]),
                new Arg.Gathered(outSlot, new int[] {id}, float[][].class), new Arg.Ints(new int[1]),
                whole.hasRuntimeM() ? new Arg.Count(n, 1) : constant(Math.multiplyExact(whole.m(), n)), constant(n)), label + "_sum");
        Sz macs = whole.hasRuntimeM() ? new Sz((long) k * n, 1) : new Sz((long) whole.m() * k * n, 0);
        // C = C₀ + C₁ (and the epilogue) from SPLIT_K_MACS on, the unsplit product below.
        c.act(new StepWriter.Action.Choose(KernelCalls.below(macs, SPLIT_K_MACS), List.of(unsplit),
                List.of(new StepWriter.Action.Fork(parts), combined)));
    }
}
