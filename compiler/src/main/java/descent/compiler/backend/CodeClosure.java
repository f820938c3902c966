package descent.compiler.backend;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

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

    /** Fails when {@code files} (kernels a jar carries) refer to a class neither {@code carried} nor {@link #provided}. */
    static void requireCovered(Map<String, byte[]> carried, Collection<byte[]> files) {
        for (byte[] file : files) {
            String self = new ClassReader(file).getClassName();
            for (String ref : references(file)) {
                if (!ref.equals(self) && !carried.containsKey(ref) && !provided(ref)) {
                    throw new IllegalStateException("a kernel refers to " + ref + ", which the model jar would lack");
                }
            }
        }
    }

    /** Classes the application's JVM provides: the JDK's, and Descent's runtime jar, which sits beside the model jar. */
    static boolean provided(String name) {
        return name.startsWith("java/") || name.startsWith("javax/") || name.startsWith("jdk/") || name.startsWith("sun/")
                || name.startsWith("descent/runtime/");
    }

    /**
     * The internal names of the classes {@code classFile} refers to: its constant pool's classes (owners, class
     * literals, casts, the superclass and interfaces) and the types in its descriptors (of what it calls and of
     * its own fields and methods). Read from the constant pool and member headers alone, since rewriting every
     * class with ASM's {@code ClassRemapper} took ~350 ms for a jar's 365 classes in a cold JVM.
     */
    static Set<String> references(byte[] classFile) {
        Set<String> names = new TreeSet<>();
        ClassReader r = new ClassReader(classFile);
        char[] chars = new char[r.getMaxStringLength()];
        for (int i = 1; i < r.getItemCount(); i++) {
            int at = r.getItem(i);
            if (at == 0) continue;   // the second slot of a long or double
            switch (r.readByte(at - 1)) {
                case 7 -> addClass(names, r.readUTF8(at, chars));            // CONSTANT_Class
                case 12 -> addDescriptor(names, r.readUTF8(at + 2, chars));  // CONSTANT_NameAndType's descriptor
                case 16 -> addDescriptor(names, r.readUTF8(at, chars));      // CONSTANT_MethodType
                default -> { }
            }
        }
        r.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
                addDescriptor(names, descriptor);
                return null;
            }

            @Override public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                addDescriptor(names, descriptor);
                if (exceptions != null) for (String e : exceptions) addClass(names, e);
                return null;
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return names;
    }

    /** A CONSTANT_Class's name: an internal name, or an array descriptor. */
    private static void addClass(Set<String> names, String name) {
        if (name.startsWith("[")) addDescriptor(names, name); else names.add(name);
    }

    /** The object types in a field or method descriptor. */
    private static void addDescriptor(Set<String> names, String descriptor) {
        for (int i = descriptor.indexOf('L'); i >= 0; i = descriptor.indexOf('L', i)) {
            int end = descriptor.indexOf(';', i);
            names.add(descriptor.substring(i + 1, end));
            i = end + 1;
        }
    }
}
