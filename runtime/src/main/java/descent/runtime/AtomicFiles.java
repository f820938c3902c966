package descent.runtime;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers only ever see the old content or the complete new content.
 *
 * <p>The content goes to a temporary file in the target's own directory (a rename is only atomic
 * within one file system), is forced to disk, and is then renamed over the target. If anything
 * fails, the temporary file is deleted and an existing target is left as it was: a crash or a
 * full disk in the middle of saving a checkpoint must not destroy the previous checkpoint.
 *
 * <p>A symbolic link is written through: the file it points to is replaced, the link stays. A
 * target that is neither a regular file nor a directory (a pipe, a terminal, {@code /dev/null}), and
 * the process's own descriptors ({@code /dev/stdout}, {@code /dev/stderr}, {@code /dev/fd/N},
 * {@code /proc/self/fd/N}, whatever they point to: a shell's {@code >> file} must be appended to, not
 * replaced), are written to directly, as a shell redirection would.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Produces a file's content. It must not close the stream it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Atomically replaces {@code target} with {@code bytes}. */
    public static void write(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    /**
     * Atomically replaces {@code target} with what {@code content} writes.
     *
     * @throws DescentException "cannot write TARGET: why" if the directory is missing or not writable,
     *         or writing fails; an exception thrown by {@code content} itself propagates unchanged.
     *         Either way no partial file is left behind.
     */
    public static void write(Path target, Content content) {
        Path absolute = destination(target);
        if (absolute == null) {
            writeDirectly(target, target.toAbsolutePath(), content);
            return;
        }
        Path dir = absolute.getParent();
        // As open-for-writing would: a file the user may not write is not replaced behind their back (the rename
        // needs only the directory's permission).
        if (Files.exists(absolute) && !Files.isWritable(absolute)) throw cannotWrite(target, "permission denied");

        Path temp = null;
        boolean renamed = false;
        try {
            temp = createTemp(dir, absolute.getFileName().toString());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(new UncloseableStream(Channels.newOutputStream(channel)), 1 << 16);
                content.writeTo(out);
                out.flush();
                // Without this the rename can reach the disk before the data does, and a crash
                // would leave a complete-looking but empty or short file.
                channel.force(true);
            }
            keepPermissions(absolute, temp);   // after writing: the copied mode may not let this user write it
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            syncDirectory(dir);
        } catch (IOException e) {
            throw cannotWrite(target, reason(e, dir));
        } finally {
            if (!renamed && temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // Best effort: the original failure is the one worth reporting.
                }
            }
        }
    }

    /** The replaced file's permissions on its replacement (a private checkpoint stays private), where the file system has them. */
    private static void keepPermissions(Path replaced, Path temp) {
        if (!Files.exists(replaced)) return;
        try {
            Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(replaced));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system, or one that refuses chmod: the temporary file's defaults
        }
    }

    /**
     * Throws what {@link #write} would for {@code target}'s place (a missing or read-only directory, a directory, a
     * dangling link) without writing anything: commands check their outputs before long work.
     */
    public static void checkWritable(Path target) {
        Path absolute = destination(target);
        if (absolute == null) {
            if (!Files.isWritable(target)) throw cannotWrite(target, "permission denied");
            return;
        }
        if (!Files.isWritable(absolute.getParent())) throw cannotWrite(target, "permission denied in " + absolute.getParent());
        if (Files.exists(absolute) && !Files.isWritable(absolute)) throw cannotWrite(target, "permission denied");
    }

    /**
     * Where {@code target}'s content goes: the file a rename replaces (a link resolved), or null to write {@code target}
     * directly (a stream or device). Throws for a place nothing can be written.
     */
    private static Path destination(Path target) {
        Path absolute = target.toAbsolutePath();
        if (isOwnDescriptor(absolute)) return null;
        if (Files.isSymbolicLink(absolute)) {
            if (!Files.exists(absolute)) throw cannotWrite(target, "it is a symbolic link to a missing file");
            if (!Files.isRegularFile(absolute) && !Files.isDirectory(absolute)) return null;
            try {
                absolute = absolute.toRealPath();
            } catch (IOException e) {
                throw cannotWrite(target, reason(e, absolute.getParent()));
            }
        } else if (Files.exists(absolute) && !Files.isRegularFile(absolute) && !Files.isDirectory(absolute)) {
            return null;
        }
        Path dir = absolute.getParent();
        if (dir == null) throw cannotWrite(target, "it is not a file path");
        if (!Files.exists(dir)) throw cannotWrite(target, "directory " + dir + " does not exist");
        if (!Files.isDirectory(dir)) throw cannotWrite(target, dir + " is not a directory");
        if (Files.isDirectory(absolute)) throw cannotWrite(target, "it is a directory");
        return absolute;
    }

    /** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N: the process's descriptors. */
    private static boolean isOwnDescriptor(Path absolute) {
        String s = absolute.normalize().toString().replace('\\', '/');
        return s.equals("/dev/stdout") || s.equals("/dev/stderr") || s.matches("/dev/fd/\\d+") || s.matches("/proc/[^/]+/fd/\\d+");
    }

    /** Streams to a pipe, terminal or device: no temporary file, no rename, nothing to force. */
    private static void writeDirectly(Path target, Path special, Content content) {
        // APPEND: a descriptor opened by a shell's >> must not be written from its start (a pipe or device ignores it).
        try (OutputStream raw = Files.newOutputStream(special, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            OutputStream out = new BufferedOutputStream(new UncloseableStream(raw), 1 << 16);
            content.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw cannotWrite(target, reason(e, special.getParent()));
        }
    }

    /**
     * Creates an empty, uniquely named sibling of the target. Not {@link Files#createTempFile}: that
     * creates the file with mode 0600, and after the rename a checkpoint would be unreadable by the
     * group and others that the user's umask would normally allow.
     */
    private static Path createTemp(Path dir, String targetName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
            Path temp = dir.resolve("." + targetName + "." + suffix + ".tmp");
            try {
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    /** Makes the rename itself durable. Not every platform can open a directory (Windows cannot); there it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The file is complete and renamed; only durability across a power cut is weaker.
        }
    }

    private static String reason(IOException e, Path dir) {
        return switch (e) {
            case AccessDeniedException a -> "permission denied in " + dir;
            case NoSuchFileException n -> "directory " + dir + " disappeared";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    private static DescentException cannotWrite(Path target, String why) {
        return new DescentException("cannot write " + target + ": " + why);
    }

    /** Keeps a careless {@link Content} from closing the channel before it is forced to disk. */
    private static final class UncloseableStream extends FilterOutputStream {
        UncloseableStream(OutputStream out) { super(out); }
        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
        @Override public void close() throws IOException { out.flush(); }
    }
}
