package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.StepWriter;
import java.util.ArrayList;
import java.util.List;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.runtime.DType;

/**
 * Weight gradients C = Aᵀ·B (or Aᵀ·Bᵀ) contracted over the batch: one runtime-K kernel for every batch size, and on
 * several threads a split by rows of C, which the update of the same rows follows on the same core.
 */
final class WeightGradientCalls {
    private WeightGradientCalls() {}

    /**
     * The threshold for weight gradients (Aᵀ·B over the batch, split by rows of C = rows of W): each core
     * writes its own rows of the gradient, and the update of those rows follows on the same core
     * ({@link #splitsAt}). MLP 784-128-10: its 784×64×128 weight gradient 116 → 76 µs. The same as
     * {@link SplitKMatmul#SPLIT_K_MACS}: a layer's forward product X·W and its weight gradient Xᵀ·dZ have the same number of
     * multiply-adds, so both split, or neither, at any batch size.
     */
    static final long PARALLEL_MACS_WEIGHT_GRADIENT = 1 << 21;

    /**
     * A weight gradient at the batch size of each call ({@code k} &lt; 0) or at {@code k}: whole below
     * {@link #PARALLEL_MACS_WEIGHT_GRADIENT} multiply-adds, else split by rows of C, one block of rows per thread
     * ({@link RowBlocks}), each reading a column block of A (stored batch × rows) in place, rows of A {@code rows}
     * apart — bitwise the unsplit product. Its multiply-adds are registered with {@code c.rowSplits} under C's node,
     * so the update that reads C splits by the same rows exactly when this product does
     * ({@link #splitsAt}). The kernels take the batch as an argument (asked for once, now), and their packing
     * scratch is a planned buffer per part that grows with the batch.
     */
    static void parts(KernelCalls c, int rows, int k, int cols, boolean tb, MatmulEpilogue epi, int x, int y, int bias, int id) {
        Sz macs = k < 0 ? new Sz((long) rows * cols, 1) : new Sz((long) rows * k * cols, 0);
        c.rowSplits.put(id, macs);
        int parts = c.threads.threads();
        String label = "matmul_" + id;
        List<List<StepWriter.Action>> split = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int n = RowBlocks.rowsOf(p, parts, rows), from = RowBlocks.firstRow(p, parts, rows);
            split.add(n == 0 ? List.<StepWriter.Action>of() : List.of(KernelCalls.invokes(call(c, weightGradient(n, cols, tb, epi, rows), k, x, from, y, id,
                    from * cols, bias), label + "_rows" + p)));
        }
        List<StepWriter.Action> whole = List.of(KernelCalls.invokes(call(c, weightGradient(rows, cols, tb, epi, rows), k, x, 0, y, id, 0, bias),
                label));
        c.choose(KernelCalls.below(macs, PARALLEL_MACS_WEIGHT_GRADIENT), whole, List.of(new StepWriter.Action.Fork(split)));
    }

    /** The test under which a weight gradient of {@code macs} multiply-adds ({@code c.rowSplits}) splits by rows. */
    static StepWriter.Test splitsAt(Sz macs) { return new StepWriter.Test.Not(KernelCalls.below(macs, PARALLEL_MACS_WEIGHT_GRADIENT)); }

    /** A call of {@code e} (rows of C from A's column {@code xOff}, into C at {@code cOff}) at k, or at the batch when k &lt; 0. */
    private static Invocation call(KernelCalls c, EmittedMatmul e, int k, int x, int xOff, int y, int id, int cOff, int bias) {
        int scratch = e.scratchFloats() == 0 ? -1 : c.buffers.scratch(DType.F32, k < 0 ? new Sz(e.scratchFloats(), 1)
                : new Sz(e.scratchFloats(k), 0));
        return new Invocation(e.kernel(), MatmulKernel.class, "run", Arg.floats(x), Arg.constant(xOff), Arg.floats(y), Arg.constant(0),
                Arg.floats(id), Arg.constant(cOff), k < 0 ? Arg.batch() : Arg.constant(k),
                scratch < 0 ? new Arg.Null(float[].class) : Arg.floats(scratch),
                bias < 0 ? new Arg.Null(float[].class) : Arg.floats(bias), Arg.constant(0));
    }

    /**
     * The kernel of a weight gradient Aᵀ·op(B) (A stored batch × m): the one runtime-K kernel for every batch size.
     * With a row-major B it packs B from the k where the kernel specialised to that k would
     * ({@code VectorMatmulWriter.packFromK}: 784×1024×512 took 8.1 ms packed and 11.9 ms in place, same JVM,
     * 2026-11-27); a transposed B (stored cols × batch) it always packs, into a panel that grows with the batch.
     */
    static EmittedMatmul weightGradient(int m, int cols, boolean tb, MatmulEpilogue epi) {
        return weightGradient(m, cols, tb, epi, m);
    }

    /** The same for rows of C whose A is a column block of one stored batch × {@code lda}. */
    static EmittedMatmul weightGradient(int m, int cols, boolean tb, MatmulEpilogue epi, int lda) {
        MatmulShape shape = new MatmulShape(m, MatmulShape.RUNTIME_K, cols, true, tb, DType.F32)
                .withStrides(lda, tb ? MatmulShape.RUNTIME_K : cols, cols);
        return Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
    }
}
