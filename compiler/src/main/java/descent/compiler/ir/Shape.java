package descent.compiler.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A tensor shape whose dimensions are sizes or run-time symbols. */
public record Shape(List<Dim> dims) {
    public static final Shape SCALAR = new Shape(List.of());

    public Shape { dims = List.copyOf(dims); }

    public static Shape of(long... sizes) {
        List<Dim> d = new ArrayList<>();
        for (long s : sizes) d.add(Dim.of(s));
        return new Shape(d);
    }

    public int rank() { return dims.size(); }
    public Dim dim(int i) { return dims.get(i); }
    public boolean isStatic() { return dims.stream().noneMatch(Dim::isSymbolic); }

    /** The number of elements, or -1 when a dimension is symbolic. */
    public long staticSize() {
        long n = 1;
        for (Dim d : dims) {
            if (d.isSymbolic()) return -1;
            n *= d.size();
        }
        return n;
    }

    /** The concrete shape under the run-time {@code bindings} of the symbols. */
    public int[] concrete(Map<String, Integer> bindings) {
        int[] out = new int[dims.size()];
        for (int i = 0; i < out.length; i++) {
            Dim d = dims.get(i);
            if (d.isSymbolic()) {
                Integer v = bindings.get(d.symbol());
                if (v == null) throw new IllegalStateException("symbolic dimension `" + d.symbol() + "` is not bound");
                out[i] = v;
            } else {
                out[i] = Math.toIntExact(d.size());
            }
        }
        return out;
    }

    /** NumPy broadcasting of two shapes, or null when they do not broadcast. */
    public static Shape broadcast(Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
            Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
            Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
            if (da.equals(db) || db.isOne()) out.add(da);
            else if (da.isOne()) out.add(db);
            else return null;
        }
        return new Shape(out);
    }

    @Override public String toString() {
        java.util.StringJoiner s = new java.util.StringJoiner(", ", "[", "]");
        for (Dim d : dims) s.add(d.toString());
        return s.toString();
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && s.dims.equals(dims); }
    @Override public int hashCode() { return dims.hashCode(); }
}
