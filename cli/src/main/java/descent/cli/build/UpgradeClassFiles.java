package descent.cli.build;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * A build step of the command line's jar directory ({@code cli/target/lib}, run by Maven after the dependencies are
 * copied there): rewrites the jars whose classes are older than Java 6's class-file version 50 — picocli's and
 * ASM's, compiled for Java 5 — as version 52 with stack map frames computed by ASM. The JDK's class-data sharing
 * archives no class older than 50 (the old verifier checks them at every start), nor any class that implements or
 * extends one (Descent's emitters implement ASM's {@code Opcodes}), so {@code bin/descent}'s archive left ~200
 * classes to be loaded and verified on every command: with them upgraded, {@code descent compile -o} of
 * examples/mlp.descent took 661–721 ms against 774–816 (eight alternating runs, 2026-11-29). The classes keep their
 * instructions, members and attributes (ASM writes a new constant pool, and would replace unreachable code, which
 * javac does not emit). A jar already upgraded is left as it is (its time too, so that an archive made from it stays
 * valid); a jar ASM cannot upgrade is left as it was, with a warning.
 *
 * <p>Usage: {@code UpgradeClassFiles DIR} — every jar in DIR; the others in DIR resolve the class hierarchy the frames
 * need.
 */
public final class UpgradeClassFiles {
    private UpgradeClassFiles() {}

    /** The class-file version written: Java 8's, the oldest every class-data sharing JVM archives. */
    private static final int VERSION = Opcodes.V1_8;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: UpgradeClassFiles DIR");
        List<Path> jars;
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = jars.get(i).toUri().toURL();
        // The frames' common supertypes are looked up among these jars' classes (loaded, never initialised).
        try (URLClassLoader hierarchy = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            for (Path jar : jars) {
                if (!hasOldClasses(jar)) continue;
                try {
                    upgrade(jar, hierarchy);
                } catch (RuntimeException | LinkageError e) {
                    // A class ASM cannot give frames (JSR/RET, a supertype missing from DIR): this jar stays as it
                    // was, unarchived but working.
                    System.err.println("UpgradeClassFiles: " + jar.getFileName() + " left as it is: " + e);
                }
            }
        }
    }

    static boolean hasOldClasses(Path jar) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!isUpgradable(entry)) continue;
                try (InputStream s = in.getInputStream(entry)) {
                    // The major version, read directly: ASM refuses class files newer than it knows.
                    byte[] head = s.readNBytes(8);
                    if (head.length == 8 && ((head[6] & 0xFF) << 8 | head[7] & 0xFF) < Opcodes.V1_6) return true;
                }
            }
        }
        return false;
    }

    private static boolean isUpgradable(JarEntry entry) {
        String name = entry.getName();
        // A multi-release jar's versioned classes and module descriptors are newer already.
        return name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class");
    }

    /** Rewrites {@code jar} in place (through a temporary file and a rename, so no half-written jar is ever seen). */
    private static void upgrade(Path jar, ClassLoader hierarchy) throws IOException {
        Path temp = Files.createTempFile(jar.getParent(), jar.getFileName().toString(), ".tmp");
        try {
            try (JarFile in = new JarFile(jar.toFile()); OutputStream os = Files.newOutputStream(temp);
                 JarOutputStream out = new JarOutputStream(os)) {
                for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                    JarEntry entry = e.nextElement();
                    byte[] bytes;
                    try (InputStream s = in.getInputStream(entry)) {
                        bytes = s.readAllBytes();
                    }
                    if (isUpgradable(entry)) bytes = upgrade(bytes, hierarchy);
                    JarEntry copy = new JarEntry(entry.getName());
                    copy.setTime(entry.getTime());
                    out.putNextEntry(copy);
                    out.write(bytes);
                    out.closeEntry();
                }
            }
            try {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(jar)); // a temporary file is owner-only
            } catch (UnsupportedOperationException notPosix) {
                // the file system's defaults then
            }
            Files.move(temp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static byte[] upgrade(byte[] classFile, ClassLoader hierarchy) {
        ClassReader reader = new ClassReader(classFile);
        if (reader.readUnsignedShort(6) >= VERSION) return classFile;
        // Not new ClassWriter(reader, ...): with its reader, ASM copies unchanged methods' code as it is, without frames.
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override protected ClassLoader getClassLoader() { return hierarchy; }
        };
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(VERSION, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
