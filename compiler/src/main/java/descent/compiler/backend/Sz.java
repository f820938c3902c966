package descent.compiler.backend;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Shape;

/**
 * An element count {@code c · b^p}, where b is the runtime size of the symbolic dimension: how buffers and
 * kernel lengths are sized before the batch size is known.
 */
record Sz(long c, int p) {
    int at(int b) { return Math.toIntExact(atLong(b)); }

    /** The count at batch size {@code b}, as a long (a product's multiply-adds can pass 2³¹). */
    long atLong(int b) {
        long v = c;
        for (int i = 0; i < p; i++) v *= b;
        return v;
    }

    /** The element count of concrete dims with -1 for the symbolic dimension. */
    static Sz of(int[] dims) {
        long c = 1;
        int p = 0;
        for (int x : dims) { if (x < 0) p++; else c *= x; }
        return new Sz(c, p);
    }

    /** The element count of a shape whose symbolic dimensions are all the one left symbolic. */
    static Sz of(Shape shape) {
        long c = 1;
        int p = 0;
        for (Dim d : shape.dims()) { if (d.isSymbolic()) p++; else c *= d.size(); }
        return new Sz(c, p);
    }

    /** Rows of a tensor of this many elements with {@code classes} per row. */
    Sz perRow(int classes) { return classes == 0 ? new Sz(0, 0) : new Sz(c / classes, p); }
}
