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

    /**
     * Throws a usage error (exit 2) when writing {@code target} ({@code shown}: the option as given, "--save c.st")
     * would replace a file the command reads: {@code reads} maps what each is ("the training data", "the --feed x
     * file") to its path (a file or a directory of files).
     */
    public static void checkNotRead(picocli.CommandLine cl, String shown, Path target, java.util.Map<String, Path> reads) {
        for (var e : reads.entrySet()) {
            Path hit = replacedInput(target, e.getValue());
            if (hit != null) {
                throw new picocli.CommandLine.ParameterException(cl, shown + " would replace " + e.getKey() + " " + hit + "; choose another path");
            }
        }
    }

    /**
     * The file among {@code data} (a file, or a directory of files) that writing {@code target} would replace, or
     * null: a run must not overwrite the data it reads (`--data ok.csv --save ok.csv` once replaced the CSV).
     */
    public static Path replacedInput(Path target, Path data) {
        if (data == null || !java.nio.file.Files.exists(target)) return null;
        try {
            if (java.nio.file.Files.isDirectory(data)) {
                try (var files = java.nio.file.Files.list(data)) {
                    for (Path f : files.toList()) if (java.nio.file.Files.isSameFile(target, f)) return f;
                }
                return null;
            }
            return java.nio.file.Files.exists(data) && java.nio.file.Files.isSameFile(target, data) ? data : null;
        } catch (java.io.IOException e) {
            return null;   // unreadable data is reported when it is read
        }
    }
}
