package descent.runtime.api;

/**
 * A model ready to train: compiled to bytecode, or run by the reference interpreter. It is immutable;
 * all state lives in the sessions it creates.
 */
public interface DescentModel {
    ModelSignature signature();

    /** A session whose variables are initialised by their initializers; {@code seed} seeds those without their own. */
    TrainingSession newSession(long seed);
}
