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
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the class that runs one train step: its actions in the plan's order as straight-line code, so the
 * bytecode's instruction order is the gate mode's order.
 * <pre>
 * public final class GeneratedStep implements Step {
 *     public void run(StepHooks h, Object ctx, Object[] buf, long step, int b) { part0(...); part1(...); }
 *     private void part0(StepHooks h, Object ctx, Object[] buf, long step, int b) {
 *         ((ReduceKernel) ldc C0_single_9).run((float[]) buf[4], 0, (float[]) buf[9], 0, b);  // an invocation
 *         ((StepCall) ldc C1_rows_12).run(buf, step, b);                                      // a closure
 *         if (64L * b * 784 * 128 &lt; 2097152L) { ... } else {                                // a choice by the batch size
 *             h.fork(ctx, this, 0, 2, buf, step, b);        // a fork: fork0_0 and fork0_1 at once, on two threads
 *             ...
 *         }
 *         h.lock(ctx);                                      // before the first action that touches use_locking state
 *         h.write(ctx, 2);                                  // a state write through a buffer
 *         h.unlock(ctx);                                    // after the last write of it
 *     }
 *     private void fork0_0(StepHooks h, Object ctx, Object[] buf, long step, int b) { ... }   // part 0's calls
 *     public void part(int fork, int p, StepHooks h, ...) { switch (fork) { case 0: switch (p) { case 0: fork0_0(...); ... } } }
 * }
 * </pre>
 * A kernel call is either an {@link Invocation}, written out: the kernel loaded with {@code ldc} of a dynamic
 * constant (bootstrap {@link #constant}: an element of the class data, named after its kernel), a true constant
 * to C2, then each argument loaded from the buffer array and the kernel's interface method invoked, as a closure
 * would; or a {@link StepCall} closure, loaded the same way and run (the marshalling that still decides at run
 * time in Java: some splits over threads, scratch that grows). Either way every call site is monomorphic and
 * inlined. A {@link Action.Choose} picks between two action lists by the batch size (a split's threshold), and a
 * {@link Action.Fork} hands its parts to the hooks, which run them on the session's threads through {@link
 * Step#part}. Actions are
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
        record Move(int from, int to) implements Action {
            @Override public String toString() { return "Move[from=" + from + ", to=" + to + "]"; }
        }
        record Write() implements Action {
            @Override public String toString() { return "Write[]"; }
        }
        record None() implements Action {
            @Override public String toString() { return "None[]"; }
        }

        /**
         * One piece of work split into parts that the session's threads run at once ({@link StepHooks#fork}); each
         * part's actions run in order on one thread, and the step goes on when every part is done. Parts hold
         * kernel calls, moves, choices and forks, never writes (which the hooks undo on failure in step order).
         * When a part fails with a {@code DescentException} (a bad index, say), {@code onFailure} runs on the calling
         * thread before it is rethrown: the whole work again, which reports the error as one thread would (at its
         * position in the whole batch, not within the part).
         */
        record Fork(List<List<Action>> parts, List<Action> onFailure) implements Action {
            public Fork {
                parts = parts.stream().map(List::copyOf).toList();
                onFailure = List.copyOf(onFailure);
                for (List<Action> part : parts) for (Action a : part) checkInPart(a);
                for (Action a : onFailure) checkInPart(a);
            }

            public Fork(List<List<Action>> parts) { this(parts, List.of()); }
        }

        /** {@code then} where {@code test} holds at the run's batch size, else {@code otherwise}. */
        record Choose(Test test, List<Action> then, List<Action> otherwise) implements Action {
            public Choose {
                then = List.copyOf(then);
                otherwise = List.copyOf(otherwise);
            }
        }
    }

    /** A condition on the batch size {@code b}, evaluated in long arithmetic (no overflow at any int b). */
    public sealed interface Test {
        /** {@code c · b^p < limit}. */
        record Below(long c, int p, long limit) implements Test {
            public Below { if (p < 0) throw new IllegalArgumentException("b^" + p); }
            @Override public String toString() { return "Below[c=" + c + ", p=" + p + ", limit=" + limit + "]"; }
        }

        record Not(Test test) implements Test {
            @Override public String toString() { return "Not[test=" + test + "]"; }
        }

        /** Whether any of {@code tests} holds. */
        record Any(List<Test> tests) implements Test {
            public Any { tests = List.copyOf(tests); }
            @Override public String toString() { return "Any[tests=" + tests + "]"; }
        }

        /** Whether the test holds at batch size {@code b} (what the written code computes). */
        default boolean at(int b) {
            return switch (this) {
                case Below x -> {
                    long v = x.c();
                    for (int i = 0; i < x.p(); i++) v *= b;
                    yield v < x.limit();
                }
                case Not n -> !n.test().at(b);
                case Any a -> a.tests().stream().anyMatch(t -> t.at(b));
            };
        }
    }

    private static void checkInPart(Action a) {
        switch (a) {
            case Action.Write w -> throw new IllegalArgumentException("a fork's part cannot write state");
            case Action.Choose c -> { c.then().forEach(StepWriter::checkInPart); c.otherwise().forEach(StepWriter::checkInPart); }
            default -> { }
        }
    }

    /**
     * Limits per method and class. A class holds a few constant-pool entries per kernel it calls (the constant,
     * its name, its class-data index), so 4,000 actions stay far from the pool's 65,535.
     */
    static final int PER_METHOD = 400, METHOD_BYTES = 6000, PER_CLASS = 4000;
    /** Forks per method of the switch that finds a fork's parts ({@link Step#part}). */
    static final int FORKS_PER_DISPATCH = 64;
    /** A choice's branch of more bytes than this goes into methods of its own. */
    static final int INLINE_BRANCH_BYTES = 600;
    /** Holders of more arrays than this are filled by {@link #gather}, not by a store per array. */
    static final int GATHER_UNROLLED = 16;
    private static final String NAME = "descent/compiler/emit/GeneratedStep";
    private static final String CALL = Type.getInternalName(StepCall.class), HOOKS = Type.getInternalName(StepHooks.class);
    private static final String RUN_DESC = "(L" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final String PART_DESC = "(IIL" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final String FORK_PARTS_DESC = "(IL" + HOOKS + ";Ljava/lang/Object;[Ljava/lang/Object;JI)V";
    private static final String FORK_DESC = "(Ljava/lang/Object;L" + Type.getInternalName(Step.class) + ";II[Ljava/lang/Object;JI)V";
    private static final Handle BOOTSTRAP = new Handle(H_INVOKESTATIC, Type.getInternalName(StepWriter.class), "constant",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;I)Ljava/lang/Object;", false);
    /** The locals of every method that runs actions: {@code this}, then run's arguments. */
    private static final int H = 1, CTX = 2, BUF = 3, STEP = 4, B = 6, FAILURE = 7;

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
     * The description is asked for only then: in a cold JVM, writing it out (every argument record's toString)
     * costs about as much as writing the class.
     */
    @FunctionalInterface
    public interface ClassSource {
        byte[] bytes(java.util.function.Supplier<String> description, java.util.function.Supplier<byte[]> generate);

        ClassSource GENERATE = (description, generate) -> generate.get();
    }

    /** Where part {@code part} of {@code parts} of {@code length} elements in units of {@code unit} starts ({@link Invocation.Arg.Span}). */
    public static int spanFrom(int length, int unit, int part, int parts) {
        long u = Math.max(1, unit), units = (length + u - 1) / u;
        return (int) Math.min(length, units * part / parts * u);
    }

    /** How many elements that part has. */
    public static int spanLength(int length, int unit, int part, int parts) {
        return spanFrom(length, unit, part + 1, parts) - spanFrom(length, unit, part, parts);
    }

    /** {@code offsets} with element i set to {@code from} where {@code full[i]} is 1, else to 0 ({@link Invocation.Arg.Offsets}). */
    public static int[] offsets(int[] offsets, int[] full, int from) {
        for (int i = 0; i < offsets.length; i++) offsets[i] = full[i] * from;
        return offsets;
    }

    /** {@code buf[slot]}, replaced by a new float[floats] first when it is shorter ({@link Invocation.Arg.Grown}). */
    public static float[] grown(Object[] buf, int slot, int floats) {
        float[] a = (float[]) buf[slot];
        if (a == null || a.length < floats) buf[slot] = a = new float[floats];
        return a;
    }

    /** Fills {@code holder} with {@code buf[slots[i]]}: a large gathered argument ({@link #GATHER_UNROLLED}). */
    public static void gather(Object[] holder, Object[] buf, int[] slots) {
        for (int i = 0; i < slots.length; i++) holder[i] = buf[slots[i]];
    }

    /** {@code invocation} as a closure (for what runs calls itself: the profile's timers). */
    public static StepCall call(Invocation invocation, String label, ClassSource source) {
        return call(new Action.Invoke(invocation, label), source, null);
    }

    /**
     * {@code action} (a call, choice or fork, no write) as a closure; {@code hooks} runs its forks (null when it
     * has none). For the profile's timers, which wrap each kernel's actions apart.
     */
    public static StepCall call(Action action, ClassSource source, StepHooks hooks) {
        checkInPart(action);
        Step step = defineOne(new Chunk(List.of(action), -1, -1, 0, 0), source);
        return (buf, n, b) -> step.run(hooks, null, buf, n, b);
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
        for (Chunk c : chunks(actions, lockFrom, lockTo)) source.bytes(c::description, () -> classFile(c, ClassData.of(c.actions())));
    }

    /** The forks in {@code actions}, nested ones included: the ids {@link StepHooks#fork} is given run from 0 to this. */
    public static int forks(List<Action> actions) {
        int n = 0;
        for (Action a : actions) {
            n += switch (a) {
                case Action.Fork f -> 1 + f.parts().stream().mapToInt(StepWriter::forks).sum() + forks(f.onFailure());
                case Action.Choose c -> forks(c.then()) + forks(c.otherwise());
                default -> 0;
            };
        }
        return n;
    }

    /**
     * The actions of one class: {@code first} is the index of its first action in the whole step (what write hooks
     * report), and the lock positions are relative to it (-1 where they fall outside it); {@code firstFork} is the
     * id of its first fork.
     */
    private record Chunk(List<Action> actions, int lockFrom, int lockTo, int first, int firstFork) {
        /** Everything the class's bytes depend on, as text. */
        String description() {
            StringBuilder sb = new StringBuilder("step class: first ").append(first).append(", lock ").append(lockFrom)
                    .append(" to ").append(lockTo).append(firstFork == 0 ? "" : ", first fork " + firstFork).append('\n');
            describe(sb, actions, "", ClassData.of(actions));
            return sb.toString();
        }

        /**
         * Each call with the index of its constant in the class data ({@code #i}), which is per action object, so a
         * step that calls one action object from two places (a fork's fallback that is also a choice's branch) is told
         * from one that holds two equal ones — their bytes differ.
         */
        private static void describe(StringBuilder sb, List<Action> actions, String indent, ClassData data) {
            for (Action a : actions) {
                sb.append(indent);
                switch (a) {
                    case Action.Call c -> sb.append("call ").append(c.label()).append(" #").append(data.constant(a)).append('\n');
                    case Action.Invoke v -> sb.append("invoke ").append(v.label()).append(" #").append(data.constant(a)).append(' ')
                            .append(v.invocation().type().getName())
                            .append('.').append(v.invocation().method()).append(v.invocation().args()).append('\n');
                    case Action.Fork f -> {
                        sb.append("fork ").append(f.parts().size()).append('\n');
                        for (List<Action> part : f.parts()) {
                            sb.append(indent).append(" part\n");
                            describe(sb, part, indent + "  ", data);
                        }
                        if (!f.onFailure().isEmpty()) {
                            sb.append(indent).append(" on failure\n");
                            describe(sb, f.onFailure(), indent + "  ", data);
                        }
                    }
                    case Action.Choose c -> {
                        sb.append("if ").append(c.test()).append('\n');
                        describe(sb, c.then(), indent + "  ", data);
                        sb.append(indent).append("else\n");
                        describe(sb, c.otherwise(), indent + "  ", data);
                    }
                    default -> sb.append(a).append('\n');
                }
            }
        }
    }

    private static List<Chunk> chunks(List<Action> actions, int lockFrom, int lockTo) {
        if (actions.size() <= PER_CLASS) return List.of(new Chunk(actions, lockFrom, lockTo, 0, 0));
        List<Chunk> chunks = new ArrayList<>();
        int forks = 0;
        for (int from = 0; from < actions.size(); from += PER_CLASS) {
            int to = Math.min(actions.size(), from + PER_CLASS);
            int lf = lockFrom >= from && lockFrom < to ? lockFrom - from : -1, lt = lockTo >= from && lockTo < to ? lockTo - from : -1;
            List<Action> part = actions.subList(from, to);
            chunks.add(new Chunk(part, lf, lt, from, forks));
            forks += forks(part);
        }
        return chunks;
    }

    private static Step defineOne(Chunk chunk, ClassSource source) {
        ClassData data = ClassData.of(chunk.actions());
        boolean[] generated = new boolean[1];
        byte[] bytes = source.bytes(chunk::description, () -> {
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
        return classFile(new Chunk(actions, lockFrom, lockTo, 0, 0), ClassData.of(actions));
    }

    /**
     * One executable's step as a part of a model class ({@link #modelClassFile}): at most {@link #PER_CLASS}
     * actions, the most one class holds.
     */
    public record Segment(List<Action> actions, int lockFrom, int lockTo) {
        public Segment {
            actions = List.copyOf(actions);
            if (!fitsOneClass(actions)) throw new IllegalArgumentException(actions.size() + " actions do not fit one class");
        }

        private Chunk chunk() { return new Chunk(actions, lockFrom, lockTo, 0, 0); }

        /** How many constants it has: its share of its model class's data. */
        public int constants() { return ClassData.of(actions).values().size(); }

        /** The values of those constants, in order: what {@link ModelConstants#bind} is given. */
        public List<Object> constantValues() { return List.copyOf(ClassData.of(actions).values()); }

        /** Everything its methods' bytes depend on: the description of the step class of the same actions. */
        public String description() { return chunk().description(); }
    }

    /** Whether a step of {@code actions} fits one class (else {@link #define} splits it into several run in turn). */
    public static boolean fitsOneClass(List<Action> actions) { return actions.size() <= PER_CLASS; }

    /** The most actions one class holds, its steps' together: for a model class, the sum over its segments. */
    public static int classActions() { return PER_CLASS; }

    /**
     * The class file of a model class: the steps of several executables in one class, what a model jar carries.
     * <pre>
     * public final class ModelClass implements Step {
     *     private final int which;                      // the segment this instance runs
     *     public ModelClass(int which) { ... }
     *     public void run(...) { switch (which) { case 0: s0_run(...); return; case 1: s1_run(...); return; ... } }
     *     public void part(int fork, int p, ...) { switch (which) { case 0: s0_part(fork, p, ...); return; ... } }
     *     private void s0_run(...) { ... }                // segment 0's step, as a step class's run
     *     ...
     * }
     * </pre>
     * {@code source} is its SourceFile attribute (what ties the class to the steps it was written for).
     * Segment i's methods are those of its own step class ({@link #define}) named with the prefix {@code s<i>_},
     * and its constants are elements {@code bases[i]} onwards of the class data, a {@link ModelConstants} that each
     * segment's values are bound into before its first run (a constant is resolved when first run, so the segments
     * an application never runs are never bound). Calls, choices and forks are written as in a step class, so a
     * segment runs its kernels in the same order with the same arguments.
     */
    public static byte[] modelClassFile(String name, List<Segment> segments, String source) {
        int total = segments.stream().mapToInt(s -> s.actions().size()).sum();
        if (total > PER_CLASS) throw new IllegalArgumentException(total + " actions do not fit one model class");
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, name, Type.getInternalName(Step.class));
        cw.visitSource(source, null);
        cw.visitField(ACC_PRIVATE | ACC_FINAL, "which", "I", null, null).visitEnd();
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "(I)V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ILOAD, 1);
        init.visitFieldInsn(PUTFIELD, name, "which", "I");
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        boolean[] forked = new boolean[segments.size()];
        int base = 0;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            ClassData data = ClassData.of(s.actions(), base);
            new Body(cw, name, "s" + i + "_", s.chunk(), data).write();
            forked[i] = forks(s.actions()) > 0;
            base += data.values().size();
        }
        MethodVisitor run = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", RUN_DESC, null, null);
        run.visitCode();
        bySegment(run, name, segments.size(), i -> true, i -> {
            run.visitVarInsn(ALOAD, 0);
            loadArguments(run);
            run.visitMethodInsn(INVOKESPECIAL, name, "s" + i + "_run", RUN_DESC, false);
        });
        MethodVisitor part = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "part", PART_DESC, null, null);
        part.visitCode();
        bySegment(part, name, segments.size(), i -> forked[i], i -> {
            part.visitVarInsn(ALOAD, 0);
            for (int local = 1; local <= 5; local++) part.visitVarInsn(local <= 2 ? ILOAD : ALOAD, local);
            part.visitVarInsn(LLOAD, 6);
            part.visitVarInsn(ILOAD, 8);
            part.visitMethodInsn(INVOKESPECIAL, name, "s" + i + "_part", PART_DESC, false);
        });
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A {@code tableswitch} on {@code which}: segment i runs {@code call}'s code where {@code has(i)}, anything else throws. */
    private static void bySegment(MethodVisitor mv, String owner, int segments, java.util.function.IntPredicate has,
                                  java.util.function.IntConsumer call) {
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, owner, "which", "I");
        switchTo(mv, segments, has, call, "no such step, fork or part");
    }

    /**
     * A {@code tableswitch} on the int on the stack over {@code [0, cases)}: case i runs {@code call}'s code for i,
     * then returns, where {@code has(i)}; anything else throws an IllegalArgumentException of {@code message}. Ends
     * the method.
     */
    private static void switchTo(MethodVisitor mv, int cases, java.util.function.IntPredicate has, java.util.function.IntConsumer call,
                                 String message) {
        Label bad = new Label();
        Label[] to = new Label[cases];
        for (int i = 0; i < cases; i++) to[i] = has.test(i) ? new Label() : bad;
        mv.visitTableSwitchInsn(0, cases - 1, bad, to);
        for (int i = 0; i < cases; i++) {
            if (!has.test(i)) continue;
            mv.visitLabel(to[i]);
            call.accept(i);
            mv.visitInsn(RETURN);
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(NEW, "java/lang/IllegalArgumentException");
        mv.visitInsn(DUP);
        mv.visitLdcInsn(message);
        mv.visitMethodInsn(INVOKESPECIAL, "java/lang/IllegalArgumentException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * Defines a model class ({@link #modelClassFile}) as a hidden class whose constants are {@code constants}; its
     * steps are {@link #segmentStep}'s.
     */
    public static MethodHandles.Lookup defineModelClass(byte[] bytes, ModelConstants constants) throws IllegalAccessException {
        return KernelClassFile.defineWithData(bytes, constants);
    }

    /** The step of segment {@code i} of the model class {@code modelClass} (its constants bound first: {@link ModelConstants#bind}). */
    public static Step segmentStep(MethodHandles.Lookup modelClass, int i) {
        try {
            return (Step) modelClass.findConstructor(modelClass.lookupClass(), MethodType.methodType(void.class, int.class)).invoke(i);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot instantiate a model class", e);
        }
    }

    /** The bytes of {@code chunk}'s class, whose constants index {@code data}. */
    private static byte[] classFile(Chunk chunk, ClassData data) {
        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, NAME, Type.getInternalName(Step.class));
        KernelClassFile.constructor(cw);
        new Body(cw, NAME, "", chunk, data).write();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * Writes a class's methods: {@code run}, which calls {@code part0}, {@code part1}, … (the step's actions, split
     * by size), and for each fork {@code fork<i>_<p>}, part p's actions, with {@code part(fork, p, …)} choosing
     * among them for {@link StepHooks#fork}. Every such method is an instance method with run's arguments.
     */
    private static final class Body {
        private final ClassWriter cw;
        /** The class's internal name, and what begins the names of this step's methods (empty: the class is the step's). */
        private final String owner, prefix;
        private final Chunk chunk;
        private final ClassData data;
        /** The forks met so far, in the order of their ids (from {@code chunk.firstFork()}). */
        private final List<Action.Fork> forks = new ArrayList<>();

        Body(ClassWriter cw, String owner, String prefix, Chunk chunk, ClassData data) {
            this.cw = cw;
            this.owner = owner;
            this.prefix = prefix;
            this.chunk = chunk;
            this.data = data;
        }

        /** Whether this step shares its class with others (a model class's segment): its entry points are then private. */
        private boolean segment() { return !prefix.isEmpty(); }

        /** Methods still to write: fork parts and large branches, met while writing others. */
        private final java.util.ArrayDeque<Runnable> pending = new java.util.ArrayDeque<>();
        private int branches;

        void write() {
            sequence(prefix + "run", segment() ? ACC_PRIVATE : ACC_PUBLIC | ACC_FINAL, prefix + "part", chunk.actions(), true);
            // Parts and branches may hold forks and branches of their own, which add to the queue as they are written.
            while (!pending.isEmpty()) pending.removeFirst().run();
            if (!forks.isEmpty()) partDispatch();
        }

        /** Writes {@code actions} into method {@code name}, later (split as {@link #sequence} splits). */
        private void later(String name, List<Action> actions) {
            pending.addLast(() -> sequence(name, ACC_PRIVATE, name + "_", actions, false));
        }

        /** Calls method {@code name} with run's arguments. */
        private void callMethod(MethodVisitor mv, String name) {
            mv.visitVarInsn(ALOAD, 0);
            loadArguments(mv);
            mv.visitMethodInsn(INVOKESPECIAL, owner, name, RUN_DESC, false);
        }

        /** A branch's actions: inline when small, else in methods of their own (so no method outgrows its limit). */
        private void branch(MethodVisitor mv, List<Action> actions) {
            if (actions.stream().mapToInt(StepWriter::bytes).sum() <= INLINE_BRANCH_BYTES) {
                for (Action t : actions) action(mv, t, -1);
                return;
            }
            String name = prefix + "branch" + branches++;
            later(name, actions);
            callMethod(mv, name);
        }

        /**
         * Method {@code name} running {@code actions}: written into it, or, when they exceed one method's limits,
         * into methods {@code piece0}, {@code piece1}, … it calls in order.
         */
        private void sequence(String name, int access, String piece, List<Action> actions, boolean top) {
            List<Integer> starts = methodStarts(actions);
            int pieces = starts.size() - 1;
            if (pieces == 1 && !top) {
                MethodVisitor mv = cw.visitMethod(access, name, RUN_DESC, null, null);
                mv.visitCode();
                actions(mv, actions, 0, actions.size(), top);
                finish(mv);
                return;
            }
            MethodVisitor mv = cw.visitMethod(access, name, RUN_DESC, null, null);
            mv.visitCode();
            for (int p = 0; p < pieces; p++) callMethod(mv, piece + p);
            finish(mv);
            for (int p = 0; p < pieces; p++) {
                MethodVisitor pm = cw.visitMethod(ACC_PRIVATE, piece + p, RUN_DESC, null, null);
                pm.visitCode();
                actions(pm, actions, starts.get(p), starts.get(p + 1), top);
                finish(pm);
            }
        }

        /** Actions {@code [from, to)} of {@code actions}; at the top level, with the lock hooks and write indices. */
        private void actions(MethodVisitor mv, List<Action> actions, int from, int to, boolean top) {
            for (int i = from; i < to; i++) {
                if (top && i == chunk.lockFrom()) hook(mv, "lock", "(Ljava/lang/Object;)V", -1);
                action(mv, actions.get(i), top ? chunk.first() + i : -1);
                if (top && i == chunk.lockTo()) hook(mv, "unlock", "(Ljava/lang/Object;)V", -1);
            }
        }

        /** One action; {@code index} names it in the whole step (for a write's hook). */
        private void action(MethodVisitor mv, Action a, int index) {
            switch (a) {
                case Action.Call c -> {
                    constant(mv, "C" + data.constant(a) + "_" + c.label(), StepCall.class, data.constant(a));
                    mv.visitVarInsn(ALOAD, BUF);
                    mv.visitVarInsn(LLOAD, STEP);
                    mv.visitVarInsn(ILOAD, B);
                    mv.visitMethodInsn(INVOKEINTERFACE, CALL, "run", "([Ljava/lang/Object;JI)V", true);
                }
                case Action.Invoke v -> invoke(mv, "C" + data.constant(a) + "_" + v.label(), v.invocation(), data.constant(a), data);
                case Action.Move m -> {
                    mv.visitVarInsn(ALOAD, BUF);
                    push(mv, m.to());
                    slot(mv, m.from());
                    mv.visitInsn(AASTORE);
                }
                case Action.Write w -> {
                    if (index < 0) throw new IllegalArgumentException("a write inside a choice or fork");
                    hook(mv, "write", "(Ljava/lang/Object;I)V", index);
                }
                case Action.None n -> { }
                case Action.Fork f -> {
                    // hooks.fork(ctx, this, id, parts, buf, step, b): the parts run at once; back here when all are done.
                    Label start = new Label(), end = new Label(),
                            handler = new Label();
                    // A try block is declared before its labels are visited.
                    if (!f.onFailure().isEmpty()) mv.visitTryCatchBlock(start, end, handler, "descent/runtime/DescentException");
                    mv.visitLabel(start);
                    int local = forks.size(), id = chunk.firstFork() + local;
                    forks.add(f);
                    for (int p = 0; p < f.parts().size(); p++) later(prefix + "fork" + local + "_" + p, f.parts().get(p));
                    mv.visitVarInsn(ALOAD, H);
                    mv.visitVarInsn(ALOAD, CTX);
                    mv.visitVarInsn(ALOAD, 0);
                    push(mv, id);
                    push(mv, f.parts().size());
                    mv.visitVarInsn(ALOAD, BUF);
                    mv.visitVarInsn(LLOAD, STEP);
                    mv.visitVarInsn(ILOAD, B);
                    mv.visitMethodInsn(INVOKEINTERFACE, HOOKS, "fork", FORK_DESC, true);
                    mv.visitLabel(end);
                    if (!f.onFailure().isEmpty()) {
                        Label after = new Label();
                        mv.visitJumpInsn(GOTO, after);
                        mv.visitLabel(handler);
                        mv.visitVarInsn(ASTORE, FAILURE);
                        branch(mv, f.onFailure());
                        mv.visitVarInsn(ALOAD, FAILURE);
                        mv.visitInsn(ATHROW);
                        mv.visitLabel(after);
                    }
                }
                case Action.Choose c -> {
                    Label otherwise = new Label(), end = new Label();
                    test(mv, c.test());
                    mv.visitJumpInsn(IFEQ, otherwise);
                    branch(mv, c.then());
                    mv.visitJumpInsn(GOTO, end);
                    mv.visitLabel(otherwise);
                    branch(mv, c.otherwise());
                    mv.visitLabel(end);
                }
            }
        }

        /** Pushes 1 where {@code t} holds at the batch size, else 0. */
        private static void test(MethodVisitor mv, Test t) {
            switch (t) {
                case Test.Below x -> {
                    Label no = new Label(), done = new Label();
                    mv.visitLdcInsn(x.c());
                    for (int p = 0; p < x.p(); p++) {
                        mv.visitVarInsn(ILOAD, B);
                        mv.visitInsn(I2L);
                        mv.visitInsn(LMUL);
                    }
                    mv.visitLdcInsn(x.limit());
                    mv.visitInsn(LCMP);
                    mv.visitJumpInsn(IFGE, no);
                    mv.visitInsn(ICONST_1);
                    mv.visitJumpInsn(GOTO, done);
                    mv.visitLabel(no);
                    mv.visitInsn(ICONST_0);
                    mv.visitLabel(done);
                }
                case Test.Not n -> {
                    test(mv, n.test());
                    mv.visitInsn(ICONST_1);
                    mv.visitInsn(IXOR);
                }
                case Test.Any any -> {
                    mv.visitInsn(ICONST_0);
                    for (Test each : any.tests()) {
                        test(mv, each);
                        mv.visitInsn(IOR);
                    }
                }
            }
        }

        /**
         * {@code part(fork, p, hooks, ctx, buf, step, b)}: runs part p of fork {@code fork} (an id from firstFork),
         * through a switch over groups of {@link #FORKS_PER_DISPATCH} forks ({@code dispatch<g>}), one over the
         * forks of a group, and one over a fork's parts ({@code fork<i>}), so no method grows with the number of
         * forks or of threads times forks.
         */
        private void partDispatch() {
            int groups = (forks.size() + FORKS_PER_DISPATCH - 1) / FORKS_PER_DISPATCH;
            MethodVisitor mv = cw.visitMethod(segment() ? ACC_PRIVATE : ACC_PUBLIC | ACC_FINAL, prefix + "part", PART_DESC, null, null);
            mv.visitCode();
            mv.visitVarInsn(ILOAD, 1);
            push(mv, chunk.firstFork());
            mv.visitInsn(ISUB);
            mv.visitVarInsn(ISTORE, 1);   // the fork's index in this class
            mv.visitVarInsn(ILOAD, 1);
            push(mv, FORKS_PER_DISPATCH);
            mv.visitInsn(IDIV);
            switchTo(mv, groups, g -> {
                mv.visitVarInsn(ALOAD, 0);
                for (int local = 1; local <= 5; local++) mv.visitVarInsn(local <= 2 ? ILOAD : ALOAD, local);
                mv.visitVarInsn(LLOAD, 6);
                mv.visitVarInsn(ILOAD, 8);
                mv.visitMethodInsn(INVOKESPECIAL, owner, prefix + "dispatch" + g, PART_DESC, false);
            });
            for (int g = 0; g < groups; g++) {
                int first = g * FORKS_PER_DISPATCH, count = Math.min(FORKS_PER_DISPATCH, forks.size() - first);
                MethodVisitor dm = cw.visitMethod(ACC_PRIVATE, prefix + "dispatch" + g, PART_DESC, null, null);
                dm.visitCode();
                dm.visitVarInsn(ILOAD, 1);
                push(dm, first);
                dm.visitInsn(ISUB);
                switchTo(dm, count, f -> {
                    dm.visitVarInsn(ALOAD, 0);
                    dm.visitVarInsn(ILOAD, 2);
                    for (int local = 3; local <= 5; local++) dm.visitVarInsn(ALOAD, local);
                    dm.visitVarInsn(LLOAD, 6);
                    dm.visitVarInsn(ILOAD, 8);
                    dm.visitMethodInsn(INVOKESPECIAL, owner, prefix + "fork" + (first + f), FORK_PARTS_DESC, false);
                });
            }
            for (int f = 0; f < forks.size(); f++) {
                int fork = f;
                MethodVisitor fm = cw.visitMethod(ACC_PRIVATE, prefix + "fork" + f, FORK_PARTS_DESC, null, null);
                fm.visitCode();
                fm.visitVarInsn(ILOAD, 1);
                switchTo(fm, forks.get(f).parts().size(), p -> {
                    fm.visitVarInsn(ALOAD, 0);
                    for (int local = 2; local <= 4; local++) fm.visitVarInsn(ALOAD, local);
                    fm.visitVarInsn(LLOAD, 5);
                    fm.visitVarInsn(ILOAD, 7);
                    fm.visitMethodInsn(INVOKESPECIAL, owner, prefix + "fork" + fork + "_" + p, RUN_DESC, false);
                });
            }
        }

        /** A {@code tableswitch} on the int on the stack over {@code [0, cases)}: case i runs {@code call}'s code for i, then returns. */
        private static void switchTo(MethodVisitor mv, int cases, java.util.function.IntConsumer call) {
            StepWriter.switchTo(mv, cases, i -> true, call, "no such fork or part");
        }

        private static void finish(MethodVisitor mv) {
            mv.visitInsn(RETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
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
            case Action.Call c -> 3 + 1 + 2 + 2 + 5;
            case Action.Write w -> 1 + 1 + 3 + 5;
            case Action.None n -> 0;
            case Action.Move m -> 1 + 3 + 5 + 1;
            case Action.Fork f -> 3 + 3 + 3 + 1 + 2 + 2 + 5 + (f.onFailure().isEmpty() ? 0 : 3 + 2 + 2 + 1 + branchBytes(f.onFailure()));
            case Action.Choose c -> bytes(c.test()) + 3 + 3 + branchBytes(c.then()) + branchBytes(c.otherwise());
            case Action.Invoke v -> {
                int n = 3 + 5;
                for (Invocation.Arg arg : v.invocation().args()) {
                    n += switch (arg) {
                        case Invocation.Arg.Slot s -> 5 + 3;
                        case Invocation.Arg.Count c -> 3 + 5 * c.p() + 3;
                        case Invocation.Arg.Null x -> 1;
                        case Invocation.Arg.Step x -> 2;
                        case Invocation.Arg.Span x -> spanBytes(x);
                        case Invocation.Arg.Grown g -> 1 + 3 + 3 + 5 * g.floats().p() + 3 + 3;
                        case Invocation.Arg.Offsets o -> 5 + 3 + 3 + spanBytes(o.from()) + 3;
                        case Invocation.Arg.Gathered g -> 8 + (g.slots().length > GATHER_UNROLLED ? 1 + 1 + 3 + 3
                                : g.slots().length * (1 + 3 + 5 + 3 + 1));
                        case Invocation.Arg.Ints i -> 3;
                    };
                }
                yield n;
            }
        };
    }

    /** A branch's bytes where it is written: its actions, or the call of the method that holds them. */
    private static int branchBytes(List<Action> actions) {
        int n = actions.stream().mapToInt(StepWriter::bytes).sum();
        return n <= INLINE_BRANCH_BYTES ? n : 1 + 1 + 1 + 1 + 2 + 2 + 3;
    }

    private static int spanBytes(Invocation.Arg.Span s) { return 2 * (3 + 5 * Math.max(s.length().p(), s.unit().p()) + 3) + 3 + 3 + 3 + 6; }

    private static int bytes(Test t) {
        return switch (t) {
            case Test.Below x -> 3 + 4 * x.p() + 3 + 1 + 3 + 1 + 3 + 1;
            case Test.Not n -> bytes(n.test()) + 2;
            case Test.Any any -> 1 + any.tests().stream().mapToInt(x -> bytes(x) + 1).sum();
        };
    }

    /**
     * A class's data: the values its constants index (each call's closure or kernel, and each distinct offsets
     * array once, since kernels only read them), with the index of each call action's constant (by identity, nested
     * actions included) and of each offsets array.
     */
    private record ClassData(List<Object> values, Map<Action, Integer> constants, Map<Invocation.Arg.Ints, Integer> shared, int base) {
        static ClassData of(List<Action> actions) { return of(actions, 0); }

        /** The data of a step whose constants start at index {@code base} of its class's (a model class's segment). */
        static ClassData of(List<Action> actions, int base) {
            ClassData d = new ClassData(new ArrayList<>(), new java.util.IdentityHashMap<>(), new HashMap<>(), base);
            d.collect(actions);
            return d;
        }

        private void collect(List<Action> actions) {
            for (Action a : actions) {
                switch (a) {
                    case Action.Call c -> constants.put(a, add(c.call()));
                    case Action.Invoke v -> {
                        constants.put(a, add(v.invocation().kernel()));
                        for (Invocation.Arg arg : v.invocation().args()) {
                            if (arg instanceof Invocation.Arg.Ints ints) shared.computeIfAbsent(ints, this::add);
                            if (arg instanceof Invocation.Arg.Offsets o) shared.computeIfAbsent(o.full(), this::add);
                            if (arg instanceof Invocation.Arg.Gathered g && g.slots().length > GATHER_UNROLLED) {
                                shared.computeIfAbsent(new Invocation.Arg.Ints(g.slots()), this::add);
                            }
                        }
                    }
                    case Action.Fork f -> {
                        f.parts().forEach(this::collect);
                        collect(f.onFailure());
                    }
                    case Action.Choose c -> {
                        collect(c.then());
                        collect(c.otherwise());
                    }
                    default -> { }
                }
            }
        }

        /** The class-data index of call action {@code a}'s kernel or closure. */
        int constant(Action a) { return constants.get(a); }

        private int add(Object value) {
            values.add(value);
            return base + values.size() - 1;
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
                case Invocation.Arg.Count c -> count(mv, c);
                case Invocation.Arg.Span sp -> span(mv, sp);
                case Invocation.Arg.Grown g -> {
                    mv.visitVarInsn(ALOAD, BUF);
                    push(mv, g.slot());
                    count(mv, g.floats());
                    mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(StepWriter.class), "grown", "([Ljava/lang/Object;II)[F", false);
                }
                case Invocation.Arg.Offsets o -> {
                    slot(mv, o.slot());
                    mv.visitTypeInsn(CHECKCAST, "[I");
                    constant(mv, "ints" + o.full().values().length, int[].class, data.shared().get(o.full()));
                    span(mv, o.from());
                    mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(StepWriter.class), "offsets", "([I[II)[I", false);
                }
                case Invocation.Arg.Null n -> mv.visitInsn(ACONST_NULL);
                case Invocation.Arg.Step s -> mv.visitVarInsn(LLOAD, STEP);
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

    /** Pushes {@code c · b^p} as an int. */
    private static void count(MethodVisitor mv, Invocation.Arg.Count c) {
        if (c.p() == 0) push(mv, (int) c.c());
        else if (c.p() == 1 && c.c() == 1) mv.visitVarInsn(ILOAD, B);
        else {
            // As Sz.at: the product in a long, then an int or an ArithmeticException.
            mv.visitLdcInsn(c.c());
            for (int p = 0; p < c.p(); p++) {
                mv.visitVarInsn(ILOAD, B);
                mv.visitInsn(I2L);
                mv.visitInsn(LMUL);
            }
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "toIntExact", "(J)I", false);
        }
    }

    private static void span(MethodVisitor mv, Invocation.Arg.Span s) {
        count(mv, s.length());
        count(mv, s.unit());
        push(mv, s.part());
        push(mv, s.parts());
        mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(StepWriter.class), s.ofLength() ? "spanLength" : "spanFrom", "(IIII)I", false);
        if (s.scale() != 1) {
            push(mv, s.scale());
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "multiplyExact", "(II)I", false);
        }
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

    /** Loads run's five arguments (after {@code this}). */
    private static void loadArguments(MethodVisitor mv) {
        mv.visitVarInsn(ALOAD, H);
        mv.visitVarInsn(ALOAD, CTX);
        mv.visitVarInsn(ALOAD, BUF);
        mv.visitVarInsn(LLOAD, STEP);
        mv.visitVarInsn(ILOAD, B);
    }
}
