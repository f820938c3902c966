package descent.runtime.api;

import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import java.util.List;

/**
 * The arrays {@link TrainingSession#trainInto} copies fetched values into: each must be the fetch's element type
 * and hold all of it, checked before the step runs or commits, so that a wrong array fails the call and changes
 * nothing.
 */
public final class FetchArrays {
    private FetchArrays() {}

    /** Throws unless {@code into} has one entry per fetch and {@code into[i]}, when not null, can take fetch i. */
    public static void check(List<String> fetches, Object[] into, java.util.function.IntFunction<DType> dtype,
                             java.util.function.IntToLongFunction count) {
        if (into.length != fetches.size()) {
            throw new DescentException("trainInto: " + into.length + " arrays for " + fetches.size() + " fetches");
        }
        for (int i = 0; i < into.length; i++) {
            if (into[i] == null) continue;
            DType want = dtype.apply(i);
            Class<?> type = switch (want) {
                case F32 -> float[].class;
                case F64 -> double[].class;
                case I32 -> int[].class;
                case I64 -> long[].class;
            };
            if (into[i].getClass() != type) {
                throw new DescentException("trainInto: the array for `" + fetches.get(i) + "` is a "
                        + into[i].getClass().getSimpleName() + " but the value is " + want + " (a " + type.getSimpleName() + ")");
            }
            long n = count.applyAsLong(i);
            int length = java.lang.reflect.Array.getLength(into[i]);
            if (length < n) {
                throw new DescentException("trainInto: the array for `" + fetches.get(i) + "` holds " + length
                        + " values but the value has " + n);
            }
        }
    }

    /** The same check for values already computed. */
    public static void check(List<String> fetches, Object[] into, java.util.Map<String, Tensor> values) {
        check(fetches, into, i -> values.get(fetches.get(i)).dtype(), i -> values.get(fetches.get(i)).size());
    }
}
