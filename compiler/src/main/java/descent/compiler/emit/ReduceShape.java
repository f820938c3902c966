package descent.compiler.emit;

import descent.compiler.ir.ReduceFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a reduction kernel computes: {@code fn} over the {@code reduced} axes of a row-major f32 tensor
 * with {@code dims}, of which any may be {@link #BATCH} (the one size known only at run time, passed to the
 * kernel; several such axes are each that size, as in batch × batch). Keepdims does not matter: the output is the kept axes in order, row-major, either way.
 *
 * <p>Kernels work on {@link #groups()}: static axes of size 1 are dropped and adjacent axes of the same
 * kind (reduced or kept) merged, so e.g. {@code [B, 28, 28, 64]} reduced over axes 1, 2 becomes
 * kept {@code B}, reduced {@code 784}, kept {@code 64}.
 */
public record ReduceShape(ReduceFn fn, int[] dims, boolean[] reduced) {
    /** A dimension given at run time (the symbolic batch). */
    public static final int BATCH = -1;

    public ReduceShape {
        dims = dims.clone();
        reduced = reduced.clone();
        if (dims.length != reduced.length) throw new IllegalArgumentException("dims and reduced differ in rank");
        for (int d : dims) {
            if (d < 0 && d != BATCH) throw new IllegalArgumentException("dimension " + d + " in " + Arrays.toString(dims));
        }
    }

    /** {@code fn} over {@code axes} (negative counts from the end) of a tensor with {@code dims}. */
    public static ReduceShape of(ReduceFn fn, int[] dims, int... axes) {
        boolean[] r = new boolean[dims.length];
        for (int a : axes) {
            int ax = a < 0 ? a + dims.length : a;
            if (ax < 0 || ax >= dims.length) throw new IllegalArgumentException("axis " + a + " of rank " + dims.length);
            r[ax] = true;
        }
        return new ReduceShape(fn, dims, r);
    }

    /**
     * SumTo: the adjoint of broadcasting {@code to} up to {@code from}, i.e. a sum over the leading axes
     * {@code from} has beyond {@code to}'s rank and over every axis where {@code to} has 1 and {@code from}
     * not. {@link #BATCH} in both at the same axis is kept; {@code to} must broadcast to {@code from}.
     */
    public static ReduceShape sumTo(int[] from, int[] to) {
        int lead = from.length - to.length;
        if (lead < 0) throw new IllegalArgumentException("cannot sum " + Arrays.toString(from) + " to " + Arrays.toString(to));
        boolean[] r = new boolean[from.length];
        for (int a = 0; a < from.length; a++) {
            if (a < lead) { r[a] = true; continue; }
            int t = to[a - lead];
            if (t == from[a]) continue;
            if (t != 1) throw new IllegalArgumentException(Arrays.toString(to) + " does not broadcast to " + Arrays.toString(from));
            r[a] = true;
        }
        return new ReduceShape(ReduceFn.SUM, from, r);
    }

    public boolean hasBatch() {
        for (int d : dims) if (d == BATCH) return true;
        return false;
    }

    /**
     * A run of adjacent axes of one kind: {@code constant} elements, times the runtime batch once for each of its
     * {@code batches} axes of that size.
     */
    public record Group(boolean reduced, int constant, int batches) {}

    /** The merged axes, outermost first; never empty (a scalar or all-ones shape is one kept group of 1). */
    public List<Group> groups() {
        List<Group> gs = new ArrayList<>();
        for (int a = 0; a < dims.length; a++) {
            if (dims[a] == 1) continue;
            boolean batch = dims[a] == BATCH;
            int c = batch ? 1 : dims[a];
            if (!gs.isEmpty() && gs.getLast().reduced() == reduced[a]) {
                Group last = gs.removeLast();
                gs.add(new Group(reduced[a], Math.multiplyExact(last.constant(), c), last.batches() + (batch ? 1 : 0)));
            } else {
                gs.add(new Group(reduced[a], c, batch ? 1 : 0));
            }
        }
        if (gs.isEmpty()) gs.add(new Group(false, 1, 0));
        return gs;
    }

    /** A short readable name for generated classes. */
    public String tag() {
        StringBuilder sb = new StringBuilder(fn.name());
        for (int a = 0; a < dims.length; a++) sb.append('_').append(reduced[a] ? "r" : "").append(dims[a] == BATCH ? "B" : String.valueOf(dims[a]));
        return sb.toString();
    }

    @Override public boolean equals(Object o) {
        return o instanceof ReduceShape s && s.fn == fn && Arrays.equals(s.dims, dims) && Arrays.equals(s.reduced, reduced);
    }

    @Override public int hashCode() { return fn.hashCode() * 31 * 31 + Arrays.hashCode(dims) * 31 + Arrays.hashCode(reduced); }

    @Override public String toString() { return "ReduceShape[" + tag() + "]"; }

    @Override public int[] dims() { return dims.clone(); }
    @Override public boolean[] reduced() { return reduced.clone(); }
}
