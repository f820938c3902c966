package descent.compiler.emit;

import java.util.Arrays;
import java.util.List;
import org.objectweb.asm.Type;

/**
 * A kernel call the step class makes itself ({@link StepWriter}): the kernel, the interface it is called through,
 * the method, and where each argument comes from in the step's buffer array. Unlike a {@link StepCall} closure, it
 * is data: the step class loads the buffers and calls the kernel with no Java code in between, and what the call
 * does can be printed, compared and, one day, written into a model jar instead of rebuilt when the jar is loaded.
 * Calls whose marshalling decides things at run time (splitting over threads, growing a scratch) stay closures.
 */
public record Invocation(Object kernel, Class<?> type, String method, List<Arg> args) {
    public Invocation {
        if (!type.isInterface() || !type.isInstance(kernel)) {
            throw new IllegalArgumentException(kernel.getClass() + " is not called through an interface it implements: " + type);
        }
        args = List.copyOf(args);
        try {
            type.getMethod(method, parameterTypes(args));
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(type.getSimpleName() + " has no method " + method + " taking " + args, e);
        }
    }

    public Invocation(Object kernel, Class<?> type, String method, Arg... args) { this(kernel, type, method, List.of(args)); }

    /** Where an argument comes from. */
    public sealed interface Arg {
        /** {@code buf[slot]}, cast to {@code type} (an array class, or Object as it is). */
        record Slot(int slot, Class<?> type) implements Arg {}

        /** {@code c · b^p} as an int, b the runtime size of the symbolic dimension: a constant when {@code p} is 0. */
        record Count(long c, int p) implements Arg {
            public Count {
                if (p < 0 || p == 0 && (int) c != c) throw new IllegalArgumentException("count " + c + "·b^" + p);
            }
        }

        /** The step number (global_step's value as the step began), a long. */
        record Step() implements Arg {}

        /** null, as a {@code type}. */
        record Null(Class<?> type) implements Arg {}

        /**
         * The holder array {@code buf[holder]} (of class {@code type}, a per-thread array of arrays), its element i
         * first set to {@code buf[slots[i]]}: how kernels that take several arrays at once get them without allocating.
         */
        record Gathered(int holder, int[] slots, Class<?> type) implements Arg {
            public Gathered { slots = slots.clone(); }
            @Override public boolean equals(Object o) {
                return o instanceof Gathered g && g.holder == holder && Arrays.equals(g.slots, slots) && g.type == type;
            }
            @Override public int hashCode() { return holder * 31 + Arrays.hashCode(slots); }
            /** Names everything the step class's bytes take from it (a step class is looked up by such text). */
            @Override public String toString() {
                return "Gathered[holder=" + holder + ", slots=" + Arrays.toString(slots) + ", type=" + type.getName() + "]";
            }
        }

        /** A constant int array (a kernel's offsets, all zero), shared by every call: kernels only read it. */
        record Ints(int[] values) implements Arg {
            public Ints { values = values.clone(); }
            @Override public boolean equals(Object o) { return o instanceof Ints i && Arrays.equals(i.values, values); }
            @Override public int hashCode() { return Arrays.hashCode(values); }
            @Override public String toString() { return "Ints" + Arrays.toString(values); }
        }

        /** {@code buf[slot]} as a float[]. */
        static Arg floats(int slot) { return new Slot(slot, float[].class); }

        /** {@code buf[slot]} as a double[]. */
        static Arg doubles(int slot) { return new Slot(slot, double[].class); }

        /** The batch size itself: {@code b}. */
        static Arg batch() { return new Count(1, 1); }

        static Arg constant(int value) { return new Count(value, 0); }
    }

    /** The JVM descriptor of the method called: one parameter per argument, returning void. */
    String descriptor() {
        return Type.getMethodDescriptor(Type.VOID_TYPE, Arrays.stream(parameterTypes(args)).map(Type::getType).toArray(Type[]::new));
    }

    private static Class<?>[] parameterTypes(List<Arg> args) {
        return args.stream().map(a -> switch (a) {
            case Arg.Slot s -> s.type();
            case Arg.Count c -> int.class;
            case Arg.Null n -> n.type();
            case Arg.Step s -> long.class;
            case Arg.Gathered g -> g.type();
            case Arg.Ints i -> int[].class;
        }).toArray(Class<?>[]::new);
    }
}
