package descent.runtime.api;

/**
 * A model ready to train: compiled to bytecode, or run by the reference interpreter. It is immutable;
 * all state lives in the sessions it creates.
 */
public interface DescentModel {
    ModelSignature signature();

    /** A session whose variables are initialised by their initializers; {@code seed} seeds those without their own. */
    TrainingSession newSession(long seed);

    /**
     * A session whose steps may use {@code threads} threads (the compiled backend splits large matrix products
     * and elementwise passes; results are bitwise identical for every count). Models that run on one thread
     * only, such as the reference interpreter, ignore the count.
     */
    default TrainingSession newSession(long seed, int threads) {
        if (threads < 1 || threads > 1024) {
            throw new descent.runtime.DescentException("threads must be from 1 to 1024, not " + threads);
        }
        return newSession(seed);
    }
}
