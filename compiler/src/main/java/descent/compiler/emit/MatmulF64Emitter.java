package descent.compiler.emit;

import java.util.concurrent.atomic.AtomicLong;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * f64 matrix products as hidden classes implementing {@link MatmulF64Kernel}: for each i, j the dot product
 * {@code s = 0; s += op(A)[i,p]·op(B)[p,j]} over p in order, a double multiply and a double add (no FMA),
 * which is the interpreter's loop, so the product is bitwise the interpreter's. Static dimensions are
 * constants; a dimension given as {@link #BATCH} is read from the call's {@code batch}. One scalar loop
 * nest, no tiling: f64 models are run for their precision, not their speed.
 */
public final class MatmulF64Emitter implements Opcodes {
    /** A dimension given at run time (the symbolic batch). */
    public static final int BATCH = -1;
    private static final AtomicLong SERIAL = new AtomicLong();
    private static final String DESC = "([DI[DI[DII)V";
    private static final int A = 1, A_OFF = 2, B = 3, B_OFF = 4, C = 5, C_OFF = 6, BATCH_ARG = 7, I = 8, J = 9, P = 10, S = 11;

    private MatmulF64Emitter() {}

    /** {@code m × k} times {@code k × n}, with A stored transposed ({@code k × m}) when {@code ta}, B ({@code n × k}) when {@code tb}. */
    public static MatmulF64Kernel emit(int m, int k, int n, boolean ta, boolean tb) {
        byte[] bytes = KernelClassFiles.generated(() -> classFile(m, k, n, ta, tb));
        return KernelClassFile.instantiate(bytes, MatmulF64Kernel.class, "f64 matmul");
    }

    static byte[] classFile(int m, int k, int n, boolean ta, boolean tb) {
        for (int d : new int[] {m, k, n}) if (d < BATCH) throw new IllegalArgumentException("dimension " + d);
        String name = MatmulF64Emitter.class.getPackageName().replace('.', '/') + "/GeneratedMatmulF64_" + dim(m) + "x" + dim(k) + "x" + dim(n)
                + (ta ? "_ta" : "") + (tb ? "_tb" : "") + "_" + SERIAL.incrementAndGet();
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, name, Type.getInternalName(MatmulF64Kernel.class));
        KernelClassFile.constructor(cw);
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", DESC, null, null);
        mv.visitCode();
        int ar = ta ? m : k, br = tb ? k : n;
        loop(mv, I, m, () -> loop(mv, J, n, () -> {
            mv.visitInsn(DCONST_0);
            mv.visitVarInsn(DSTORE, S);
            loop(mv, P, k, () -> {
                mv.visitVarInsn(DLOAD, S);
                // A[i, p]: a[aOff + p·ar + i] (transposed) or a[aOff + i·ar + p]
                element(mv, A, A_OFF, ta ? P : I, ar, ta ? I : P);
                // B[p, j]: b[bOff + j·br + p] (transposed) or b[bOff + p·br + j]
                element(mv, B, B_OFF, tb ? J : P, br, tb ? P : J);
                mv.visitInsn(DMUL);
                mv.visitInsn(DADD);
                mv.visitVarInsn(DSTORE, S);
            });
            // c[cOff + i·n + j] = s
            address(mv, C, C_OFF, I, n, J);
            mv.visitVarInsn(DLOAD, S);
            mv.visitInsn(DASTORE);
        }));
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static String dim(int d) { return d == BATCH ? "B" : String.valueOf(d); }

    /** Pushes {@code array[off + outer·stride + inner]} as a double. */
    private static void element(MethodVisitor mv, int array, int off, int outer, int stride, int inner) {
        address(mv, array, off, outer, stride, inner);
        mv.visitInsn(DALOAD);
    }

    /** Pushes {@code array} and the index {@code off + outer·stride + inner}. */
    private static void address(MethodVisitor mv, int array, int off, int outer, int stride, int inner) {
        mv.visitVarInsn(ALOAD, array);
        mv.visitVarInsn(ILOAD, off);
        mv.visitVarInsn(ILOAD, outer);
        pushDim(mv, stride);
        mv.visitInsn(IMUL);
        mv.visitInsn(IADD);
        mv.visitVarInsn(ILOAD, inner);
        mv.visitInsn(IADD);
    }

    private static void pushDim(MethodVisitor mv, int d) {
        if (d == BATCH) mv.visitVarInsn(ILOAD, BATCH_ARG);
        else mv.visitLdcInsn(d);
    }

    /** {@code for (v = 0; v < bound; v++) body}. */
    private static void loop(MethodVisitor mv, int v, int bound, Runnable body) {
        Label top = new Label(), test = new Label();
        mv.visitInsn(ICONST_0);
        mv.visitVarInsn(ISTORE, v);
        mv.visitJumpInsn(GOTO, test);
        mv.visitLabel(top);
        body.run();
        mv.visitIincInsn(v, 1);
        mv.visitLabel(test);
        mv.visitVarInsn(ILOAD, v);
        pushDim(mv, bound);
        mv.visitJumpInsn(IF_ICMPLT, top);
    }
}
