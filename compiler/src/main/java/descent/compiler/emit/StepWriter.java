package descent.compiler.emit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *         ((ReduceKernel) ldc C0_single_9).run((float[]) buf[4], 0, (float[]) buf[9], 0, b);  // an invocation
 *         ((StepCall) ldc C1_matmul_12).run(buf, step, b);                                    // a closure
 *         h.lock(ctx);                                      // before the first action that touches use_locking state
 *         h.write(ctx, 2);                                  // a state write through a buffer
 *         ((StepCall) ldc C3_fused_22).run(buf, step, b);
 *         h.unlock(ctx);                                    // after the last write of it
 *     }
 * }
 * </pre>
 * A kernel call is either an {@link Invocation}, written out: the kernel loaded with {@code ldc} of a dynamic
 * constant (bootstrap {@link #constant}: an element of the class data, named after its kernel), a true constant
 * to C2, then each argument loaded from the buffer array and the kernel's interface method invoked, as a closure
 * would; or a {@link StepCall} closure, loaded the same way and run (the marshalling that decides at run time:
 * splits over threads, scratch that grows). Either way every call site is monomorphic and inlined. Actions are
 * split into methods of at most {@link #PER_METHOD} actions and about {@link #METHOD_BYTES} bytes of code (far
 * below the JVM's 64 KiB method limit, and below HotSpot's 8,000-byte limit for compiling a method at all: a
 * larger method would stay interpreted), and a step of more than {@link #PER_CLASS}
 * actions into several classes run one after another. Writes straight into state (the kernel already stored
 * the value) are no action here.
 */
public final class StepWriter implements Opcodes {
    /** What action {@code i} of a step is. */
    public sealed interface Action {
        /** A kernel call through a closure; {@code label} (letters, digits, _) names its constant, for readers of the bytecode. */
        record Call(StepCall call, String label) implements Action {}
        /** A kernel call written out. */
        record Invoke(Invocation invocation, String label) implements Action {}
        /** {@code buf[to] = buf[from]}: a value that is another's buffer (a reshape, say). */
        record Move(int from, int to) implements Action {}
        record Write() implements Action {}
        record None() implements Action {}
    }

    /**
     * Limits per method and class. A class holds a few constant-pool entries per kernel it calls (the constant,
     * its name, its class-data index), so 4,000 actions stay far from the pool's 65,535.
     */
    static final int PER_METHOD = 400, METHOD_BYTES = 6000, PER_CLASS = 4000;
    /** Holders of more arrays than this are filled by {@link #gather}, not by a store per array. */
    static final int GATHER_UNROLLED = 16;
    private static final String NAME = "descent/compiler/emit/GeneratedStep";
    private static final String CALL = Type.getInternalName(StepCall.class), HOOKS = Type.getInternalName(StepHooks.class);
    private static final String RUN_DESC = "(L" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final Handle BOOTSTRAP = new Handle(H_INVOKESTATIC, Type.getInternalName(StepWriter.class), "constant",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)Ljava/lang/Object;", false);
    private static final int H = 0, CTX = 1, BUF = 2, STEP = 3, B = 5;

    private StepWriter() {}

    /**
     * The bootstrap of a step class's constants (kernels, closures, offsets): element {@code index} of its class
     * data, as a {@code type}. {@code name} is the kernel's label, for readers of the bytecode only.
     */
    public static Object constant(MethodHandles.Lookup lookup, String name, Class<?> type, int index) throws IllegalAccessException {
        Object value = MethodHandles.classDataAt(lookup, "_", Object.class, index);
        return value instanceof Invocation.Arg.Ints i ? i.values() : type.cast(value);
    }

    /**
     * Where a step class's bytes come from: {@code generate} writes them; a model jar may hold them already
     * (looked up by {@code description}, which names everything the bytes depend on), and recording keeps them.
     */
    @FunctionalInterface
    public interface ClassSource {
        byte[] bytes(String description, java.util.function.Supplier<byte[]> generate);

        ClassSource GENERATE = (description, generate) -> generate.get();
    }

    /** Fills {@code holder} with {@code buf[slots[i]]}: a large gathered argument ({@link #GATHER_UNROLLED}). */
    public static void gather(Object[] holder, Object[] buf, int[] slots) {
        for (int i = 0; i < slots.length; i++) holder[i] = buf[slots[i]];
    }

    /** {@code invocation} as a closure (for what runs calls itself: a pair of products run at once, the profile's timers). */
    public static StepCall call(Invocation invocation, String label, ClassSource source) {
        Step step = defineOne(new Chunk(List.of(new Action.Invoke(invocation, label)), -1, -1, 0), source);
        return (buf, n, b) -> step.run(null, null, buf, n, b);
    }

    /** Defines the step classes for {@code actions}; actions {@code [lockFrom, lockTo]} hold the locks (-1: none). */
    public static Step define(List<Action> actions, int lockFrom, int lockTo) { return define(actions, lockFrom, lockTo, ClassSource.GENERATE); }

    /** {@link #define(List, int, int)} with the class bytes from {@code source}. */
    public static Step define(List<Action> actions, int lockFrom, int lockTo, ClassSource source) {
        List<Chunk> chunks = chunks(actions, lockFrom, lockTo);
        if (chunks.size() == 1) return defineOne(chunks.getFirst(), source);
        Step[] steps = chunks.stream().map(c -> defineOne(c, source)).toArray(Step[]::new);
        return (hooks, ctx, buf, step, b) -> {
            for (Step s : steps) s.run(hooks, ctx, buf, step, b);
        };
    }

    /** Has {@code source} give the bytes of every class {@link #define} would define, without defining them (to record them). */
    public static void classFiles(List<Action> actions, int lockFrom, int lockTo, ClassSource source) {
        for (Chunk c : chunks(actions, lockFrom, lockTo)) source.bytes(c.description(), () -> classFile(c, ClassData.of(c.actions())));
    }

    /**
     * The actions of one class: {@code first} is the index of its first action in the whole step (what write hooks
     * report), and the lock positions are relative to it (-1 where they fall outside it).
     */
    private record Chunk(List<Action> actions, int lockFrom, int lockTo, int first) {
        /** Everything the class's bytes depend on, as text. */
        String description() {
            StringBuilder sb = new StringBuilder("step class: first ").append(first).append(", lock ").append(lockFrom)
                    .append(" to ").append(lockTo).append('\n');
            for (Action a : actions) {
                sb.append(switch (a) {
                    case Action.Call c -> "call " + c.label();
                    case Action.Invoke v -> "invoke " + v.label() + " " + v.invocation().type().getName() + "." + v.invocation().method()
                            + v.invocation().args();
                    default -> a.toString();
                }).append('\n');
            }
            return sb.toString();
        }
    }

    private static List<Chunk> chunks(List<Action> actions, int lockFrom, int lockTo) {
        if (actions.size() <= PER_CLASS) return List.of(new Chunk(actions, lockFrom, lockTo, 0));
        List<Chunk> chunks = new ArrayList<>();
        for (int from = 0; from < actions.size(); from += PER_CLASS) {
            int to = Math.min(actions.size(), from + PER_CLASS);
            int lf = lockFrom >= from && lockFrom < to ? lockFrom - from : -1, lt = lockTo >= from && lockTo < to ? lockTo - from : -1;
            chunks.add(new Chunk(actions.subList(from, to), lf, lt, from));
        }
        return chunks;
    }

    private static Step defineOne(Chunk chunk, ClassSource source) {
        ClassData data = ClassData.of(chunk.actions());
        boolean[] generated = new boolean[1];
        byte[] bytes = source.bytes(chunk.description(), () -> {
            generated[0] = true;
            return classFile(chunk, data);
        });
        try {
            return instantiate(bytes, data);
        } catch (LinkageError e) {
            if (generated[0]) throw e;
            // Bytes a model jar carried that this JVM will not define (a damaged class file): generated instead.
            System.err.println("descent: warning: a step class in the model jar cannot be used (" + e + "); generating it");
            return instantiate(classFile(chunk, data), data);
        }
    }

    private static Step instantiate(byte[] bytes, ClassData data) {
        try {
            MethodHandles.Lookup lookup = KernelClassFile.defineWithData(bytes, data.values());
            return (Step) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load a generated step", e);
        }
    }

    /** The class bytes for a step of at most {@link #PER_CLASS} actions; its constants come as class data when it is defined. */
    public static byte[] classFile(List<Action> actions, int lockFrom, int lockTo) {
        if (actions.size() > PER_CLASS) throw new IllegalArgumentException(actions.size() + " actions: define() splits them into classes");
        return classFile(new Chunk(actions, lockFrom, lockTo, 0), ClassData.of(actions));
    }

    /** The bytes of {@code chunk}'s class, whose constants index {@code data}. */
    private static byte[] classFile(Chunk chunk, ClassData data) {
        List<Action> actions = chunk.actions();
        int lockFrom = chunk.lockFrom(), lockTo = chunk.lockTo(), first = chunk.first();
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, NAME, Type.getInternalName(Step.class));
        KernelClassFile.constructor(cw);
        List<Integer> starts = methodStarts(actions);
        int parts = starts.size() - 1;
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
            for (int i = starts.get(p); i < starts.get(p + 1); i++) {
                if (i == lockFrom) hook(mv, "lock", "(Ljava/lang/Object;)V", -1);
                switch (actions.get(i)) {
                    case Action.Call c -> {
                        constant(mv, "C" + (first + i) + "_" + c.label(), StepCall.class, data.constants()[i]);
                        mv.visitVarInsn(ALOAD, BUF);
                        mv.visitVarInsn(LLOAD, STEP);
                        mv.visitVarInsn(ILOAD, B);
                        mv.visitMethodInsn(INVOKEINTERFACE, CALL, "run", "([Ljava/lang/Object;JI)V", true);
                    }
                    case Action.Invoke v -> invoke(mv, "C" + (first + i) + "_" + v.label(), v.invocation(), data.constants()[i], data);
                    case Action.Move m -> {
                        mv.visitVarInsn(ALOAD, BUF);
                        push(mv, m.to());
                        slot(mv, m.from());
                        mv.visitInsn(AASTORE);
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

    /**
     * Where each method's actions start, and the end: at most {@link #PER_METHOD} actions, and at most
     * {@link #METHOD_BYTES} bytes of code by {@link #bytes}'s estimate, per method (one action at least).
     */
    private static List<Integer> methodStarts(List<Action> actions) {
        List<Integer> starts = new ArrayList<>(List.of(0));
        int size = 0;
        for (int i = 0; i < actions.size(); i++) {
            int n = bytes(actions.get(i)) + 16;   // and the lock hooks it may carry
            if (i > starts.getLast() && (i - starts.getLast() >= PER_METHOD || size + n > METHOD_BYTES)) {
                starts.add(i);
                size = 0;
            }
            size += n;
        }
        if (!actions.isEmpty()) starts.add(actions.size());
        else starts.add(0);
        return starts;
    }

    /** An upper bound on the bytes of code {@code a} takes (ldc_w and sipush for every constant). */
    private static int bytes(Action a) {
        return switch (a) {
            case Action.Call c -> 3 + 1 + 1 + 2 + 5;
            case Action.Write w -> 1 + 1 + 3 + 5;
            case Action.None n -> 0;
            case Action.Move m -> 1 + 3 + 5 + 1;
            case Action.Invoke v -> {
                int n = 3 + 5;
                for (Invocation.Arg arg : v.invocation().args()) {
                    n += switch (arg) {
                        case Invocation.Arg.Slot s -> 5 + 3;
                        case Invocation.Arg.Count c -> 3 + 5 * c.p() + 3;
                        case Invocation.Arg.Null x -> 1;
                        case Invocation.Arg.Gathered g -> 8 + (g.slots().length > GATHER_UNROLLED ? 1 + 1 + 3 + 3
                                : g.slots().length * (1 + 3 + 5 + 3 + 1));
                        case Invocation.Arg.Ints i -> 3;
                    };
                }
                yield n;
            }
        };
    }

    /**
     * A class's data: the values its constants index (each call's closure or kernel, and each distinct offsets
     * array once, since kernels only read them), with the index of action i's constant and of each offsets array.
     */
    private record ClassData(List<Object> values, int[] constants, Map<Invocation.Arg.Ints, Integer> shared) {
        static ClassData of(List<Action> actions) {
            ClassData d = new ClassData(new ArrayList<>(), new int[actions.size()], new HashMap<>());
            for (int i = 0; i < actions.size(); i++) {
                switch (actions.get(i)) {
                    case Action.Call c -> d.constants[i] = d.add(c.call());
                    case Action.Invoke v -> {
                        d.constants[i] = d.add(v.invocation().kernel());
                        for (Invocation.Arg a : v.invocation().args()) {
                            if (a instanceof Invocation.Arg.Ints ints) d.shared.computeIfAbsent(ints, d::add);
                            if (a instanceof Invocation.Arg.Gathered g && g.slots().length > GATHER_UNROLLED) {
                                d.shared.computeIfAbsent(new Invocation.Arg.Ints(g.slots()), d::add);
                            }
                        }
                    }
                    default -> { }
                }
            }
            return d;
        }

        private int add(Object value) {
            values.add(value);
            return values.size() - 1;
        }
    }

    /** Loads class-data element {@code index} as a {@code type}. */
    private static void constant(MethodVisitor mv, String name, Class<?> type, int index) {
        mv.visitLdcInsn(new ConstantDynamic(name.replaceAll("[^A-Za-z0-9_]", "_"), Type.getDescriptor(type), BOOTSTRAP, index));
    }

    /** The kernel, each argument as {@link Invocation.Arg} says, and the call. */
    private static void invoke(MethodVisitor mv, String name, Invocation v, int kernel, ClassData data) {
        constant(mv, name, v.type(), kernel);
        for (Invocation.Arg a : v.args()) {
            switch (a) {
                case Invocation.Arg.Slot s -> {
                    slot(mv, s.slot());
                    if (s.type() != Object.class) mv.visitTypeInsn(CHECKCAST, Type.getInternalName(s.type()));
                }
                case Invocation.Arg.Count c when c.p() == 0 -> push(mv, (int) c.c());
                case Invocation.Arg.Count c when c.p() == 1 && c.c() == 1 -> mv.visitVarInsn(ILOAD, B);
                case Invocation.Arg.Count c -> {
                    // As Sz.at: the product in a long, then an int or an ArithmeticException.
                    mv.visitLdcInsn(c.c());
                    for (int p = 0; p < c.p(); p++) {
                        mv.visitVarInsn(ILOAD, B);
                        mv.visitInsn(I2L);
                        mv.visitInsn(LMUL);
                    }
                    mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "toIntExact", "(J)I", false);
                }
                case Invocation.Arg.Null n -> mv.visitInsn(ACONST_NULL);
                case Invocation.Arg.Gathered g -> {
                    String holder = Type.getInternalName(g.type()), element = Type.getInternalName(g.type().getComponentType());
                    slot(mv, g.holder());
                    mv.visitTypeInsn(CHECKCAST, holder);
                    int[] slots = g.slots();
                    if (slots.length > GATHER_UNROLLED) {
                        // A loop in a helper, so no call's code grows with its number of arrays.
                        mv.visitInsn(DUP);
                        mv.visitVarInsn(ALOAD, BUF);
                        constant(mv, "slots" + slots.length, int[].class, data.shared().get(new Invocation.Arg.Ints(slots)));
                        mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(StepWriter.class), "gather",
                                "([Ljava/lang/Object;[Ljava/lang/Object;[I)V", false);
                    } else {
                        for (int i = 0; i < slots.length; i++) {
                            mv.visitInsn(DUP);
                            push(mv, i);
                            slot(mv, slots[i]);
                            if (g.type().getComponentType() != Object.class) mv.visitTypeInsn(CHECKCAST, element);
                            mv.visitInsn(AASTORE);
                        }
                    }
                }
                case Invocation.Arg.Ints i -> {
                    // One constant per distinct array in a class (kernels only read their offsets).
                    constant(mv, "ints" + i.values().length, int[].class, data.shared().get(i));
                }
            }
        }
        mv.visitMethodInsn(INVOKEINTERFACE, Type.getInternalName(v.type()), v.method(), v.descriptor(), true);
    }

    /** {@code buf[slot]}. */
    private static void slot(MethodVisitor mv, int slot) {
        mv.visitVarInsn(ALOAD, BUF);
        push(mv, slot);
        mv.visitInsn(AALOAD);
    }

    private static void push(MethodVisitor mv, int v) {
        if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
        else mv.visitLdcInsn(v);
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
