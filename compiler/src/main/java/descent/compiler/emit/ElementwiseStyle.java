package descent.compiler.emit;

/**
 * Which instructions a kernel's loop uses. Every style computes the exact ops (arithmetic, comparisons,
 * selects, ReLU-family gradients, the rational gradient kernels) bitwise as the reference interpreter
 * does; they differ only in how transcendental functions are evaluated, and in speed.
 *
 * <p>Measured distances from the interpreter (ElementwiseAccuracy: 2^21 inputs per op — every pair of
 * edge values, uniform, log-uniform over the float range, random bit patterns, and uniform [-20, 20] —
 * on C2-compiled kernels, JDK 25, AVX-512), in float ulps, NaN only where the interpreter has NaN:
 * <table>
 *   <tr><th>op class</th><th>VECTOR</th><th>VECTOR_DOUBLE_MATH</th><th>SCALAR</th></tr>
 *   <tr><td>exact ops (all but those below)</td><td>0</td><td>0</td><td>0</td></tr>
 *   <tr><td>exp, log, tanh, elu</td><td>≤ 1</td><td>0</td><td>0</td></tr>
 *   <tr><td>log1p, sigmoid, selu</td><td>≤ 2</td><td>0</td><td>0</td></tr>
 *   <tr><td>softplus</td><td>≤ 3</td><td>0</td><td>0</td></tr>
 *   <tr><td>sin, cos, pow (the backend compiles these SCALAR)</td><td>≤ 1</td><td>≤ 1</td><td>0</td></tr>
 * </table>
 * The tests hold VECTOR to 4 ulps and VECTOR_DOUBLE_MATH to 1 on transcendentals, everything else to 0.
 * Speed, ns per element on one core (2026-11-27, VECTOR / VECTOR_DOUBLE_MATH / SCALAR): exp 0.30 / 1.30 / 4.6,
 * log 0.49 / 1.36 / 9.7, tanh 0.65 / 2.19 / 11.0, sigmoid 0.83 / 1.49 / 5.7, softplus 1.4 / 4.6 / 15.5.
 */
public enum ElementwiseStyle {
    /**
     * {@code jdk.incubator.vector} loops with transcendentals in float lanes (the JDK's vector math
     * library): fastest, up to 3 ulps from the interpreter. Their results change when C2 compiles the
     * kernel, because before that the Vector API falls back to {@code Math} (e.g. exp: 84, cos: 811 of
     * 16384 elements differ between a cold and a compiled run), so they are deterministic per JIT state
     * only. Not used by the backend; kept for measurements.
     */
    VECTOR,
    /**
     * {@code jdk.incubator.vector} loops with transcendentals evaluated in double lanes and rounded to
     * float, as the interpreter does. exp, log, tanh and expm1 (and what is built on them) are
     * {@link WideMath}'s, made of IEEE operations only, so no result depends on the JIT tier; sin, cos and
     * pow are the JDK's vector math library's, which does not have that property (so the backend compiles
     * them {@link #SCALAR}). Costs half-width float vectors in kernels that need double lanes. The
     * backend's style ({@link ElementwiseEmitter#styleFor}).
     */
    VECTOR_DOUBLE_MATH,
    /**
     * Plain scalar loops, bitwise identical to the interpreter for every op (transcendentals call the
     * same {@code Math} methods). Needs no incubator module. C2 auto-vectorizes them as well as the
     * Vector API when every offset is 0 and they hold only arithmetic (Adam, tanh_grad); not with
     * non-zero offsets, selects (relu, comparisons: ~17× slower) or {@code Math} calls (~7× and more).
     */
    SCALAR;

    /** Whether this style needs {@code jdk.incubator.vector}. */
    public boolean usesVectorApi() { return this != SCALAR; }
}
