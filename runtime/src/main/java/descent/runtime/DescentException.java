package descent.runtime;

/**
 * A user error: a bad model file, feed, checkpoint or argument. Its message is one clear line meant for
 * the user as it is; the command line prints it without a stack trace and exits with code 1.
 */
public class DescentException extends RuntimeException {
    public DescentException(String message) { super(message); }
    public DescentException(String message, Throwable cause) { super(message, cause); }
}
