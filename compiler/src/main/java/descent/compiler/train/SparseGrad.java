package descent.compiler.train;

/**
 * An IndexedSlices gradient prepared for a sparse update rule: {@code values} summed per index (TF's
 * de-duplication), held at each index's first occurrence; {@code mask} is 1 at first occurrences, 0 at
 * repeats. Rules compute new rows for every listed index and {@link Update#scatter} writes the masked ones.
 */
public record SparseGrad(int values, int indices, int mask) {}
