package descent.runtime;

import static descent.runtime.TestFiles.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void writesAndReplaces() throws IOException {
        Path file = dir.resolve("f.bin");
        AtomicFiles.write(file, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
        AtomicFiles.write(file, out -> out.write(new byte[] {4}));
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(file));
        assertEquals(List.of(file), list());
    }

    /** A replaced file keeps its permissions (a private checkpoint stays private); found by an audit, 2026-11-29. */
    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("private.st");
        AtomicFiles.write(file, new byte[] {1});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        AtomicFiles.write(file, new byte[] {2});
        assertArrayEquals(new byte[] {2}, Files.readAllBytes(file));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    }

    /** A file the user may not write is refused, not replaced (root may write anything: skipped there). */
    @Test
    void aReadOnlyFileIsNotReplaced() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("ro.st");
        AtomicFiles.write(file, new byte[] {1});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        assumeFalse(Files.isWritable(file), "running as root");
        DescentException e = assertThrows(DescentException.class, () -> AtomicFiles.write(file, new byte[] {2}));
        assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(file));
    }

    @Test
    void aWriteThatFailsMidwayLeavesNoFile() throws IOException {
        Path file = dir.resolve("f.bin");
        String message = failure(() -> AtomicFiles.write(file, out -> {
            out.write(new byte[100_000]);
            throw new IOException("No space left on device");
        }));
        assertEquals("cannot write " + file + ": No space left on device", message);
        assertEquals(List.of(), list());
    }

    @Test
    void aWriteThatFailsMidwayKeepsTheOldFile() throws IOException {
        Path file = dir.resolve("f.bin");
        AtomicFiles.write(file, new byte[] {9, 9});
        IllegalStateException bug = new IllegalStateException("bug");
        // An exception from the content itself propagates unchanged; the cleanup still happens.
        assertSame(bug, assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, out -> {
            out.write(new byte[] {1});
            throw bug;
        })));
        assertArrayEquals(new byte[] {9, 9}, Files.readAllBytes(file));
        assertEquals(List.of(file), list());
    }

    @Test
    void contentClosingTheStreamDoesNotBreakTheWrite() throws IOException {
        Path file = dir.resolve("f.bin");
        AtomicFiles.write(file, out -> {
            out.write(7);
            out.close();
        });
        assertArrayEquals(new byte[] {7}, Files.readAllBytes(file));
    }

    @Test
    void missingDirectoryParentIsAFileTargetIsADirectory() throws IOException {
        Path missing = dir.resolve("missing/f.bin");
        assertEquals("cannot write " + missing + ": directory " + dir.resolve("missing") + " does not exist",
                failure(() -> AtomicFiles.write(missing, new byte[1])));
        Path plain = Files.write(dir.resolve("plain"), new byte[1]);
        assertEquals("cannot write " + plain.resolve("f.bin") + ": " + plain + " is not a directory",
                failure(() -> AtomicFiles.write(plain.resolve("f.bin"), new byte[1])));
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertEquals("cannot write " + sub + ": it is a directory", failure(() -> AtomicFiles.write(sub, new byte[1])));
        assertEquals(List.of(plain, sub), list());
    }

    @Test
    void aReadOnlyDirectoryIsReported() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(locked), "running as root: permissions are not enforced");
            Path file = locked.resolve("f.bin");
            assertEquals("cannot write " + file + ": permission denied in " + locked, failure(() -> AtomicFiles.write(file, new byte[1])));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** A checkpoint gets the permissions of any new file (the umask), not the 0600 of a temporary file. */
    @Test
    void theFileGetsOrdinaryPermissions() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path ordinary = Files.write(dir.resolve("ordinary"), new byte[1]);
        Path file = dir.resolve("f.bin");
        AtomicFiles.write(file, new byte[1]);
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(ordinary);
        assertEquals(expected, Files.getPosixFilePermissions(file));
    }

    /** The link stays a link; the file it names gets the content, atomically as ever. */
    @Test
    void aSymbolicLinkIsWrittenThrough() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path file = Files.write(real.resolve("f.bin"), new byte[] {1});
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), file);
        AtomicFiles.write(link, new byte[] {2, 3});
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(new byte[] {2, 3}, Files.readAllBytes(file));
        try (var files = Files.list(real)) {
            assertEquals(List.of(file), files.toList());
        }
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        assertEquals("cannot write " + dangling + ": it is a symbolic link to a missing file",
                failure(() -> AtomicFiles.write(dangling, new byte[1])));
        assertTrue(Files.isSymbolicLink(dangling));
    }

    /** {@code --fetch loss=/dev/stdout} once turned /dev/stdout into a regular file: a device is written to, never replaced. */
    @Test
    void aDeviceIsWrittenToNotReplaced() throws IOException {
        Path devNull = Path.of("/dev/null");
        assumeTrue(Files.exists(devNull) && !Files.isRegularFile(devNull));
        Path link = Files.createSymbolicLink(dir.resolve("out"), devNull);
        AtomicFiles.write(link, new byte[100_000]);
        AtomicFiles.write(devNull, new byte[] {1});
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.isRegularFile(devNull));
        assertEquals(List.of(link), list());
    }

    /** A shell's {@code >> file} on stdout: the file is appended to through /dev/stdout, never replaced. */
    @Test
    void theProcessDescriptorsAreWrittenWhereverTheyPoint() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/fd")));
        Path out = Files.writeString(dir.resolve("app.out"), "HEADER\n");
        try (var channel = java.nio.channels.FileChannel.open(out, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.APPEND)) {
            // The descriptor of this open file, as /dev/stdout would be of a redirected one.
            Path fd = Path.of("/proc/self/fd").resolve(String.valueOf(descriptor(out)));
            AtomicFiles.checkWritable(fd);
            AtomicFiles.write(fd, "one\n".getBytes());
            AtomicFiles.write(fd, "two\n".getBytes());
        }
        assertEquals("HEADER\none\ntwo\n", Files.readString(out));
        assertEquals(List.of(out), list());
    }

    /** The file descriptor number this process has open on {@code file} (its newest). */
    private static int descriptor(Path file) throws IOException {
        int found = -1;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) found = Math.max(found, Integer.parseInt(fd.getFileName().toString()));
                } catch (IOException ignored) {
                    // a descriptor closed while listing
                }
            }
        }
        assumeTrue(found >= 0, "no descriptor found for " + file);
        return found;
    }

    /** checkWritable says what write would: a dangling link and a missing directory are found before any work. */
    @Test
    void checkingFindsWhatWritingWouldRefuse() throws IOException {
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        assertEquals("cannot write " + dangling + ": it is a symbolic link to a missing file",
                failure(() -> AtomicFiles.checkWritable(dangling)));
        Path missing = dir.resolve("missing/f.bin");
        assertEquals("cannot write " + missing + ": directory " + dir.resolve("missing") + " does not exist",
                failure(() -> AtomicFiles.checkWritable(missing)));
        AtomicFiles.checkWritable(Path.of("/dev/null"));
        AtomicFiles.checkWritable(dir.resolve("new.bin"));
    }

    private List<Path> list() throws IOException {
        try (var files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
