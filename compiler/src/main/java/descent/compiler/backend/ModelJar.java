package descent.compiler.backend;

import descent.compiler.ir.Model;
import descent.runtime.AtomicFiles;
import descent.runtime.DescentException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * {@code descent compile -o model.jar}: a jar an application loads with a plain class loader next to the
 * runtime jar alone. It holds the model file, a class {@code PACKAGE.ModelName} (extending {@link JarModel},
 * so it is a {@code DescentModel}) and the compiler it needs (Descent's compiler and grammar, ANTLR's and
 * ASM's runtimes) — not the runtime, which the application provides.
 */
public final class ModelJar {
    private ModelJar() {}

    /** The class name a model gets: its name in UpperCamelCase, in {@code pkg} (may be empty). */
    public static String className(Model m, String pkg) {
        StringBuilder sb = new StringBuilder();
        for (String part : m.name().split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        String simple = sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0)) ? "Model" + sb : sb.toString();
        return pkg == null || pkg.isEmpty() ? simple : pkg + "." + simple;
    }

    public static void write(Path out, Model m, String modelText, String pkg) {
        String cls = className(m, pkg);
        String resource = "META-INF/descent/" + m.name() + ".descent";
        byte[] facade = facade(cls, resource);
        AtomicFiles.write(out, (OutputStream os) -> {
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().putValue("Descent-Model-Class", cls);
            try (JarOutputStream jar = new JarOutputStream(os, manifest)) {
                Set<String> seen = new HashSet<>(Set.of("META-INF/MANIFEST.MF"));
                put(jar, seen, resource, modelText.getBytes(StandardCharsets.UTF_8));
                put(jar, seen, cls.replace('.', '/') + ".class", facade);
                for (Class<?> anchor : List.of(ModelJar.class, descent.grammar.DescentParser.class,
                        org.antlr.v4.runtime.Parser.class, ClassWriter.class)) {
                    copyCodeSource(jar, seen, anchor);
                }
            }
        });
    }

    /** {@code public final class cls extends JarModel { public cls() { super(resource); } }}. */
    static byte[] facade(String cls, String resource) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        String superName = JarModel.class.getName().replace('.', '/');
        cw.visit(Opcodes.V25, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, cls.replace('.', '/'), null, superName, null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitLdcInsn(resource);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void put(JarOutputStream jar, Set<String> seen, String name, byte[] bytes) throws IOException {
        if (!seen.add(name)) return;
        jar.putNextEntry(new JarEntry(name));
        jar.write(bytes);
        jar.closeEntry();
    }

    /** Copies the classes of the jar or directory {@code anchor} was loaded from (no signatures, no module-info). */
    private static void copyCodeSource(JarOutputStream jar, Set<String> seen, Class<?> anchor) throws IOException {
        Path src;
        try {
            src = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new DescentException("cannot locate the classes of " + anchor.getName() + " to put in the model jar");
        }
        if (Files.isDirectory(src)) {
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String name = src.relativize(f).toString().replace('\\', '/');
                    if (keep(name)) put(jar, seen, name, Files.readAllBytes(f));
                }
            }
        } else {
            try (JarInputStream in = new JarInputStream(Files.newInputStream(src))) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    if (!e.isDirectory() && keep(e.getName())) put(jar, seen, e.getName(), readAll(in));
                }
            }
        }
    }

    private static boolean keep(String name) {
        return name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/")
                && !name.startsWith("descent/runtime/");
    }

    private static byte[] readAll(InputStream in) throws IOException { return in.readAllBytes(); }
}
