package descent.compiler.ir;

/** One dimension of a shape: a size known at compile time, or a symbol (such as {@code batch}) bound at run time. */
public record Dim(long size, String symbol) {
    public static Dim of(long size) { return new Dim(size, null); }
    public static Dim sym(String symbol) { return new Dim(-1, symbol); }

    public boolean isSymbolic() { return symbol != null; }
    public boolean isOne() { return !isSymbolic() && size == 1; }

    @Override public String toString() { return isSymbolic() ? symbol : String.valueOf(size); }
    @Override public boolean equals(Object o) { return o instanceof Dim d && d.size == size && java.util.Objects.equals(d.symbol, symbol); }
    @Override public int hashCode() { return Long.hashCode(size) * 31 + java.util.Objects.hashCode(symbol); }
}
