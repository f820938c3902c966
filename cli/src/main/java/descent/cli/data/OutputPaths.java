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
    public static void checkWritable(Path target) {
        // Path.of("") is the working directory, which would be reported as "cannot write : it is a directory".
        if (target.toString().isEmpty()) throw new descent.runtime.DescentException("an output path is empty: name a file");
        AtomicFiles.checkWritable(target);
    }

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
     * Whether writing {@code target} writes this process's standard output ({@code /dev/stdout}, or a file stdout is
     * redirected to): the command's own lines then go to stderr, where they cannot land inside the file.
     */
    public static boolean isStdout(Path target) {
        if (target == null) return false;
        try {
            Path stdout = Path.of("/dev/stdout");
            return java.nio.file.Files.exists(stdout) && java.nio.file.Files.exists(target) && java.nio.file.Files.isSameFile(target, stdout);
        } catch (java.io.IOException | SecurityException e) {
            return false;
        }
    }

    /** Throws a usage error (exit 2) when two of {@code outputs} (the option as given → its path) name one file. */
    public static void checkDistinct(picocli.CommandLine cl, java.util.Map<String, Path> outputs) {
        java.util.List<java.util.Map.Entry<String, Path>> seen = new java.util.ArrayList<>();
        for (var e : outputs.entrySet()) {
            for (var s : seen) {
                if (sameOutput(s.getValue(), e.getValue())) {
                    throw new picocli.CommandLine.ParameterException(cl, s.getKey() + " and " + e.getKey() + " name the same file; choose another path");
                }
            }
            seen.add(e);
        }
    }

    /** Two outputs that would replace one file (devices such as /dev/null or /dev/stdout may be shared). */
    private static boolean sameOutput(Path a, Path b) {
        boolean fileOrNew = !java.nio.file.Files.exists(a) || java.nio.file.Files.isRegularFile(a);
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) return fileOrNew;
        try {
            return java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b) && java.nio.file.Files.isSameFile(a, b) && fileOrNew;
        } catch (java.io.IOException e) {
            return false;
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
