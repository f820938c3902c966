package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.StepWriter;
import java.util.ArrayList;
import java.util.List;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Graph;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.DType;

/**
 * X·Wᵀ with W a variable (a layer's input gradient dZ·Wᵀ, or a forward product with a transposed W) split by
 * columns of C, which are rows of W, so that each core keeps to the rows of W it owns.
 */
final class ColumnsOfWMatmul {
    private ColumnsOfWMatmul() {}

    /**
     * Whether {@code n} is X·Wᵀ with W a variable (n×k, read transposed): usually a layer's input gradient dZ·Wᵀ,
     * but a forward {@code matmul(x, w, transpose_b=true)} matches too, and is split the same way. On several
     * threads it is split by columns of C, which are rows of W ({@link #call}), and is never run beside
     * another product ({@link BranchPairs}), which would have one core read all of W.
     */
    static boolean readsRowsOfW(Graph g, Node n) {
        return n.op() instanceof Op.MatMul m && !m.transposeA() && m.transposeB() && g.type(n.id()).dtype() == DType.F32
                && g.node(n.input(1)).op() instanceof Op.Variable;
    }

    /**
     * dZ·Wᵀ (W a variable stored n×k: a layer's input gradient) split by columns of C, which are rows of W: part p
     * computes C[:, n₀:n₁] = dZ·W[n₀:n₁, :]ᵀ, n₀ = {@link RowBlocks#firstRow}(p, parts, n), the rows of W its thread also
     * reads in the forward product ({@link SplitKMatmul}), takes the weight gradient of ({@link WeightGradientCalls}) and
     * updates, so W never moves between cores in a step. (Split by rows of C, both cores read all of W, which the
     * update then writes half by half: each of W's lines goes from one core's cache to the other's.) The price is
     * one cache line per row of C that both threads write, since Java arrays are not aligned to lines. Bitwise the
     * unsplit product: a column of C is the same dot products in the same order whichever kernel computes it. A
     * call below {@link WeightGradientCalls#PARALLEL_MACS_WEIGHT_GRADIENT} (a small batch) runs the whole product on the calling
     * thread.
     */
    static void call(KernelCalls c, MatmulShape whole, MatmulEpilogue epi, int x, int y, int bias, int id) {
        int parts = c.threads.threads(), n = whole.n(), k = whole.k();
        EmittedMatmul dense = Kernels.get("matmul " + whole + epi.tag(), () -> MatmulEmitter.emit(whole, epi));
        EmittedMatmul[] kernels = new EmittedMatmul[parts];
        int[] scratch = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            int cols = RowBlocks.firstRow(p + 1, parts, n) - RowBlocks.firstRow(p, parts, n);
            MatmulShape s = cols == 0 ? null : new MatmulShape(whole.m(), k, cols, false, true, DType.F32).withStrides(k, k, n);
            kernels[p] = s == null ? null : Kernels.get("matmul " + s + epi.tag(), () -> MatmulEmitter.emit(s, epi));
            scratch[p] = kernels[p] != null && kernels[p].scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(kernels[p].scratchFloats(), 0)) : -1;
        }
        scratch[parts] = dense.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(dense.scratchFloats(), 0)) : -1;
        Arg rows = whole.hasRuntimeM() ? Arg.batch() : Arg.constant(whole.m());
        String label = "matmul_" + id;
        List<StepWriter.Action> unsplit = List.of(KernelCalls.invokes(MatmulCalls.product(dense, x, Arg.constant(0), y, Arg.constant(0), id,
                Arg.constant(0), rows, scratch[parts], bias, Arg.constant(0)), label));
        List<List<StepWriter.Action>> split = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int from = RowBlocks.firstRow(p, parts, n);
            split.add(kernels[p] == null ? List.<StepWriter.Action>of() : List.of(KernelCalls.invokes(MatmulCalls.product(kernels[p], x,
                    Arg.constant(0), y, Arg.constant(from * k), id, Arg.constant(from), rows, scratch[p], bias, Arg.constant(from)),
                    label + "_cols" + p)));
        }
        Sz macs = whole.hasRuntimeM() ? new Sz((long) k * n, 1) : new Sz((long) whole.m() * k * n, 0);
        StepWriter.Test small = KernelCalls.below(macs, WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT);
        c.spread.put(id, new StepWriter.Test.Not(small));
        c.choose(small, unsplit, List.of(new StepWriter.Action.Fork(split)));
    }
}
