package descent.compiler.backend;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.Remapper;

/**
 * The code a model jar must carry: every class reachable, by any reference in its class file (a superclass, a
 * field or method owner, a descriptor, a class literal), from the jar's own classes. So the jar holds the part of
 * the compiler a loaded model runs (lowering, scheduling, the backend, the emitters) and not the front end (the
 * parser, ANTLR, the checker, autodiff), which the checked model it carries makes unnecessary. A reference that
 * is neither available nor the JDK's or Descent's runtime's is a bug in Descent, reported before the jar is
 * written.
 */
final class CodeClosure {
    private CodeClosure() {}

    /**
     * The classes of {@code available} (internal name → class file) that {@code roots} reach, with their bytes,
     * in the order reached; a root in {@code available} too is in the result.
     */
    static Map<String, byte[]> of(Map<String, byte[]> available, Collection<byte[]> roots) {
        Map<String, byte[]> reached = new LinkedHashMap<>();
        Set<String> rootNames = new java.util.HashSet<>();
        for (byte[] root : roots) {
            String name = new ClassReader(root).getClassName();
            rootNames.add(name);
            if (available.containsKey(name)) reached.put(name, available.get(name));
        }
        Deque<byte[]> work = new ArrayDeque<>(roots);
        Set<String> missing = new TreeSet<>();
        while (!work.isEmpty()) {
            for (String name : references(work.pop())) {
                if (reached.containsKey(name) || rootNames.contains(name)) continue;
                byte[] file = available.get(name);
                if (file != null) {
                    reached.put(name, file);
                    work.push(file);
                } else if (!provided(name)) {
                    missing.add(name);
                }
            }
        }
        if (!missing.isEmpty()) throw new IllegalStateException("a model jar would lack " + missing);
        return reached;
    }

    /** Classes the application's JVM provides: the JDK's, and Descent's runtime jar, which sits beside the model jar. */
    private static boolean provided(String name) {
        return name.startsWith("java/") || name.startsWith("javax/") || name.startsWith("jdk/") || name.startsWith("sun/")
                || name.startsWith("descent/runtime/");
    }

    /** The internal names of the classes {@code classFile} refers to. */
    static Set<String> references(byte[] classFile) {
        Set<String> names = new TreeSet<>();
        Remapper recorder = new Remapper(Opcodes.ASM9) {
            @Override public String map(String internalName) {
                names.add(internalName.startsWith("[") ? internalName.replaceFirst("^\\[+L?", "").replaceFirst(";$", "") : internalName);
                return internalName;
            }
        };
        // Into a writer: a visitor that returns no method or field visitors would leave their bodies unread.
        new ClassReader(classFile).accept(new ClassRemapper(new ClassWriter(0), recorder), 0);
        names.removeIf(n -> n.length() <= 1);   // a primitive array's element
        return names;
    }
}
