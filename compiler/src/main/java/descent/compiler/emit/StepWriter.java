package descent.compiler.emit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the class that runs one train step: its actions in the plan's order as straight-line code, so the
 * bytecode's instruction order is the gate mode's order.
 * <pre>
 * public final class GeneratedStep implements Step {
 *     static final StepCall C0_matmul_9, C3_fused_22, ...;   // the kernel calls (named after their kernels), from the class data
 *     public void run(StepHooks h, Object ctx, Object[] buf, long step, int b) { part0(...); part1(...); }
 *     private static void part0(StepHooks h, Object ctx, Object[] buf, long step, int b) {
 *         C0_matmul_9.run(buf, step, b);             // a kernel call
 *         h.lock(ctx);                               // before the first action that touches use_locking state
 *         h.write(ctx, 2);                           // a state write through a buffer
 *         C3_fused_22.run(buf, step, b);
 *         h.unlock(ctx);                             // after the last write of it
 *     }
 * }
 * </pre>
 * Each call site reads a static final field, a constant to C2, so it is monomorphic and the call's body can
 * be inlined into the step. Actions are split into methods of {@link #PER_METHOD} (a few kilobytes each),
 * far below the JVM's 64 KiB method limit and below HotSpot's 8,000-byte limit for compiling a method at all.
 * Writes straight into state (the kernel already stored the value) are no action here.
 */
public final class StepWriter implements Opcodes {
    /** What action {@code i} of a step is. */
    public sealed interface Action {
        /** A kernel call; {@code label} (letters, digits, _) names its field, for readers of the bytecode. */
        record Call(StepCall call, String label) implements Action {}
        record Write() implements Action {}
        record None() implements Action {}
    }

    static final int PER_METHOD = 400;
    private static final String NAME = "descent/compiler/emit/GeneratedStep";
    private static final String CALL = Type.getInternalName(StepCall.class), HOOKS = Type.getInternalName(StepHooks.class);
    private static final String RUN_DESC = "(L" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final int H = 0, CTX = 1, BUF = 2, STEP = 3, B = 5;

    private StepWriter() {}

    /** Defines the step class for {@code actions}; actions {@code [lockFrom, lockTo]} hold the locks (-1: none). */
    public static Step define(List<Action> actions, int lockFrom, int lockTo) {
        Object[] calls = new Object[actions.size()];
        for (int i = 0; i < calls.length; i++) if (actions.get(i) instanceof Action.Call c) calls[i] = c.call();
        byte[] bytes = classFile(actions, lockFrom, lockTo);
        try {
            MethodHandles.Lookup lookup = KernelClassFile.defineWithData(bytes, calls);
            return (Step) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load a generated step", e);
        }
    }

    /** The class bytes; the calls themselves come as class data when it is defined. */
    public static byte[] classFile(List<Action> actions, int lockFrom, int lockTo) {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, NAME, Type.getInternalName(Step.class));
        KernelClassFile.constructor(cw);
        for (int i = 0; i < actions.size(); i++) {
            if (actions.get(i) instanceof Action.Call c) cw.visitField(ACC_STATIC | ACC_FINAL, field(i, c), "L" + CALL + ";", null, null).visitEnd();
        }
        clinit(cw, actions);
        int parts = Math.max(1, (actions.size() + PER_METHOD - 1) / PER_METHOD);
        MethodVisitor run = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", RUN_DESC, null, null);
        run.visitCode();
        for (int p = 0; p < parts; p++) {
            loadArguments(run, 1);
            run.visitMethodInsn(INVOKESTATIC, NAME, "part" + p, RUN_DESC, false);
        }
        run.visitInsn(RETURN);
        run.visitMaxs(0, 0);
        run.visitEnd();
        for (int p = 0; p < parts; p++) {
            MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, "part" + p, RUN_DESC, null, null);
            mv.visitCode();
            for (int i = p * PER_METHOD; i < Math.min(actions.size(), (p + 1) * PER_METHOD); i++) {
                if (i == lockFrom) hook(mv, "lock", "(Ljava/lang/Object;)V", -1);
                switch (actions.get(i)) {
                    case Action.Call c -> {
                        mv.visitFieldInsn(GETSTATIC, NAME, field(i, c), "L" + CALL + ";");
                        mv.visitVarInsn(ALOAD, BUF);
                        mv.visitVarInsn(LLOAD, STEP);
                        mv.visitVarInsn(ILOAD, B);
                        mv.visitMethodInsn(INVOKEINTERFACE, CALL, "run", "([Ljava/lang/Object;JI)V", true);
                    }
                    case Action.Write w -> hook(mv, "write", "(Ljava/lang/Object;I)V", i);
                    case Action.None n -> { }
                }
                if (i == lockTo) hook(mv, "unlock", "(Ljava/lang/Object;)V", -1);
            }
            mv.visitInsn(RETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** {@code C<i> = (StepCall) classData[i]} for every call. */
    private static void clinit(ClassWriter cw, List<Action> actions) {
        MethodVisitor mv = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
        mv.visitCode();
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/invoke/MethodHandles", "lookup", "()Ljava/lang/invoke/MethodHandles$Lookup;", false);
        mv.visitLdcInsn("_");
        mv.visitLdcInsn(Type.getType(Object[].class));
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/invoke/MethodHandles", "classData",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;", false);
        mv.visitTypeInsn(CHECKCAST, "[Ljava/lang/Object;");
        mv.visitVarInsn(ASTORE, 0);
        for (int i = 0; i < actions.size(); i++) {
            if (!(actions.get(i) instanceof Action.Call c)) continue;
            mv.visitVarInsn(ALOAD, 0);
            mv.visitLdcInsn(i);
            mv.visitInsn(AALOAD);
            mv.visitTypeInsn(CHECKCAST, CALL);
            mv.visitFieldInsn(PUTSTATIC, NAME, field(i, c), "L" + CALL + ";");
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private static String field(int i, Action.Call c) { return "C" + i + "_" + c.label().replaceAll("[^A-Za-z0-9_]", "_"); }

    private static void hook(MethodVisitor mv, String name, String desc, int action) {
        mv.visitVarInsn(ALOAD, H);
        mv.visitVarInsn(ALOAD, CTX);
        if (action >= 0) mv.visitLdcInsn(action);
        mv.visitMethodInsn(INVOKEINTERFACE, HOOKS, name, desc, true);
    }

    /** Loads run's five arguments, the first at local {@code first}. */
    private static void loadArguments(MethodVisitor mv, int first) {
        mv.visitVarInsn(ALOAD, first);
        mv.visitVarInsn(ALOAD, first + 1);
        mv.visitVarInsn(ALOAD, first + 2);
        mv.visitVarInsn(LLOAD, first + 3);
        mv.visitVarInsn(ILOAD, first + 5);
    }
}
