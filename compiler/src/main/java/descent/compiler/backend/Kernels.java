package descent.compiler.backend;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import descent.compiler.emit.KernelClassFiles;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Generated kernels are specialised to their shapes; identical specs share one hidden class across every
 * model and session of the JVM. The cache holds its kernels softly: a kernel that no live model or session
 * uses stays for reuse while memory is plentiful, and its hidden class can be unloaded once the collector needs
 * the room, so a process that compiles many models in turn (a hyperparameter search, say) does not keep every
 * kernel it ever made.
 */
final class Kernels {
    private Kernels() {}

    private static final Map<String, Entry> CACHE = new ConcurrentHashMap<>();
    private static final ReferenceQueue<Object> CLEARED = new ReferenceQueue<>();
    private static final java.util.concurrent.atomic.AtomicLong EMITTED = new java.util.concurrent.atomic.AtomicLong();

    /** Drops every cached kernel, as the collector may under memory pressure (tests). */
    static void forgetCached() { CACHE.clear(); }

    /** How many kernels this JVM has emitted (for tests: a change of batch size must not emit any). */
    static long emitted() { return EMITTED.get(); }

    /** A cached kernel, with its key so that a cleared entry can be removed. */
    private static final class Entry extends SoftReference<Object> {
        final String key;

        Entry(String key, Object kernel) {
            super(kernel, CLEARED);
            this.key = key;
        }
    }

    /** Class files a model jar carries, by key ({@link KernelArchive}): a miss defines these instead of emitting. */
    private static final Map<String, Supplier<List<byte[]>>> ARCHIVED = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicLong REPLAYED = new java.util.concurrent.atomic.AtomicLong();
    /** When set on a thread, every kernel it asks for is emitted afresh and its class files kept, by key. */
    private static final ThreadLocal<Recording> RECORDING = new ThreadLocal<>();

    /**
     * The class files recorded so far, by key in order of first use, each also handed to {@code onRecorded}; what
     * each key's emission made, held strongly (the soft cache may drop a kernel while recording goes on, and one
     * emitted again would be an instance {@link #keyOf} does not know); and the key of each kernel instance made of
     * one class file.
     */
    private record Recording(Map<String, List<byte[]>> files, BiConsumer<String, List<byte[]>> onRecorded,
                             Map<String, Object> made, Map<Object, String> keys) {
        boolean has(String key) { return files.containsKey(key); }

        void add(String key, List<byte[]> classFiles) {
            if (files.putIfAbsent(key, classFiles) == null) onRecorded.accept(key, classFiles);
        }
    }

    /** How many kernels this JVM has defined from archived class files rather than emitted. */
    static long replayed() { return REPLAYED.get(); }

    /** Makes {@code files} (read when first needed) what a miss on {@code key} defines; the first archive of a key wins. */
    static void archive(String key, Supplier<List<byte[]>> files) { ARCHIVED.putIfAbsent(key, files); }

    /**
     * Runs {@code work} on this thread with every kernel it asks for emitted afresh (cached or not), and
     * returns their class files by key, in order of first use.
     */
    static Map<String, List<byte[]>> record(Runnable work) { return record(work, (key, files) -> {}); }

    /**
     * The same, handing each kernel's class files to {@code onRecorded} as soon as they are recorded (on this thread,
     * in the returned map's order), so that a jar can be written while the rest are recorded.
     */
    static Map<String, List<byte[]>> record(Runnable work, BiConsumer<String, List<byte[]>> onRecorded) {
        Recording outer = RECORDING.get();
        Map<String, List<byte[]>> files = new java.util.LinkedHashMap<>();
        RECORDING.set(new Recording(files, onRecorded, new java.util.HashMap<>(), new java.util.IdentityHashMap<>()));
        try {
            work.run();
        } finally {
            if (outer == null) RECORDING.remove(); else RECORDING.set(outer);
        }
        return files;
    }

