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

    /** HotSpot compiles no method of more bytecode than this (its default {@code -XX:+DontCompileHugeMethods}). */
    static final int HUGE_METHOD = 8000;

    /** The bytecode length of the longest method in {@code classFile} (read from its Code attributes). */
    static int largestMethod(byte[] classFile) {
        org.objectweb.asm.ClassReader r = new org.objectweb.asm.ClassReader(classFile);
        char[] chars = new char[r.getMaxStringLength()];
        int p = r.header + 6;                       // access, this, super
        p += 2 + 2 * r.readUnsignedShort(p);        // interfaces
        int largest = 0;
        for (int members = 0; members < 2; members++) {   // fields, then methods
            int n = r.readUnsignedShort(p);
            p += 2;
            for (int m = 0; m < n; m++) {
                int attributes = r.readUnsignedShort(p + 6);
                p += 8;
                for (int a = 0; a < attributes; a++) {
                    // attribute_name_index u2, attribute_length u4; Code: max_stack u2, max_locals u2, code_length u4
                    if (members == 1 && "Code".equals(r.readUTF8(p, chars))) largest = Math.max(largest, r.readInt(p + 10));
                    p += 6 + r.readInt(p + 2);
                }
            }
        }
        return largest;
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

    /**
     * Defines {@code classFile} as a hidden class ({@link #define}) and returns a new instance, made with its
     * no-argument constructor, as a {@code kind}; {@code what} names the kernel in the error a failure gives.
     */
    static <T> T instantiate(byte[] classFile, Class<T> kind, String what) {
        try {
            java.lang.invoke.MethodHandles.Lookup lookup = define(classFile);
            return kind.cast(lookup.findConstructor(lookup.lookupClass(), java.lang.invoke.MethodType.methodType(void.class)).invoke());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load a generated " + what, e);
        }
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
