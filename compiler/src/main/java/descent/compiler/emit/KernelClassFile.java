package descent.compiler.emit;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** The parts every generated kernel class shares: the writer, the class header and a no-argument constructor. */
final class KernelClassFile implements Opcodes {
    static final int CLASS_VERSION = V25;

    private KernelClassFile() {}

    /**
     * A frame-computing writer that never loads classes: in these kernels frames only merge a type with
     * itself, and answering without loading keeps the writer independent of the incubator module being
     * resolvable where the compiler runs.
     */
    static ClassWriter newWriter() {
        return new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override protected String getCommonSuperClass(String type1, String type2) {
                return type1.equals(type2) ? type1 : "java/lang/Object";
            }
        };
    }

    /** {@code public final class className implements kernelInterface}, as an internal name. */
    static void header(ClassWriter cw, String className, String kernelInterface) {
        cw.visit(CLASS_VERSION, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, className, null, "java/lang/Object",
                new String[] {kernelInterface});
    }

    static void constructor(ClassWriter cw) {
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
    }

    /**
     * When true (system property {@code descent.verifyKernels}; the test suites set it), every generated class
     * passes ASM's {@link org.objectweb.asm.util.CheckClassAdapter} with data-flow analysis before it is defined.
     */
    static final boolean VERIFY = Boolean.getBoolean("descent.verifyKernels");

    /** Defines a generated kernel class as a hidden class of this package (verified first when {@link #VERIFY}). */
    static java.lang.invoke.MethodHandles.Lookup define(byte[] classFile) throws IllegalAccessException {
        verify(classFile);
        return java.lang.invoke.MethodHandles.lookup().defineHiddenClass(classFile, true);
    }

    /** {@link #define} with class data, which the class reads with {@code MethodHandles.classData}. */
    static java.lang.invoke.MethodHandles.Lookup defineWithData(byte[] classFile, Object data) throws IllegalAccessException {
        verify(classFile);
        return java.lang.invoke.MethodHandles.lookup().defineHiddenClassWithClassData(classFile, data, true);
    }

    private static void verify(byte[] classFile) {
        if (VERIFY) {
            java.io.StringWriter problems = new java.io.StringWriter();
            org.objectweb.asm.util.CheckClassAdapter.verify(new org.objectweb.asm.ClassReader(classFile),
                    KernelClassFile.class.getClassLoader(), false, new java.io.PrintWriter(problems));
            if (!problems.toString().isEmpty()) {
                throw new IllegalStateException("a generated kernel class fails CheckClassAdapter:\n" + problems);
            }
        }
    }
}
