package descent.compiler.train;

/**
 * An optimizer hyperparameter: a number known at compile time, or a scalar tensor of the graph (a
 * schedule of {@code global_step}, a fed input) evaluated every step.
 */
public sealed interface Hyper {
    record Const(double value) implements Hyper {}
    record Node(int node) implements Hyper {}

    static Hyper of(double v) { return new Const(v); }

    /** The constant value, or NaN when the hyperparameter is a tensor (so checks on it are skipped). */
    default double constValue() { return this instanceof Const c ? c.value() : Double.NaN; }

    default boolean isConst() { return this instanceof Const; }
}
