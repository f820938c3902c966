package descent.cli.data;

import descent.runtime.DescentException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks up front that a file can be written, so that a long run does not fail only at its end. */
public final class OutputPaths {
    private OutputPaths() {}

    /** Throws "cannot write PATH: why" (AtomicFiles' wording) if {@code target}'s directory is missing or not writable. */
    public static void checkWritable(Path target) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null) throw cannotWrite(target, "it is not a file path");
        if (!Files.exists(dir)) throw cannotWrite(target, "directory " + dir + " does not exist");
        if (!Files.isDirectory(dir)) throw cannotWrite(target, dir + " is not a directory");
        if (Files.isDirectory(absolute)) throw cannotWrite(target, "it is a directory");
        if (!Files.isWritable(dir)) throw cannotWrite(target, "permission denied in " + dir);
    }

    private static DescentException cannotWrite(Path target, String why) {
        return new DescentException("cannot write " + target + ": " + why);
    }
}
