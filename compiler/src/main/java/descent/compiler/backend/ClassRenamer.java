package descent.compiler.backend;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
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

    /**
     * {@code classFile} with its own name, wherever it occurs (instructions, frames, descriptors), replaced by
     * {@code to}, and its SourceFile attribute set to {@code source}.
     */
    static byte[] rename(byte[] classFile, String to, String source) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(0);
        ClassVisitor withSource = new ClassVisitor(Opcodes.ASM9, writer) {
            @Override public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(version, access, name, signature, superName, interfaces);
                super.visitSource(source, null);
            }

            @Override public void visitSource(String s, String debug) { }
        };
        reader.accept(new ClassRemapper(withSource, new SimpleRemapper(Opcodes.ASM9, reader.getClassName(), to)), 0);
        return writer.toByteArray();
    }
}
