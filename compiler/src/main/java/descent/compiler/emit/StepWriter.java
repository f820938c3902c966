package descent.compiler.emit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the class that runs one train step: its actions in the plan's order as straight-line code, so the
 * bytecode's instruction order is the gate mode's order.
 * <pre>
 * public final class GeneratedStep implements Step {
 *     public void run(StepHooks h, Object ctx, Object[] buf, long step, int b) { part0(...); part1(...); }
 *     private static void part0(StepHooks h, Object ctx, Object[] buf, long step, int b) {
 *         ((StepCall) ldc C0_matmul_9).run(buf, step, b);   // a kernel call: a dynamic constant
 *         h.lock(ctx);                                      // before the first action that touches use_locking state
 *         h.write(ctx, 2);                                  // a state write through a buffer
 *         ((StepCall) ldc C3_fused_22).run(buf, step, b);
 *         h.unlock(ctx);                                    // after the last write of it
 *     }
 * }
 * </pre>
 * Each kernel call is loaded with {@code ldc} of a dynamic constant (bootstrap {@link #call}: element i of the
 * class data, named after its kernel), a true constant to C2, so every call site is monomorphic and the call's
 * body can be inlined into the step. Actions are split into methods of {@link #PER_METHOD} (a few kilobytes
 * each: far below the JVM's 64 KiB method limit and below HotSpot's 8,000-byte limit for compiling a method
 * at all), and a step of more than {@link #PER_CLASS} actions into several classes run one after another.
 * Writes straight into state (the kernel already stored the value) are no action here.
 */
public final class StepWriter implements Opcodes {
    /** What action {@code i} of a step is. */
    public sealed interface Action {
        /** A kernel call; {@code label} (letters, digits, _) names its constant, for readers of the bytecode. */
        record Call(StepCall call, String label) implements Action {}
        record Write() implements Action {}
        record None() implements Action {}
    }

    static final int PER_METHOD = 400, PER_CLASS = 8000;
    private static final String NAME = "descent/compiler/emit/GeneratedStep";
    private static final String CALL = Type.getInternalName(StepCall.class), HOOKS = Type.getInternalName(StepHooks.class);
    private static final String RUN_DESC = "(L" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final Handle BOOTSTRAP = new Handle(H_INVOKESTATIC, Type.getInternalName(StepWriter.class), "call",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)L" + CALL + ";", false);
    private static final int H = 0, CTX = 1, BUF = 2, STEP = 3, B = 5;

    private StepWriter() {}

    /**
     * The bootstrap of a step class's call constants: element {@code index} of its class data. {@code name} is
     * the kernel's label, for readers of the bytecode only.
     */
    public static StepCall call(MethodHandles.Lookup lookup, String name, Class<?> type, int index) throws IllegalAccessException {
        return MethodHandles.classDataAt(lookup, "_", StepCall.class, index);
    }

    /** Defines the step classes for {@code actions}; actions {@code [lockFrom, lockTo]} hold the locks (-1: none). */
    public static Step define(List<Action> actions, int lockFrom, int lockTo) {
        if (actions.size() <= PER_CLASS) return defineOne(actions, lockFrom, lockTo);
        List<Step> parts = new ArrayList<>();
        for (int from = 0; from < actions.size(); from += PER_CLASS) {
            int to = Math.min(actions.size(), from + PER_CLASS);
            // Lock and unlock positions relative to this class's actions; -1 where they fall outside it.
            int lf = lockFrom >= from && lockFrom < to ? lockFrom - from : -1, lt = lockTo >= from && lockTo < to ? lockTo - from : -1;
            parts.add(defineOne(actions.subList(from, to), lf, lt, from));
        }
        Step[] steps = parts.toArray(Step[]::new);
        return (hooks, ctx, buf, step, b) -> {
            for (Step s : steps) s.run(hooks, ctx, buf, step, b);
        };
    }

    private static Step defineOne(List<Action> actions, int lockFrom, int lockTo) { return defineOne(actions, lockFrom, lockTo, 0); }

    /** {@code first}: the index of {@code actions.get(0)} in the whole step (what write hooks report). */
    private static Step defineOne(List<Action> actions, int lockFrom, int lockTo, int first) {
        Object[] calls = new Object[actions.size()];
        for (int i = 0; i < calls.length; i++) if (actions.get(i) instanceof Action.Call c) calls[i] = c.call();
        byte[] bytes = classFile(actions, lockFrom, lockTo, first);
        try {
            MethodHandles.Lookup lookup = KernelClassFile.defineWithData(bytes, Arrays.asList(calls));
            return (Step) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load a generated step", e);
        }
    }

    /** The class bytes for a step of at most {@link #PER_CLASS} actions; the calls come as class data when it is defined. */
    public static byte[] classFile(List<Action> actions, int lockFrom, int lockTo) { return classFile(actions, lockFrom, lockTo, 0); }

    private static byte[] classFile(List<Action> actions, int lockFrom, int lockTo, int first) {
        if (actions.size() > PER_CLASS) throw new IllegalArgumentException(actions.size() + " actions: define() splits them into classes");
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, NAME, Type.getInternalName(Step.class));
        KernelClassFile.constructor(cw);
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
                        mv.visitLdcInsn(new ConstantDynamic("C" + (first + i) + "_" + c.label().replaceAll("[^A-Za-z0-9_]", "_"),
                                "L" + CALL + ";", BOOTSTRAP, i));
                        mv.visitVarInsn(ALOAD, BUF);
                        mv.visitVarInsn(LLOAD, STEP);
                        mv.visitVarInsn(ILOAD, B);
                        mv.visitMethodInsn(INVOKEINTERFACE, CALL, "run", "([Ljava/lang/Object;JI)V", true);
                    }
                    case Action.Write w -> hook(mv, "write", "(Ljava/lang/Object;I)V", first + i);
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
