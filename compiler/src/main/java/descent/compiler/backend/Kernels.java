package descent.compiler.backend;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Generated kernels are specialised to their shapes; identical specs share one hidden class across every
 * model and session of the JVM.
 */
final class Kernels {
    private Kernels() {}

    private static final Map<String, Object> CACHE = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    static <T> T get(String key, Supplier<T> emit) { return (T) CACHE.computeIfAbsent(key, k -> emit.get()); }
}
