package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.emit.Invocation.Arg;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A generated step runs its invocations with the arguments they describe, and its actions in order, whatever their number: calls, writes through hooks, and the lock
 * and unlock hooks where they belong, also for steps split into many methods and several classes (20,000
 * actions; a single class's initialiser or constant pool would not hold that many calls).
 */
class StepWriterTest {
    @Test
    void actionsRunInOrderAcrossMethodsAndClasses() {
        for (int n : new int[] {0, 1, 7, StepWriter.PER_METHOD + 3, StepWriter.PER_CLASS + 1, 20_000}) {
            List<String> log = new ArrayList<>();
            List<StepWriter.Action> actions = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            int lockFrom = n / 3, lockTo = n - 2;
            for (int i = 0; i < n; i++) {
                if (i == lockFrom) expected.add("lock");
                int id = i;
                switch (i % 5) {
                    case 3 -> { actions.add(new StepWriter.Action.Write()); expected.add("write " + i); }
                    case 4 -> actions.add(new StepWriter.Action.None());
                    default -> { actions.add(new StepWriter.Action.Call((buf, step, b) -> log.add("call " + id), "k" + i)); expected.add("call " + i); }
                }
                if (i == lockTo) expected.add("unlock");
            }
            Step step = StepWriter.define(actions, n > 2 ? lockFrom : -1, n > 2 ? lockTo : -1);
            if (n <= 2) expected.removeIf(e -> e.equals("lock") || e.equals("unlock"));
            StepHooks hooks = new StepHooks() {
                @Override public void write(Object ctx, int action) { log.add("write " + action); }
                @Override public void lock(Object ctx) { log.add("lock"); }
                @Override public void unlock(Object ctx) { log.add("unlock"); }
                @Override public void fork(Object ctx, Step step, int fork, int parts, Object[] buf, long n, int b) {
                    throw new AssertionError("no forks here");
                }
            };
            step.run(hooks, null, new Object[0], 0, 0);
            assertEquals(expected, log, n + " actions");
        }
    }

    /** Hooks that run a fork's parts last to first on the calling thread, logging the fork. */
    private record ReverseForks(List<String> log) implements StepHooks {
        @Override public void write(Object ctx, int action) { log.add("write " + action); }
        @Override public void lock(Object ctx) { }
        @Override public void unlock(Object ctx) { }
        @Override public void fork(Object ctx, Step step, int fork, int parts, Object[] buf, long n, int b) {
            log.add("fork " + fork + " of " + parts);
            for (int p = parts - 1; p >= 0; p--) step.part(fork, p, this, ctx, buf, n, b);
        }
    }

    private static StepWriter.Action logs(List<String> log, String what) {
        return new StepWriter.Action.Call((buf, step, b) -> log.add(what), "log");
    }

    @Test
    void choicesFollowTheBatchSizeAndForksRunEveryPart() {
        List<String> log = new ArrayList<>();
        StepWriter.Test small = new StepWriter.Test.Below(3, 1, 10);   // 3·b < 10
        StepWriter.Action nested = new StepWriter.Action.Fork(List.of(List.of(logs(log, "inner 0")), List.of(logs(log, "inner 1"))));
        List<StepWriter.Action> actions = List.of(
                logs(log, "first"),
                new StepWriter.Action.Choose(small, List.of(logs(log, "small")), List.of(logs(log, "large"),
                        new StepWriter.Action.Fork(List.of(List.of(logs(log, "part 0")), List.of(logs(log, "part 1"), nested),
                                List.of(logs(log, "part 2")))))),
                new StepWriter.Action.Write(),
                new StepWriter.Action.Choose(new StepWriter.Test.Any(List.of(new StepWriter.Test.Not(small), new StepWriter.Test.Below(1, 0, 0))),
                        List.of(logs(log, "not small")), List.of()));
        Step step = StepWriter.define(actions, -1, -1);
        assertEquals(2, StepWriter.forks(actions));
        step.run(new ReverseForks(log), null, new Object[0], 0, 3);
        assertEquals(List.of("first", "small", "write 2"), log);
        log.clear();
        step.run(new ReverseForks(log), null, new Object[0], 0, 4);
        assertEquals(List.of("first", "large", "fork 0 of 3", "part 2", "part 1", "fork 1 of 2", "inner 1", "inner 0", "part 0",
                "write 2", "not small"), log);
        for (int b : new int[] {0, 1, 3, 4, 1 << 20, Integer.MAX_VALUE}) {
            assertEquals(3L * b < 10, small.at(b), "b = " + b);
        }
        assertThrows(IllegalArgumentException.class, () -> new StepWriter.Action.Fork(List.of(List.of(new StepWriter.Action.Write()))));
    }

    @Test
    void forkIdsRunOnAcrossTheClassesOfALargeStep() {
        List<String> log = new ArrayList<>();
        List<StepWriter.Action> actions = new ArrayList<>();
        int n = 2 * StepWriter.PER_CLASS + 5;
        for (int i = 0; i < n; i++) {
            actions.add(i % 1000 == 7 ? new StepWriter.Action.Fork(List.of(List.of(logs(log, "f" + i + ".0")), List.of(logs(log, "f" + i + ".1"))))
                    : new StepWriter.Action.None());
        }
        StepWriter.define(actions, -1, -1).run(new ReverseForks(log), null, new Object[0], 0, 1);
        List<String> expected = new ArrayList<>();
        int id = 0;
        for (int i = 7; i < n; i += 1000) expected.addAll(List.of("fork " + id++ + " of 2", "f" + i + ".1", "f" + i + ".0"));
        assertEquals(expected, log);
        assertEquals(id, StepWriter.forks(actions));
    }

    /** 200 forks of 40 parts each in one class: finding a part goes through switches no larger than a group's. */
    @Test
    void manyForksOfManyPartsFitTheirMethods() {
        List<String> log = new ArrayList<>();
        List<StepWriter.Action> actions = new ArrayList<>();
        for (int f = 0; f < 200; f++) {
            List<List<StepWriter.Action>> parts = new ArrayList<>();
            for (int p = 0; p < 40; p++) parts.add(List.of(logs(log, f + "." + p)));
            actions.add(new StepWriter.Action.Fork(parts));
        }
        byte[] cls = StepWriter.classFile(actions, -1, -1);
        new org.objectweb.asm.ClassReader(cls).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9) {
            @Override public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9) {
                    private int insns;
                    @Override public void visitInsn(int opcode) { insns++; }
                    @Override public void visitMethodInsn(int op, String owner, String n, String d, boolean itf) { insns++; }
                    @Override public void visitEnd() { assertTrue(insns < 1000, name + ": " + insns + " instructions"); }
                };
            }
        }, 0);
        StepWriter.define(actions, -1, -1).run(new ReverseForks(log), null, new Object[0], 0, 1);
        assertEquals(200 * 41, log.size());
        assertEquals("fork 199 of 40", log.get(199 * 41));
        assertEquals("199.0", log.getLast());
    }

    /** What {@link #invocationsPassWhatTheyDescribe} calls: records what it was given. */
    public interface Probe {
        void run(float[] a, int count, int[] offsets, float[][] held, Object any, double[] none);
    }

    private record Seen(float[] a, int count, int[] offsets, float[][] held, Object any, double[] none) {}

    @Test
    void invocationsPassWhatTheyDescribe() {
        List<Seen> seen = new ArrayList<>();
        Probe probe = (a, count, offsets, held, any, none) -> seen.add(new Seen(a, count, offsets, held.clone(), any, none));
        float[] x = {1}, y = {2}, z = {3};
        Object[] buf = {x, y, z, new float[2][], "any"};
        List<StepWriter.Action> actions = new ArrayList<>();
        // Counts as constants, the batch itself and c·b^p; held arrays gathered from slots; shared offsets.
        List<Arg> counts = List.of(Arg.constant(-7), Arg.constant(40_000), Arg.batch(), new Arg.Count(3, 2));
        for (Arg count : counts) {
            actions.add(new StepWriter.Action.Invoke(new Invocation(probe, Probe.class, "run", new Arg.Slot(1, float[].class), count,
                    new Arg.Ints(new int[3]), new Arg.Gathered(3, new int[] {2, 0}, float[][].class), new Arg.Slot(4, Object.class),
                    new Arg.Null(double[].class)), "probe"));
        }
        StepWriter.define(actions, -1, -1).run(null, null, buf, 0, 5);
        assertEquals(List.of(-7, 40_000, 5, 75), seen.stream().map(Seen::count).toList());
        for (Seen s : seen) {
            assertSame(y, s.a());
            assertArrayEquals(new int[3], s.offsets());
            assertSame(seen.get(0).offsets(), s.offsets(), "one offsets array per class");
            assertSame(z, s.held()[0]);
            assertSame(x, s.held()[1]);
            assertEquals("any", s.any());
            assertEquals(null, s.none());
        }
        // c·b^p past an int fails as Sz.at does.
        Step overflow = StepWriter.define(List.of(actions.getLast()), -1, -1);
        assertThrows(ArithmeticException.class, () -> overflow.run(null, null, buf, 0, 1 << 16));
    }

    @Test
    void invocationsOfManyArgumentsAreSplitIntoMethodsHotSpotCompiles() {
        // 4,100 invocations gathering 16 arrays each (the most a call stores one by one): some 1 MB of code, which
        // must land in methods of at most METHOD_BYTES (a method over 8,000 bytes would never be compiled) and in
        // two classes.
        int n = StepWriter.GATHER_UNROLLED;
        int[] slots = new int[n];
        Probe probe = (a, count, offsets, held, any, none) -> held[n - 1][0] += count;
        float[] counter = new float[1];
        Object[] buf = {counter, new float[n][]};
        List<StepWriter.Action> actions = new ArrayList<>();
        for (int i = 0; i < StepWriter.PER_CLASS + 100; i++) {
            actions.add(new StepWriter.Action.Invoke(new Invocation(probe, Probe.class, "run", new Arg.Slot(0, float[].class),
                    Arg.constant(i % 3), new Arg.Ints(new int[0]), new Arg.Gathered(1, slots, float[][].class),
                    new Arg.Null(Object.class), new Arg.Null(double[].class)), "p"));
        }
        StepWriter.define(actions, -1, -1).run(null, null, buf, 0, 1);
        assertEquals(StepWriter.PER_CLASS + 100 - 1, counter[0], "each invocation ran once");
        var model = java.lang.classfile.ClassFile.of().parse(StepWriter.classFile(actions.subList(0, 1000), -1, -1));
        int parts = 0;
        for (var m : model.methods()) {
            if (!m.methodName().stringValue().startsWith("part")) continue;
            parts++;
            int length = ((java.lang.classfile.attribute.CodeAttribute) m.code().orElseThrow()).codeLength();
            assertTrue(length <= StepWriter.METHOD_BYTES, m.methodName() + ": " + length + " bytes");
        }
        assertTrue(parts > 1000 * (n * 12) / StepWriter.METHOD_BYTES, parts + " methods");
    }

    /** A call of thousands of arrays (add_n of many gradient terms, say) fills its holder in a loop: its code stays small. */
    @Test
    void aCallOfManyArraysStaysSmall() {
        int n = 5000;
        int[] slots = new int[n];
        Object[] buf = new Object[n + 1];
        for (int i = 0; i < n; i++) {
            slots[i] = n - i;
            buf[n - i] = new float[] {i};
        }
        buf[0] = new float[n][];
        float[] sum = new float[1];
        Probe probe = (a, count, offsets, held, any, none) -> { for (float[] h : held) sum[0] += h[0]; };
        List<StepWriter.Action> actions = List.of(new StepWriter.Action.Invoke(new Invocation(probe, Probe.class, "run", new Arg.Null(float[].class),
                Arg.batch(), new Arg.Ints(new int[0]), new Arg.Gathered(0, slots, float[][].class), new Arg.Null(Object.class),
                new Arg.Null(double[].class)), "many"));
        StepWriter.define(actions, -1, -1).run(null, null, buf, 0, 1);
        assertEquals((float) n * (n - 1) / 2, sum[0]);
        var model = java.lang.classfile.ClassFile.of().parse(StepWriter.classFile(actions, -1, -1));
        for (var m : model.methods()) {
            int length = ((java.lang.classfile.attribute.CodeAttribute) m.code().orElseThrow()).codeLength();
            assertTrue(length < 100, m.methodName() + ": " + length + " bytes");
        }
    }

    /**
     * A model jar looks step classes up by their description: the same description must mean the same bytes (other
     * kernel objects of the same interface, other closures), and any change of what the bytes hold — a slot, a
     * count, a label, a lock position — another description. Bytes given by a source are the ones defined.
     */
    @Test
    void aStepClassIsNamedByWhatItsBytesHold() {
        java.util.function.IntFunction<List<StepWriter.Action>> actions = slot -> {
            Probe probe = (a, count, offsets, held, any, none) -> { };
            return List.of(new StepWriter.Action.Invoke(new Invocation(probe, Probe.class, "run", new Arg.Slot(slot, float[].class),
                    Arg.batch(), new Arg.Ints(new int[1]), new Arg.Gathered(3, new int[] {2}, float[][].class), new Arg.Null(Object.class),
                    new Arg.Null(double[].class)), "probe"), new StepWriter.Action.Call((buf, step, b) -> { }, "k"),
                    new StepWriter.Action.Write(), new StepWriter.Action.Move(1, 2));
        };
        List<String> descriptions = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        StepWriter.ClassSource keep = (description, generate) -> {
            descriptions.add(description.get());
            byte[] b = generate.get();
            bytes.add(b);
            return b;
        };
        StepWriter.classFiles(actions.apply(1), 0, 2, keep);
        StepWriter.classFiles(actions.apply(1), 0, 2, keep);
        StepWriter.classFiles(actions.apply(4), 0, 2, keep);
        StepWriter.classFiles(actions.apply(1), 0, 3, keep);
        assertEquals(descriptions.get(0), descriptions.get(1));
        assertArrayEquals(bytes.get(0), bytes.get(1));
        for (int i = 2; i < 4; i++) {
            assertTrue(!descriptions.get(i).equals(descriptions.get(0)), descriptions.get(i));
            assertTrue(!java.util.Arrays.equals(bytes.get(i), bytes.get(0)), "variant " + i);
        }
        // A step whose bytes come from elsewhere runs them with its own class data.
        List<String> log = new ArrayList<>();
        List<StepWriter.Action> calls = List.of(new StepWriter.Action.Call((buf, step, b) -> log.add("call " + b), "k"));
        byte[] carried = StepWriter.classFile(calls, -1, -1);
        StepWriter.define(calls, -1, -1, (description, generate) -> carried).run(null, null, new Object[0], 0, 7);
        assertEquals(List.of("call 7"), log);
    }
}
