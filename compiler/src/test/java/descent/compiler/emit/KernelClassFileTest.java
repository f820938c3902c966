package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** The test JVMs verify every generated class before defining it (-Ddescent.verifyKernels=true in the pom). */
class KernelClassFileTest implements Opcodes {
    @Test
    void theTestsRunWithVerificationOn() {
        assertTrue(KernelClassFile.VERIFY, "surefire's argLine sets -Ddescent.verifyKernels=true");
    }

    @Test
    void aClassThatFailsCheckClassAdapterIsNotDefined() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(KernelClassFile.CLASS_VERSION, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, "descent/compiler/emit/GeneratedBroken",
                null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "f", "()I", null, null);
        mv.visitCode();
        mv.visitInsn(FCONST_0); // a float where an int is returned
        mv.visitInsn(IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelClassFile.define(cw.toByteArray()));
        assertTrue(e.getMessage().contains("fails CheckClassAdapter"), e.getMessage());
    }
}
