package descent.cli.data;

import descent.runtime.AtomicFiles;
import java.nio.file.Path;

/** Checks up front that a file can be written, so that a long run does not fail only at its end. */
public final class OutputPaths {
    private OutputPaths() {}

    /**
     * Throws "cannot write PATH: why" if {@link AtomicFiles#write} could not write {@code target}: a missing or
     * read-only directory (of the file a link points to), a directory, a dangling link. Devices and the process's
     * own descriptors ({@code /dev/stdout}) are fine when writable.
     */
    public static void checkWritable(Path target) { AtomicFiles.checkWritable(target); }
}
