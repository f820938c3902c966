package descent.compiler.backend;

import descent.compiler.emit.KernelClassFiles;
import descent.compiler.emit.MatmulEmitter;
import descent.runtime.DescentException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Opcodes;

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
    static final String MAGIC = "descent-kernels 2";
    /** Where the build id of this copy of the compiler is ({@link #BUILD}); a model jar carries it too. */
    static final String BUILD_RESOURCE = "descent/compiler/backend/build.properties";
    /**
     * Which build of Descent's compiler this is (set when Maven builds it). Kernels are used only by the build that
     * wrote them: the compiler a loaded jar runs is normally the jar's own copy, but it is the application's when
     * the application has Descent's compiler on its class path too (a class loader asks its parent first).
     */
    static final String BUILD = build();

    private static String build() {
        try (InputStream in = KernelArchive.class.getClassLoader().getResourceAsStream(BUILD_RESOURCE)) {
            if (in == null) return "unknown";
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("build", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Makes the kernels in {@code loader}'s index what {@link Kernels} defines on a miss. Returns how many it
     * offers: 0 without an index, or (after one line on stderr) for an index written by another build of Descent,
     * for another vector length, or unreadable. The kernels are a cache: without them the model still runs.
     */
    static int install(ClassLoader loader) {
        String text;
        try (InputStream in = loader.getResourceAsStream(INDEX)) {
            if (in == null) return 0;
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            warn("cannot read the model jar's " + INDEX + " (" + e.getMessage() + "); generating its kernels");
            return 0;
        }
        String[] lines = text.split("\n");
        if (lines.length < 3 || !lines[0].equals(MAGIC) || !lines[1].startsWith("build ")) {
            warn("the model jar's " + INDEX + " is not one this build of Descent reads; generating its kernels");
            return 0;
        }
        if (!lines[1].equals("build " + BUILD)) {
            warn("the model jar's kernels were made by another build of Descent than the one running it (is Descent's compiler"
                    + " on the class path too?); generating them");
            return 0;
        }
        if (!lines[2].equals("vector-length " + MatmulEmitter.preferredVectorLength())) {
            String made = lines[2].substring(lines[2].indexOf(' ') + 1);
            int here = MatmulEmitter.preferredVectorLength();
            // A JVM without the Vector API (length 0) has had CompiledModel's warning already.
            if (here > 0) {
                warn("the model jar's kernels " + (made.equals("0") ? "were made without jdk.incubator.vector"
                        : "are for " + made + "-float vectors and this JVM's are " + here)
                        + "; generating them (compile the jar with bin/descent on a machine like this one to carry them)");
            }
            return 0;
        }
        int offered = 0;
        for (int i = 3; i < lines.length; i++) {
            String[] fields = lines[i].split("\t");
            String key = unescape(fields[0]);
            List<String> paths = List.of(fields).subList(1, fields.length);
            Kernels.archive(key, () -> read(loader, key, paths));
            offered++;
        }
        return offered;
    }

    /**
     * The class files of {@code key}'s kernel. Each names its key in its SourceFile attribute ({@link #source}),
     * checked here: a file that is not the key's (a damaged or edited jar) is refused, not run.
     */
    private static List<byte[]> read(ClassLoader loader, String key, List<String> paths) {
        List<byte[]> files = new ArrayList<>();
        for (String p : paths) {
            byte[] file;
            try (InputStream in = loader.getResourceAsStream(p)) {
                if (in == null) throw new DescentException("the model jar lists kernel " + p + " but does not hold it");
                file = in.readAllBytes();
            } catch (IOException e) {
                throw new DescentException("cannot read kernel " + p + " from the model jar: " + e.getMessage());
            }
            String source;
            try {
                source = sourceOf(file);
            } catch (RuntimeException e) {
                throw new DescentException("kernel " + p + " in the model jar is not a class file");
            }
            if (!source(key).equals(source)) throw new DescentException("kernel " + p + " in the model jar is not the one its index lists");
            files.add(file);
        }
        return files;
    }

    /** The SourceFile attribute of {@code classFile} (null: none); throws when the bytes are not a class file. */
    static String sourceOf(byte[] classFile) {
        String[] source = new String[1];
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override public void visitSource(String s, String debug) { source[0] = s; }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_FRAMES);
        return source[0];
    }

    /**
     * The SourceFile attribute a jar's kernel carries: a digest of its key (and what a step class is looked up by, a
     * digest of its description: a lookup, 128 bits against accidental collisions). It guards against a damaged or
     * hand-edited jar, not an adversary, so it is two
     * 64-bit FNV-1a hashes of the key's UTF-8 bytes (differently seeded, the second rotated, the length mixed in), not
     * SHA-256: the first MessageDigest of a JVM loads the security providers (27 ms of a model jar's first step,
     * measured 2026-11-29), and an interpreted SHA-256 of a long step description costs more again.
     */
    static String source(String key) { return "kernel " + digest(key.getBytes(StandardCharsets.UTF_8)); }

    /** 128 bits of {@code bytes} as hex ({@link #source}'s hash). */
    static String digest(byte[] bytes) {
        long a = 0xcbf29ce484222325L, b = 0x9e3779b97f4a7c15L;
        for (byte x : bytes) {
            a = (a ^ (x & 0xff)) * 0x100000001b3L;
            b = Long.rotateLeft((b ^ (x & 0xff)) * 0x100000001b3L, 29);
        }
        java.util.HexFormat hex = java.util.HexFormat.of();
        return hex.toHexDigits(a) + hex.toHexDigits(b ^ bytes.length);
    }

    private static final java.util.Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** One line on stderr, once per message: a model jar's kernels unusable is worth knowing, not failing for. */
    static void warn(String message) {
        if (WARNED.add(message)) System.err.println("descent: warning: " + message);
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
