package descent.compiler.interp;

/**
 * How the reference interpreter computes floating-point values. Every op computes in double;
 * under F32 an f32 node's result is then rounded to float, so each op is (at least) as accurate as a
 * correctly rounded float op. F64 skips the rounding: gradient checks use it on any model.
 */
public enum Precision { F32, F64 }
