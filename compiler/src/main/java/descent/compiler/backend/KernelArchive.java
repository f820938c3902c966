package descent.compiler.backend;

import descent.compiler.emit.KernelClassFiles;
import descent.compiler.emit.MatmulEmitter;
import descent.runtime.DescentException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernels a model jar carries, as the loaded jar reads them: the class files of every kernel its train steps
 * and outputs use, under their own class names, and an index from each kernel's cache key ({@link Kernels}) to its
 * class files. A loaded jar defines these instead of emitting them ({@link KernelClassFiles#replaying}).
 * {@link KernelRecording} writes them.
 *
 * <p>The class files are specialised to the vector length of the JVM that wrote them; a jar read where the
 * preferred vector length differs ignores its kernels.
 */
final class KernelArchive {
    private KernelArchive() {}

    static final String INDEX = "META-INF/descent/kernels.index";
    static final String MAGIC = "descent-kernels 1";

    /**
     * Makes the kernels in {@code loader}'s index what {@link Kernels} defines on a miss. Returns how many it
     * offers: 0 without an index or when it was written for another vector length.
     */
    static int install(ClassLoader loader) {
        String text;
        try (InputStream in = loader.getResourceAsStream(INDEX)) {
            if (in == null) return 0;
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DescentException("cannot read " + INDEX + " from the model jar: " + e.getMessage());
        }
        String[] lines = text.split("\n");
        if (lines.length < 2 || !lines[0].equals(MAGIC)) throw new DescentException("the model jar's " + INDEX + " is not one Descent wrote");
        if (!lines[1].equals("vector-length " + MatmulEmitter.preferredVectorLength())) return 0;
        int offered = 0;
        for (int i = 2; i < lines.length; i++) {
            String[] fields = lines[i].split("\t");
            List<String> paths = List.of(fields).subList(1, fields.length);
            Kernels.archive(unescape(fields[0]), () -> read(loader, paths));
            offered++;
        }
        return offered;
    }

    private static List<byte[]> read(ClassLoader loader, List<String> paths) {
        List<byte[]> files = new ArrayList<>();
        for (String p : paths) {
            try (InputStream in = loader.getResourceAsStream(p)) {
                if (in == null) throw new DescentException("the model jar lists kernel " + p + " but does not hold it");
                files.add(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    /** Keys are one line each in the index: a backslash, tab or newline in one is escaped. */
    static String escape(String key) {
        return key.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
