package descent.compiler.emit;

import java.util.Arrays;

/**
 * An integer polynomial in the runtime batch size {@code b}: {@code c[0] + c[1]·b + c[2]·b² + ...}.
 * Extents, strides and offsets of a kernel with one runtime dimension are such polynomials (a shape
 * may use the batch more than once, e.g. {@code [batch, batch]}).
 */
record LayoutPoly(long[] c) {
    static final LayoutPoly ZERO = new LayoutPoly(new long[0]);
    static final LayoutPoly ONE = of(1);
    static final LayoutPoly BATCH = new LayoutPoly(new long[] {0, 1});

    LayoutPoly {
        int n = c.length;
        while (n > 0 && c[n - 1] == 0) n--;
        c = Arrays.copyOf(c, n);
    }

    static LayoutPoly of(long constant) { return new LayoutPoly(new long[] {constant}); }

    /** {@link #BATCH} for {@link LayoutEmitter#BATCH}, else the constant. */
    static LayoutPoly dim(int size) {
        if (size == LayoutEmitter.BATCH) return BATCH;
        if (size < 0) throw new IllegalArgumentException("dimension " + size);
        return of(size);
    }

    boolean isConstant() { return c.length <= 1; }
    long constant() { return c.length == 0 ? 0 : c[0]; }
    boolean isConstant(long v) { return isConstant() && constant() == v; }

    LayoutPoly plus(LayoutPoly o) {
        long[] r = new long[Math.max(c.length, o.c.length)];
        for (int i = 0; i < c.length; i++) r[i] += c[i];
        for (int i = 0; i < o.c.length; i++) r[i] += o.c[i];
        return new LayoutPoly(r);
    }

    LayoutPoly times(LayoutPoly o) {
        if (c.length == 0 || o.c.length == 0) return ZERO;
        long[] r = new long[c.length + o.c.length - 1];
        for (int i = 0; i < c.length; i++) for (int j = 0; j < o.c.length; j++) r[i + j] += c[i] * o.c[j];
        return new LayoutPoly(r);
    }

    LayoutPoly times(long k) { return times(of(k)); }

    @Override public boolean equals(Object o) { return o instanceof LayoutPoly p && Arrays.equals(c, p.c); }
    @Override public int hashCode() { return Arrays.hashCode(c); }
    @Override public String toString() {
        if (c.length == 0) return "0";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < c.length; i++) {
            if (c[i] == 0) continue;
            if (!s.isEmpty()) s.append('+');
            s.append(c[i]);
            if (i > 0) s.append("b").append(i > 1 ? "^" + i : "");
        }
        return s.toString();
    }

    /** Row-major strides of a shape given with {@link LayoutEmitter#BATCH} for the runtime dimension. */
    static LayoutPoly[] strides(int[] shape) {
        LayoutPoly[] s = new LayoutPoly[shape.length];
        LayoutPoly acc = ONE;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc = acc.times(dim(shape[i]));
        }
        return s;
    }

    static LayoutPoly size(int[] shape) {
        LayoutPoly acc = ONE;
        for (int d : shape) acc = acc.times(dim(d));
        return acc;
    }
}
