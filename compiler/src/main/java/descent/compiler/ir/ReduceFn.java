package descent.compiler.ir;

/** Reductions over axes. reduce_logsumexp is built from these, as TF builds it. */
public enum ReduceFn { SUM, MEAN, MAX, MIN }
