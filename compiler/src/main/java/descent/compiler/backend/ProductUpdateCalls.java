package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.InputKind;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
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
     * From this size of B (the batch × C's width, in bytes: half this machine's 2 MiB L2) each part is one block.
     * Small blocks never pack B and read all of it per block, from L3 once it no longer fits in L2; a whole part
     * is the unfused weight gradient's call, which packs. MLP 784-1024-10 at batch 512 with Adam on two threads
     * (B = 2 MiB; 2026-11-27, step medians, fused/unfused in one JVM): 2,048-float blocks 10.9–11.1 ms against
     * 9.6–9.8 ms unfused; one block per part 8.7–8.9 ms against 8.6–10.4 ms. At B = 512 KiB (784-512-10,
     * batch 256) both block sizes matched the unfused step.
     */
    static final long WHOLE_PART_FROM_B_BYTES = 1 << 20;

    /** Rows per block at batch {@code b}: {@link #blockRows}, or all of C's rows (so one block per part) for a large B. */
    static int blockRows(int rows, int cols, int b) {
        return (long) b * cols * Float.BYTES >= WHOLE_PART_FROM_B_BYTES ? Math.max(1, rows) : blockRows(cols);
    }

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
        int holder = c.buffers.holder(1, false);
        int parts = c.threads.threads();
        // Every kernel some batch needs, by block height, asked for now and held: a model jar records them all,
        // and no batch later crossing WHOLE_PART_FROM_B_BYTES emits one.
        EmittedMatmul[] byHeight = new EmittedMatmul[Math.max(blockRows(cols), Math.max(1, rows)) + 1];
        for (int block : new int[] {blockRows(cols), Math.max(1, rows)}) {
            for (int h = 1; h <= block; h++) {
                if (used(rows, block, parts, h) && byHeight[h] == null) {
                    byHeight[h] = WeightGradientCalls.weightGradient(h, cols, m.transposeB(), MatmulEpilogue.NONE, rows);
                }
            }
        }
        Spec spec = new Spec(rows, k, cols, m.transposeB(), n.input(0), n.input(1), u.product(), u.kept(),
                f.inputs().stream().mapToInt(Integer::intValue).toArray(), f.results().stream().mapToInt(Integer::intValue).toArray(),
                expr.inputs(), update, byHeight);
        c.call((buf, step, b) -> {
            Object[] h = (Object[]) buf[holder];
            Blocks blocks = (Blocks) h[0];
            if (blocks == null) h[0] = blocks = new Blocks(spec, parts);
            blocks.run(c.threads, buf, k < 0 ? b : k);
        });
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

    /**
     * What every call computes: C[rows, cols] = Aᵀ·B with A stored [k, rows] ({@code k} &lt; 0: the batch), then
     * {@code update} reading {@code inputs} (C among them) and writing {@code results}, all of C's shape or
     * broadcast as {@code kinds} say. {@code byHeight}: the product's kernel for a block of each height any batch
     * uses.
     */
    private record Spec(int rows, int k, int cols, boolean tb, int x, int y, int product, boolean kept,
                         int[] inputs, int[] results, List<InputKind> kinds, ElementwiseKernel update, EmittedMatmul[] byHeight) {}

    /**
     * One step thread's state for the kernel (kept in a buffer slot, so a warm call allocates nothing): the
     * product's kernels for each block height at the current batch size, and each part's argument arrays,
     * offsets and scratch, so parts running at once share nothing they write.
     */
    private static final class Blocks implements java.util.function.IntConsumer {
        private final Spec s;
        private final int parts;
        /** By block height (1..rows): the product's kernel at {@link #batch}. */
        private final EmittedMatmul[] kernels;
        private final float[][][] in, out;
        private final int[][] inOff, outOff;
        /** Per part: the product kernel's scratch (null when it needs none), and C's block when C is not kept. */
        private final float[][] scratch, cBlock;
        private int batch = -1, block, kernelsBlock = -1;
        private Object[] buf;
        private int splitParts;

        Blocks(Spec s, int parts) {
            this.s = s;
            this.parts = parts;
            this.kernels = new EmittedMatmul[s.rows() + 1];
            this.in = new float[parts][s.inputs().length][];
            this.out = new float[parts][s.results().length][];
            this.inOff = new int[parts][s.inputs().length];
            this.outOff = new int[parts][s.results().length];
            this.scratch = new float[parts][];
            this.cBlock = new float[parts][];
        }

        void run(StepThreads threads, Object[] buf, int b) {
            if (b != batch) {
                block = blockRows(s.rows(), s.cols(), b);
                // Split over the threads exactly when the unfused weight gradient would.
                splitParts = parts > 1 && (long) s.rows() * b * s.cols() >= WeightGradientCalls.PARALLEL_MACS_WEIGHT_GRADIENT ? parts : 1;
                // A part's C block grows to the largest it has needed (its whole rows once a batch made B large).
                for (int p = 0; p < splitParts && !s.kept(); p++) {
                    int floats = Math.min(block, RowBlocks.firstRow(p + 1, splitParts, s.rows()) - RowBlocks.firstRow(p, splitParts, s.rows())) * s.cols();
                    if (cBlock[p] == null || cBlock[p].length < floats) cBlock[p] = new float[floats];
                }
                // Runtime-K kernels take the batch as an argument: looked up again only when the block height changes.
                if (block != kernelsBlock) {
                    java.util.Arrays.fill(kernels, null);
                    for (int h = 1; h <= block; h++) {
                        if (used(s.rows(), block, parts, h)) kernels[h] = s.byHeight()[h];
                    }
                    kernelsBlock = block;
                }
                int most = 0;
                for (EmittedMatmul e : kernels) if (e != null) most = Math.max(most, e.scratchFloats(b));
                for (int p = 0; p < parts; p++) scratch[p] = WeightGradientCalls.grown(scratch[p], most);
                batch = b;
            }
            this.buf = buf;
            threads.run(splitParts, this);
        }

        @Override public void accept(int p) {
            int from = RowBlocks.firstRow(p, splitParts, s.rows()), to = RowBlocks.firstRow(p + 1, splitParts, s.rows());
            float[] a = (float[]) buf[s.x()], bm = (float[]) buf[s.y()];
            float[][] ins = in[p], outs = out[p];
            int[] io = inOff[p], oo = outOff[p];
            float[] c = s.kept() ? (float[]) buf[s.product()] : cBlock[p];
            for (int i = 0; i < ins.length; i++) ins[i] = s.inputs()[i] == s.product() ? c : (float[]) buf[s.inputs()[i]];
            for (int i = 0; i < outs.length; i++) outs[i] = (float[]) buf[s.results()[i]];
            int cols = s.cols();
            for (int r = from; r < to; r += block) {
                int h = Math.min(block, to - r), at = r * cols, cAt = s.kept() ? at : 0;
                EmittedMatmul e = kernels[h];
                e.kernel().run(a, r, bm, 0, c, cAt, batch, scratch[p], null, 0);
                for (int i = 0; i < io.length; i++) {
                    io[i] = s.inputs()[i] == s.product() ? cAt : s.kinds().get(i) == InputKind.FULL ? at : 0;
                }
                java.util.Arrays.fill(oo, at);
                s.update().run(ins, io, outs, oo, h * cols, cols);
            }
        }
    }
}