    /**
     * The kernel defined from a model jar's class files, or null (after one line on stderr) when they cannot be
     * read or defined, or are not the key's: the kernel is then generated as without a jar.
     */
    private static Object replay(String key, Supplier<List<byte[]>> archived, Supplier<?> emit) {
        try {
            return KernelClassFiles.replaying(archived.get(), emit);
        } catch (RuntimeException | LinkageError e) {
            KernelArchive.warn("a kernel in the model jar cannot be used (" + e.getMessage() + "); generating the jar's kernels that fail");
            return null;
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong STEPS_GENERATED = new java.util.concurrent.atomic.AtomicLong(),
            STEPS_CARRIED = new java.util.concurrent.atomic.AtomicLong();

    /** How many step classes this JVM has defined from a model jar's class files, and how many it generated. */
    static long[] stepClasses() { return new long[] {STEPS_CARRIED.get(), STEPS_GENERATED.get()}; }

    /** A step this JVM runs from a model jar's model class ({@link ModelSteps}): counted as a carried step class. */
    static void countCarriedStep() { STEPS_CARRIED.incrementAndGet(); }

    /** While recording, keeps {@code bytes}, a class made from what the recording built (a model class), under {@code key}. */
    static void recordClass(String key, byte[] bytes) {
        Recording recording = RECORDING.get();
        if (recording == null) throw new IllegalStateException("not recording");
        recording.add(key, List.of(bytes));
    }

    /** Whether this thread is recording ({@link #record}). */
    static boolean recording() { return RECORDING.get() != null; }

    /**
     * The bytes of the step class {@code description} names ({@code emit/StepWriter.ClassSource}): a model jar's
     * (under a digest of the description, which names everything the bytes depend on), else {@code generate}'s,
     * kept when recording. Unlike a kernel, a step class is not shared: each executable defines its own with its
     * calls as class data.
     */
    static byte[] stepClass(Supplier<String> description, Supplier<byte[]> generate) {
        Recording recording = RECORDING.get();
        if (recording == null && ARCHIVED.isEmpty()) {
            STEPS_GENERATED.incrementAndGet();
            return generate.get();
        }
        String key = "step " + KernelArchive.source(description.get());
        if (recording != null) {
            byte[] bytes = generate.get();
            recording.add(key, List.of(bytes));
            return bytes;
        }
        Supplier<List<byte[]>> archived = ARCHIVED.get(key);
        if (archived != null) {
            try {
                List<byte[]> files = archived.get();
                if (files.size() == 1) {
                    STEPS_CARRIED.incrementAndGet();
                    return files.getFirst();
                }
            } catch (RuntimeException e) {
                KernelArchive.warn("a step class in the model jar cannot be used (" + e.getMessage() + "); generating it");
            }
        }
        STEPS_GENERATED.incrementAndGet();
        return generate.get();
    }

    /** What a step calls of what an emitter returns: the kernel instance, unwrapped from the records that describe it. */
    private static Object called(Object emitted) {
        return switch (emitted) {
            case descent.compiler.emit.EmittedMatmul e -> e.kernel();
            case descent.compiler.emit.RowsEmitter.Emitted e -> e.kernel();
            default -> emitted;
        };
    }

    /**
     * While recording: the key of a kernel instance a step calls (one class file, so {@link CarriedExecutables} can
     * define it again from the jar alone), or null.
     */
    static String keyOf(Object kernel) {
        Recording recording = RECORDING.get();
        return recording == null ? null : recording.keys().get(kernel);
    }

    /** The class files a model jar carries for {@code key} (read now, checked against the key), or null. */
    static List<byte[]> archived(String key) {
        Supplier<List<byte[]>> archived = ARCHIVED.get(key);
        return archived == null ? null : archived.get();
    }

    /** Counts a kernel defined from a model jar's class files elsewhere ({@link CarriedExecutables}). */
    static void countReplayed() { REPLAYED.incrementAndGet(); }

    @SuppressWarnings("unchecked")
    static <T> T get(String key, Supplier<T> emit) {
        for (Object gone; (gone = CLEARED.poll()) != null; ) CACHE.remove(((Entry) gone).key, gone);
        Recording recording = RECORDING.get();
        if (recording != null && recording.has(key)) return (T) recording.made().get(key);
        if (recording != null) {
            List<byte[]> files = new java.util.ArrayList<>();
            T kernel = KernelClassFiles.recording(files, emit);
            EMITTED.incrementAndGet();
            recording.add(key, List.copyOf(files));
            recording.made().put(key, kernel);
            if (files.size() == 1) recording.keys().put(called(kernel), key);
            CACHE.put(key, new Entry(key, kernel));
            return kernel;
        }
        Entry e = CACHE.get(key);
        Object kernel = e == null ? null : e.get();
        if (kernel != null) return (T) kernel;
        // Emitted inside compute, so two threads asking for the same new kernel emit it once.
        Object[] made = new Object[1];
        CACHE.compute(key, (k, old) -> {
            Object o = old == null ? null : old.get();
            if (o != null) { made[0] = o; return old; }
            Supplier<List<byte[]>> archived = ARCHIVED.get(k);
            Object replayed = archived == null ? null : replay(k, archived, emit);
            if (replayed != null) {
                made[0] = replayed;
                REPLAYED.incrementAndGet();
            } else {
                made[0] = emit.get();
                EMITTED.incrementAndGet();
            }
            return new Entry(k, made[0]);
        });
        return (T) made[0];
    }
}
