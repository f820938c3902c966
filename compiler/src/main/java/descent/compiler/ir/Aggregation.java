package descent.compiler.ir;

/**
 * TensorFlow's {@code aggregation_method}: how several contributions to one gradient are summed.
 * The mathematics is the same; the order of summation (so the rounding) and the peak memory differ.
 */
public enum Aggregation {
    /** One n-ary sum once every contribution exists (TF's AddN). */
    ADD_N,
    /** TF's default, which is ADD_N. */
    DEFAULT,
    /** A left-to-right running sum of the contributions. */
    EXPERIMENTAL_TREE,
    /** Accumulated in place as each contribution is produced. */
    EXPERIMENTAL_ACCUMULATE_N;

    public static Aggregation fromName(String name) {
        for (Aggregation a : values()) if (a.name().equals(name)) return a;
        return null;
    }
}
