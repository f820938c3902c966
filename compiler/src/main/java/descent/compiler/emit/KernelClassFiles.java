package descent.compiler.emit;

import java.util.List;
import java.util.function.Supplier;

/**
 * The class files a kernel's emission produces, captured or supplied. A model jar carries the class files of its
 * kernels: {@code descent compile} emits them while {@link #recording}, and the jar, when loaded, defines them
 * while {@link #replaying} instead of generating them again (ASM running cold is most of a first step's kernel
 * cost; defining the classes is a few percent of it).
 *
 * <p>Every emitter makes its bytes through {@link #generated}, once per class it defines, so the class files of
 * one kernel are a list in definition order. Nothing here checks what a list holds: a kernel of the same
 * interface would run, wrongly. So the caller must hand over only the key's own class files, from the same build
 * and vector length ({@code backend/KernelArchive} checks all three).
 */
public final class KernelClassFiles {
    private KernelClassFiles() {}

    /** What {@link #generated} does on this thread: record into, or replay from, a list. */
    private record Mode(List<byte[]> files, boolean replay, int[] next) {}

    private static final ThreadLocal<Mode> MODE = new ThreadLocal<>();

    /** Runs {@code emit}, appending the class file of every kernel class it generates to {@code into}. */
    public static <T> T recording(List<byte[]> into, Supplier<T> emit) {
        return with(new Mode(into, false, new int[1]), emit);
    }

    /**
     * Runs {@code emit} with the class files in {@code from} taken, in order, instead of generating them. Were
     * there fewer than it asks for, the rest are generated.
     */
    public static <T> T replaying(List<byte[]> from, Supplier<T> emit) {
        return with(new Mode(List.copyOf(from), true, new int[1]), emit);
    }

    private static <T> T with(Mode mode, Supplier<T> emit) {
        Mode outer = MODE.get();
        MODE.set(mode);
        try {
            return emit.get();
        } finally {
            if (outer == null) MODE.remove(); else MODE.set(outer);
        }
    }

    /**
     * Defines a kernel's one class file (a model jar's) as a hidden class and returns an instance made with its
     * no-argument constructor, as a {@code type}: what every generated kernel class has, so a step can call it without
     * its emitter running.
     */
    public static <T> T instantiate(byte[] classFile, Class<T> type) {
        return KernelClassFile.instantiate(classFile, type, type.getSimpleName());
    }

    /** The bytes of the class being emitted: the replayed list's next, else {@code generate}'s (recorded if recording). */
    static byte[] generated(Supplier<byte[]> generate) {
        Mode mode = MODE.get();
        if (mode == null) return generate.get();
        if (mode.replay && mode.next[0] < mode.files.size()) return mode.files.get(mode.next[0]++);
        byte[] bytes = generate.get();
        if (!mode.replay) mode.files.add(bytes);
        return bytes;
    }
}
