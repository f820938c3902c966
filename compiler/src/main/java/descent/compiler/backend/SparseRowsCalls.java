package descent.compiler.backend;

import descent.compiler.emit.ElementwiseEmitter;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.RowsSupport;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.List;

/**
 * A {@link Kernel.SparseRows} row loop as one call of a generated kernel ({@link ElementwiseKernel#runRows}):
 * for each listed row whose mask is set, every scatter's new row is computed from the gathered rows (read
 * straight from their variables at the row's index), the rows of the other full-shaped inputs and the scalar
 * and row-vector inputs, and stored straight into the variables — or, when a write is not direct, into their
 * buffers after the variable is copied there. The indices are checked first, so a bad one fails the call
 * before any row is stored.
 */
final class SparseRowsCalls {
    private SparseRowsCalls() {}

    static void rows(KernelCalls c, Kernel.SparseRows r) {
        List<Integer> values = r.scatters().stream().map(u -> c.g.node(u).input(2)).toList();
        // Row-shaped inputs are read per row even when the rows' shape has one element (which a plain fused
        // loop would read as a scalar).
        java.util.Set<Integer> perRow = new java.util.HashSet<>();
        for (int in : r.inputs()) if (c.g.type(in).shape().equals(r.rows())) perRow.add(in);
        FusedExpr expr = FusedExpr.from(c.g, values, r.inputs(), perRow);
        int inputs = r.inputs().size(), outputs = r.scatters().size();
        boolean[] gathered = new boolean[inputs];
        int[] source = new int[inputs];
        for (int i = 0; i < inputs; i++) {
            int in = r.inputs().get(i);
            gathered[i] = r.gathers().contains(in);
            source[i] = gathered[i] ? c.g.node(in).input(0) : in;   // a gather reads its variable's rows
        }
        ElementwiseKernel kernel = Kernels.get("rows " + java.util.Arrays.toString(gathered) + " " + expr,
                () -> ElementwiseEmitter.compileForBackend(expr, gathered));
        int[] dims = c.dims(r.scatters().get(0));
        int width = KernelCalls.fixedDim(dims[1]);
        // Every listed row is read or stored in every variable of the group: check against the fewest rows.
        int stateRows = Integer.MAX_VALUE;
        for (int u : r.scatters()) stateRows = Math.min(stateRows, KernelCalls.fixedDim(c.dims(c.g.node(u).input(0))[0]));
        for (int ga : r.gathers()) stateRows = Math.min(stateRows, KernelCalls.fixedDim(c.dims(c.g.node(ga).input(0))[0]));
        for (int u : r.scatters()) c.out(u);
        int[] scatter = r.scatters().stream().mapToInt(Integer::intValue).toArray();
        int[] variable = r.scatters().stream().mapToInt(u -> c.g.node(u).input(0)).toArray();
        int indices = r.indices(), mask = r.mask();
        boolean longIds = c.g.type(indices).dtype() == DType.I64;
        Sz count = c.size(indices);
        Sz stateSize = c.size(variable[0]);
        int inSlot = c.buffers.holder(inputs, true), outSlot = c.buffers.holder(outputs, true);
        int inOffSlot = c.buffers.scratch(DType.I32, new Sz(inputs, 0)), outOffSlot = c.buffers.scratch(DType.I32, new Sz(outputs, 0));
        int idSlot = longIds ? c.buffers.scratch(DType.I32, count) : -1;
        int rowsChecked = stateRows;
        int parts = c.threads.threads(), partSlot = c.buffers.holder(1, false);
        c.call((buf, step, b) -> {
            float[][] in = (float[][]) buf[inSlot], out = (float[][]) buf[outSlot];
            for (int i = 0; i < inputs; i++) in[i] = (float[]) buf[source[i]];
            float[] m = (float[]) buf[mask];
            int n = count.at(b);
            int[] ids;
            if (longIds) {
                long[] wide = (long[]) buf[indices];
                ids = (int[]) buf[idSlot];
                for (int p = 0; p < n; p++) ids[p] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, wide[p]));
                for (int p = 0; p < n; p++) {
                    if (m[p] != 0 && (wide[p] < 0 || wide[p] >= rowsChecked)) throw RowsSupport.outOfRange("gather", wide[p], p, rowsChecked);
                }
            } else {
                ids = (int[]) buf[indices];
                for (int p = 0; p < n; p++) {
                    if (m[p] != 0 && (ids[p] < 0 || ids[p] >= rowsChecked)) throw RowsSupport.outOfRange("gather", ids[p], p, rowsChecked);
                }
            }
            for (int o = 0; o < outputs; o++) {
                out[o] = (float[]) buf[scatter[o]];
                if (out[o] != buf[variable[o]]) System.arraycopy((float[]) buf[variable[o]], 0, out[o], 0, stateSize.at(b));
            }
            if (parts == 1 || (long) n * width < PARALLEL_ELEMENTS) {
                kernel.runRows(in, (int[]) buf[inOffSlot], out, (int[]) buf[outOffSlot], ids, m, 0, n, width);
                return;
            }
            Object[] h = (Object[]) buf[partSlot];
            Parts ps = (Parts) h[0];
            if (ps == null) h[0] = ps = new Parts(kernel, parts, width);
            ps.run(c.threads, in, (int[]) buf[inOffSlot], out, (int[]) buf[outOffSlot], ids, m, n);
        });
    }

    /**
     * From this many elements (listed positions × row width) the positions are split into one contiguous range
     * per thread. The rows a range stores are its own (listed rows are distinct where the mask is set), so the
     * result is bitwise that of one thread. Measured (embedding 100k × 64, 2,048 positions, Adagrad, 2 threads):
     * the row loop takes 48 µs instead of 87 — it is bound by the latency of its random rows, and two cores
     * keep twice as many misses in flight.
     */
    static final int PARALLEL_ELEMENTS = 1 << 14;

    /** The first position of range {@code p} of {@code parts} over {@code n} positions (the lookup's ranges too). */
    static int firstPosition(int p, int parts, int n) { return (int) ((long) n * p / parts); }

    /** One thread's view of a split row loop (kept in a per-thread slot, so a call allocates nothing). */
    private static final class Parts implements java.util.function.IntConsumer {
        private final ElementwiseKernel kernel;
        private final int parts, width;
        private float[][] in, out;
        private int[] inOff, outOff, ids;
        private float[] mask;
        private int n;

        Parts(ElementwiseKernel kernel, int parts, int width) {
            this.kernel = kernel;
            this.parts = parts;
            this.width = width;
        }

        void run(StepThreads threads, float[][] in, int[] inOff, float[][] out, int[] outOff, int[] ids, float[] mask, int n) {
            this.in = in;
            this.inOff = inOff;
            this.out = out;
            this.outOff = outOff;
            this.ids = ids;
            this.mask = mask;
            this.n = n;
            threads.run(parts, this);
        }

        @Override public void accept(int p) {
            int from = firstPosition(p, parts, n), to = firstPosition(p + 1, parts, n);
            if (to > from) kernel.runRows(in, inOff, out, outOff, ids, mask, from, to, width);
        }
    }
}
