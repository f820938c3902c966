package descent.runtime;

/**
 * How a variable gets its first value. Random initializers are seeded: the same seed gives the same
 * values on every run, machine and backend (see {@link Initializers}).
 * A {@code null} seed means "derive one from the run's global seed and the variable's name".
 */
public sealed interface Initializer {
    record Zeros() implements Initializer {}
    record Ones() implements Initializer {}
    /** Every element {@code value}, or the listed values in row-major order when {@code values} is not null. */
    record Constant(double value, double[] values) implements Initializer {}
    record RandomUniform(double minval, double maxval, Long seed) implements Initializer {}
    record RandomNormal(double mean, double stddev, Long seed) implements Initializer {}
    /** Normal values redrawn until within two standard deviations of the mean, as TF's truncated_normal. */
    record TruncatedNormal(double mean, double stddev, Long seed) implements Initializer {}
    /**
     * TF's VarianceScaling: scale / n with n the fan_in, fan_out or their average; distribution
     * "truncated_normal", "untruncated_normal" or "uniform". glorot_uniform and glorot_normal are
     * VarianceScaling(1, fan_avg, uniform / truncated_normal).
     */
    record VarianceScaling(double scale, String mode, String distribution, Long seed) implements Initializer {}
}
