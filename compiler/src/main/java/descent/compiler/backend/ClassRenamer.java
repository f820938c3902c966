package descent.compiler.backend;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.SimpleRemapper;

/**
 * A generated class under another name. Hidden classes may share a name (every fused elementwise kernel is
 * {@code GeneratedElementwise}; the JVM makes each unique when defining it), but the class files a model jar
 * carries need names of their own. Only {@code descent compile} uses this, so a model jar's class loader never
 * needs ASM's commons library.
 */
final class ClassRenamer {
    private ClassRenamer() {}

    /** {@code classFile} with its own name, wherever it occurs (instructions, frames, descriptors), replaced by {@code to}. */
    static byte[] rename(byte[] classFile, String to) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(0);
        reader.accept(new ClassRemapper(writer, new SimpleRemapper(org.objectweb.asm.Opcodes.ASM9, reader.getClassName(), to)), 0);
        return writer.toByteArray();
    }
}
