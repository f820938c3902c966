package descent.compiler.emit;

/**
 * Which instructions a kernel's loop uses. Every style computes the exact ops (arithmetic, comparisons,
 * selects, ReLU-family gradients, the rational gradient kernels) bitwise as the reference interpreter
 * does; they differ only in how transcendental functions are evaluated, and in speed.
 */
public enum ElementwiseStyle {
    /**
     * {@code jdk.incubator.vector} loops with transcendentals in float lanes (the JDK's vector math
     * library): fastest, a few ulps from the interpreter (see the package documentation for the measured
     * bounds). Results of transcendentals may change when C2 compiles the kernel (the interpreter and C1
     * fall back to {@code Math}).
     */
    VECTOR,
    /**
     * {@code jdk.incubator.vector} loops with transcendentals evaluated in double lanes and rounded to
     * float, as the interpreter does: at most 1 ulp from it (in practice almost always bitwise), at the
     * price of half-width vectors for kernels that need double lanes.
     */
    VECTOR_DOUBLE_MATH,
    /**
     * Plain scalar loops, bitwise identical to the interpreter for every op (transcendentals call the
     * same {@code Math} methods). Needs no incubator module; C2 auto-vectorizes them when they hold only
     * arithmetic (no selects, no {@code Math} calls).
     */
    SCALAR;

    /** Whether this style needs {@code jdk.incubator.vector}. */
    public boolean usesVectorApi() { return this != SCALAR; }
}
