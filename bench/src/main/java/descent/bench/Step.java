package descent.bench;
/** One benchmark case built once and run many times: {@code run()} is one training step (or one kernel call). */
public interface Step extends AutoCloseable {
    void run();
    /** The loss the last {@link #run()} fetched, or NaN when the case fetches none. */
    default float loss() { return Float.NaN; }

    /** Time per kernel since the last {@link #resetProfile()}, for a Descent train step run with -Ddescent.profile=true. */
    default String profile() { return ""; }

    default void resetProfile() {}
    @Override void close();
}
