package descent.runtime.api;

import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import java.util.List;

/**
 * The arrays {@link TrainingSession#trainInto} and {@link TrainingSession#evaluateInto} copy fetched values into: each must be the fetch's element type
 * and hold all of it, checked before the step runs or commits, so that a wrong array fails the call and changes
 * nothing.
 */
public final class FetchArrays {
    private FetchArrays() {}

    /**
     * Throws unless {@code into} has one entry per fetch and {@code into[i]}, when not null, can take fetch i; {@code
     * call}'s name starts the message.
     */
    public static void check(String call, List<String> fetches, Object[] into, java.util.function.IntFunction<DType> dtype,
                             java.util.function.IntToLongFunction count) {
        if (into.length != fetches.size()) {
            throw new DescentException(call + ": " + into.length + " arrays for " + fetches.size() + " fetches");
        }
        for (int i = 0; i < into.length; i++) {
            if (into[i] != null) checkOne(call, fetches.get(i), into[i], dtype.apply(i), count.applyAsLong(i));
        }
    }

    /** The check for one of {@code call}'s arrays (allocates nothing unless it throws: a warm trainInto calls it every step). */
    public static void checkOne(String call, String fetch, Object array, DType want, long count) {
        Class<?> type = switch (want) {
            case F32 -> float[].class;
            case F64 -> double[].class;
            case I32 -> int[].class;
            case I64 -> long[].class;
        };
        if (array.getClass() != type) {
            throw new DescentException(call + ": the array for `" + fetch + "` is a "
                    + array.getClass().getSimpleName() + " but the value is " + want + " (a " + type.getSimpleName() + ")");
        }
        int length = java.lang.reflect.Array.getLength(array);
        if (length < count) {
            throw new DescentException(call + ": the array for `" + fetch + "` holds " + length + " values but the value has " + count);
        }
    }

    /** The same check for values already computed. */
    public static void check(List<String> fetches, Object[] into, java.util.Map<String, Tensor> values) {
        check("trainInto", fetches, into, values);
    }

    /** The same check, for {@code call}'s arrays, for values already computed. */
    public static void check(String call, List<String> fetches, Object[] into, java.util.Map<String, Tensor> values) {
        check(call, fetches, into, i -> values.get(fetches.get(i)).dtype(), i -> values.get(fetches.get(i)).size());
    }
}
