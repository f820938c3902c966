package descent.compiler.backend;

import descent.compiler.emit.BlocksKernel;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.InputKind;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.StepWriter;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A weight gradient with its variable's update inside ({@link Kernel.ProductUpdate}): each thread takes the
 * rows of C the unfused weight gradient would ({@link RowBlocks#firstRow}, so the rows of W, its slots and
 * its gradient stay on the core that owns them), and computes them a block at a time, the product's kernel
 * then the update's loop over the block. A block is about 2,048 floats of C, so the gradient is read back
 * from L1 and the update's other arrays stream through once. Each block's values are exactly the unfused
 * kernels' (the product's row blocks are bitwise the whole product's, the update is elementwise), so results
 * do not depend on the block size or the thread count.
 */
final class ProductUpdateCalls {
    private ProductUpdateCalls() {}

    /**
     * Rows of C per block: about 2,048 floats (8 KiB), a multiple of the product kernels' 8-row tile (which reads
     * all of B per tile anyway, so small blocks cost the product nothing). Measured on case b (MLP 784-128-10,
     * Adam, two threads, 2026-11-27): blocks of 1,024 to 8,192 floats and one block per thread were all within
     * the noise (82–94 µs for the fused kernel against 89 µs for the product and the update apart): the update is
     * bound by its square root and division, not by reading the gradient back.
     */
    static int blockRows(int cols) { return Math.max(8, (2048 / Math.max(1, cols) + 7) / 8 * 8); }

    /**
     * From this size of B (the batch × C's width, in bytes: {@link descent.compiler.emit.MatmulTuning#wholeBlockFromBBytes},
     * half the L2) each part is one block.
     * Small blocks never pack B and read all of it per block, from L3 once it no longer fits in L2; a whole part
     * is the unfused weight gradient's call, which packs. MLP 784-1024-10 at batch 512 with Adam on two threads
     * (B = 2 MiB; 2026-11-27, step medians, fused/unfused in one JVM): 2,048-float blocks 10.9–11.1 ms against
     * 9.6–9.8 ms unfused; one block per part 8.7–8.9 ms against 8.6–10.4 ms. At B = 512 KiB (784-512-10,
     * batch 256) both block sizes matched the unfused step.
     */
    static final long WHOLE_PART_FROM_B_BYTES = descent.compiler.emit.MatmulTuning.wholeBlockFromBBytes();

    static void add(KernelCalls c, Kernel.ProductUpdate u) {
        Node n = c.g.node(u.product());
        Op.MatMul m = (Op.MatMul) n.op();
        int[] a = c.dims(n.input(0)), bd = c.dims(n.input(1));
        int rows = a[1], k = a[0], cols = m.transposeB() ? bd[0] : bd[1];
        if (rows < 0 || cols < 0) throw new IllegalStateException("a product with its update needs C's shape: " + u);
        Kernel.Fused f = u.update();
        FusedExpr expr = FusedExpr.from(c.g, f.results(), f.inputs(), Set.of(), Set.of());
        ElementwiseKernel update = ElementwiseCalls.compile(expr);
        if (u.kept()) c.out(u.product());
        for (int r : f.results()) c.out(r);
        int parts = c.threads.threads();
        // Every kernel some batch needs, by block height, asked for now: a model jar records them all, and no batch
        // later crossing WHOLE_PART_FROM_B_BYTES emits one.
        EmittedMatmul[] byHeight = new EmittedMatmul[Math.max(blockRows(cols), Math.max(1, rows)) + 1];
        for (int block : new int[] {blockRows(cols), Math.max(1, rows)}) {
            for (int h = 1; h <= block; h++) {
                if (used(rows, block, parts, h) && byHeight[h] == null) {
                    byHeight[h] = WeightGradientCalls.weightGradient(h, cols, m.transposeB(), MatmulEpilogue.NONE, rows);
                }
            }
        }
        int most = 0;
        for (EmittedMatmul e : byHeight) if (e != null) most = Math.max(most, k < 0 ? e.scratchFloats() : e.scratchFloats(k));
        Parts slots = new Parts(new int[parts], new int[parts], new int[parts], new int[parts], new int[parts], new int[parts]);
        for (int p = 0; p < parts; p++) {
            slots.scratch[p] = most == 0 ? -1 : c.buffers.scratch(DType.F32, new Sz(most, k < 0 ? 1 : 0));
            slots.cBlock[p] = u.kept() ? -1 : c.buffers.lazy();
            slots.in[p] = c.buffers.holder(f.inputs().size(), true);
            slots.out[p] = c.buffers.holder(f.results().size(), true);
            slots.inOff[p] = c.buffers.scratch(DType.I32, new Sz(f.inputs().size(), 0));
            slots.outOff[p] = c.buffers.scratch(DType.I32, new Sz(f.results().size(), 0));
        }
        Spec spec = new Spec(rows, k, cols, n.input(0), n.input(1), u.product(), u.kept(),
                f.inputs().stream().mapToInt(Integer::intValue).toArray(), f.results().stream().mapToInt(Integer::intValue).toArray(),
                expr.inputs(), update, byHeight, slots, "matmul_update_" + u.product());
        // Split over the threads exactly when the unfused weight gradient would; blocks of all of a part's rows once B is large.
        Sz macs = k < 0 ? new Sz((long) rows * cols, 1) : new Sz((long) rows * k * cols, 0);
        Sz bBytes = k < 0 ? new Sz((long) cols * Float.BYTES, 1) : new Sz((long) k * cols * Float.BYTES, 0);
        StepWriter.Test smallB = KernelCalls.below(bBytes, WHOLE_PART_FROM_B_BYTES);
        List<StepWriter.Action> oneThread = KernelCalls.branch(smallB, spec.blocks(1, blockRows(cols)), spec.blocks(1, Math.max(1, rows)));
        if (parts == 1) {
            c.acts(oneThread);
            return;
        }
        List<StepWriter.Action> split = KernelCalls.branch(smallB, spec.blocks(parts, blockRows(cols)), spec.blocks(parts, Math.max(1, rows)));
        c.choose(KernelCalls.below(macs, WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT), oneThread, split);
    }

    /**
     * Whether blocks of {@code block} rows of C ({@code rows} rows in all, split over 1 or {@code parts} parts)
     * leave a block of height {@code h}: the full block, or the last, shorter block of a part.
     */
    private static boolean used(int rows, int block, int parts, int h) {
        if (h > rows) return false;
        if (h == block) return true;
        for (int split : new int[] {1, parts}) {
            for (int p = 0; p < split; p++) {
                int r = RowBlocks.firstRow(p + 1, split, rows) - RowBlocks.firstRow(p, split, rows);
                if (r > 0 && r % block == h) return true;
            }
        }
        return false;
    }

    /** Per part: the slots of the product's scratch, C's block (lazy, -1 when C is kept), the update's holders and offsets. */
    private record Parts(int[] scratch, int[] cBlock, int[] in, int[] out, int[] inOff, int[] outOff) {}

    /**
     * What every call computes: C[rows, cols] = Aᵀ·B with A stored [k, rows] ({@code k} &lt; 0: the batch), then
     * {@code update} reading {@code inputs} (C among them) and writing {@code results}, all of C's shape or
     * broadcast as {@code kinds} say. {@code byHeight}: the product's kernel for a block of each height any batch
     * uses.
     */
    private record Spec(int rows, int k, int cols, int x, int y, int product, boolean kept, int[] inputs, int[] results,
                        List<InputKind> kinds, ElementwiseKernel update, EmittedMatmul[] byHeight, Parts slots, String label) {
        /**
         * The calls over {@code split} parts (1: on the calling thread) in blocks of {@code block} rows of C: one call
         * per part of a {@link Blocks} loop, which runs each block's product then the update's loop over it. Each part
         * has its own scratch, C block, holders and offsets, so parts running at once share nothing they write.
         */
        List<StepWriter.Action> blocks(int split, int block) {
            int cIndex = -1;
            int[] full = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i] == product) cIndex = i;
                full[i] = kinds.get(i) == InputKind.FULL ? 1 : 0;
            }
            Blocks loop = new Blocks(block, cols, kept, cIndex, full, kernels(byHeight), update);
            List<List<StepWriter.Action>> parts = new ArrayList<>();
            for (int p = 0; p < split; p++) {
                int from = RowBlocks.firstRow(p, split, rows), to = RowBlocks.firstRow(p + 1, split, rows);
                if (to == from) {
                    parts.add(List.of());
                    continue;
                }
                int[] ins = inputs.clone();
                if (!kept) ins[cIndex] = slots.cBlock()[p];
                // C's block grows (Grown) before the holder is filled from its slot: arguments load in order.
                Arg c = kept ? Arg.floats(product)
                        : new Arg.Grown(slots.cBlock()[p], (Arg.Count) Arg.constant(Math.multiplyExact(Math.min(block, to - from), cols)));
                parts.add(List.of(KernelCalls.invokes(new Invocation(loop, BlocksKernel.class, "run", Arg.floats(x), Arg.floats(y), c,
                        k < 0 ? Arg.batch() : Arg.constant(k),
                        slots.scratch()[p] < 0 ? new Arg.Null(float[].class) : Arg.floats(slots.scratch()[p]),
                        new Arg.Gathered(slots.in()[p], ins, float[][].class), new Arg.Slot(slots.inOff()[p], int[].class),
                        new Arg.Gathered(slots.out()[p], results, float[][].class), new Arg.Slot(slots.outOff()[p], int[].class),
                        Arg.constant(from), Arg.constant(to)), label + "_blocks")));
            }
            return split == 1 ? parts.getFirst() : List.of(new StepWriter.Action.Fork(parts));
        }
    }

    /** The kernels of {@code byHeight} (null where no block has that height). */
    private static MatmulKernel[] kernels(EmittedMatmul[] byHeight) {
        MatmulKernel[] k = new MatmulKernel[byHeight.length];
        for (int h = 0; h < k.length; h++) k[h] = byHeight[h] == null ? null : byHeight[h].kernel();
        return k;
    }

    /**
     * The block loop of one part: for each block of at most {@code block} rows of C, the product's kernel for its
     * height into C ({@code kept}: at the block's place in C; else at the start of the part's C block), then the
     * update over the block, C read at the same place and the other full-shaped arrays at the block's place.
     */
    record Blocks(int block, int cols, boolean kept, int cIndex, int[] full, MatmulKernel[] byHeight, ElementwiseKernel update)
            implements BlocksKernel {
        @Override public void run(float[] a, float[] b, float[] c, int batch, float[] scratch, float[][] in, int[] inOff,
                                  float[][] out, int[] outOff, int from, int to) {
            for (int r = from; r < to; r += block) {
                int h = Math.min(block, to - r), at = r * cols, cAt = kept ? at : 0;
                byHeight[h].run(a, r, b, 0, c, cAt, batch, scratch, null, 0);
                for (int i = 0; i < inOff.length; i++) inOff[i] = i == cIndex ? cAt : full[i] * at;
                java.util.Arrays.fill(outOff, at);
                update.run(in, inOff, out, outOff, h * cols, cols);
            }
        }
    }
}
