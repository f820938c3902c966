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
        record Slot(int slot, Class<?> type) implements Arg {
            @Override public String toString() { return "Slot[slot=" + slot + ", type=" + type + "]"; }
        }

        /** {@code c · b^p} as an int, b the runtime size of the symbolic dimension: a constant when {@code p} is 0. */
        record Count(long c, int p) implements Arg {
            public Count {
                if (p < 0 || p == 0 && (int) c != c) throw new IllegalArgumentException("count " + c + "·b^" + p);
            }

            @Override public String toString() { return "Count[c=" + c + ", p=" + p + "]"; }
        }

        /**
         * Part {@code part} of {@code parts} of a range of {@code length} elements cut into whole units of {@code unit}
         * elements (the last may be short), the units shared out evenly in order: where the part starts
         * ({@link StepWriter#spanFrom}), or with {@code ofLength} how many elements it has ({@link StepWriter#spanLength});
         * times {@code scale}.
         */
        record Span(Count length, Count unit, int part, int parts, boolean ofLength, int scale) implements Arg {
            public Span {
                // Part `parts` starts where the range ends (so a part's end is the next part's start).
                if (part < 0 || part > parts || part == parts && ofLength || scale < 1) {
                    throw new IllegalArgumentException("part " + part + " of " + parts + " ×" + scale);
                }
            }

            public Span(Count length, Count unit, int part, int parts, boolean ofLength) { this(length, unit, part, parts, ofLength, 1); }

            /** This value times {@code factor} (an offset in elements of rows that many elements long). */
            public Span times(int factor) { return new Span(length, unit, part, parts, ofLength, Math.multiplyExact(scale, factor)); }

            @Override public String toString() {
                return "Span[length=" + length + ", unit=" + unit + ", part=" + part + ", parts=" + parts + ", ofLength=" + ofLength
                        + ", scale=" + scale + "]";
            }
        }

        /**
         * The int[] {@code buf[slot]}, its element i first set to where part {@code from} starts where {@code full[i]}
         * is 1 and to 0 elsewhere: a part's offsets into the arrays of a kernel that also reads rows and scalars.
         */
        record Offsets(int slot, Ints full, Span from) implements Arg {
            @Override public String toString() { return "Offsets[slot=" + slot + ", full=" + full + ", from=" + from + "]"; }
        }

        /**
         * The float[] {@code buf[slot]}, first replaced by a new one of {@code floats} elements when it is shorter (or
         * null): scratch that grows to the largest size a call has needed ({@link StepWriter#grown}), for what only
         * some batch sizes need.
         */
        record Grown(int slot, Count floats) implements Arg {
            @Override public String toString() { return "Grown[slot=" + slot + ", floats=" + floats + "]"; }
        }

        /** The step number (global_step's value as the step began), a long. */
        record Step() implements Arg {
            @Override public String toString() { return "Step[]"; }
        }

        /** null, as a {@code type}. */
        record Null(Class<?> type) implements Arg {
            @Override public String toString() { return "Null[type=" + type + "]"; }
        }

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
            case Arg.Span s -> int.class;
            case Arg.Grown g -> float[].class;
            case Arg.Offsets o -> int[].class;
            case Arg.Gathered g -> g.type();
            case Arg.Ints i -> int[].class;
        }).toArray(Class<?>[]::new);
    }
}
