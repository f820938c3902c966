package descent.compiler.backend;

import descent.compiler.emit.ModelConstants;
import descent.compiler.emit.Step;
import descent.compiler.emit.StepWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The model class of a model jar: the step of every executable the jar carries ({@link CarriedExecutables}), each a
 * segment of one generated class ({@link StepWriter#modelClassFile}), beside the kernel classes the steps call. A
 * model whose steps hold more than one class's actions ({@link StepWriter#classActions}) or constants
 * ({@link #CLASS_CONSTANTS}) between them gets several model classes ({@code ModelClass}, {@code ModelClass1}, …),
 * and a step too large for one class alone keeps the step classes of its own that {@link StepWriter#define} splits
 * it into.
 *
 * <p>In process (no jar) each executable still gets a step class of its own, defined when a session first needs it:
 * its fetch list and thread count are the call's, so the set of steps is not known ahead.
 */
final class ModelSteps {
    private ModelSteps() {}

    /**
     * Where a carried executable's step is: segment {@code segment} of the class under kernel key {@code classKey},
     * whose constants start at {@code base} of its {@code classConstants}; {@code classDigests} are the digests of
     * that class's segments ({@link #digest}), from which its key is made ({@link #classKey}), so an entry names one
     * class and one segment of it.
     */
    record Entry(String classKey, int segment, int base, int classConstants, List<String> classDigests) {
        Entry {
            classDigests = List.copyOf(classDigests);
        }

        /** The digest of this entry's segment. */
        String digest() { return classDigests.get(segment); }

        void write(DataOutputStream out) throws IOException {
            out.writeUTF(classKey);
            out.writeInt(segment);
            out.writeInt(base);
            out.writeInt(classConstants);
            out.writeInt(classDigests.size());
            for (String d : classDigests) out.writeUTF(d);
        }

        static Entry read(DataInputStream in) throws IOException {
            String key = in.readUTF();
            int segment = in.readInt(), base = in.readInt(), constants = in.readInt(), n = in.readInt();
            if (n < 1 || n > StepWriter.classActions()) throw new IOException("a model class of " + n + " segments");
            List<String> digests = new ArrayList<>(n);
            for (int i = 0; i < n; i++) digests.add(in.readUTF());
            if (segment < 0 || segment >= n || base < 0 || constants < base) throw new IOException("a model class entry out of range");
            return new Entry(key, segment, base, constants, digests);
        }
    }

    /**
     * The kernel key of model class {@code i}, whose segments have {@code digests}: it names what the class runs
     * (kernel keys name what they compute: "matmul …", "fused …", "step …"), and a class file carries a digest of
     * its key, checked when it is defined, so a model class is run only for the segments it was written for.
     */
    static String classKey(int i, List<String> digests) { return "model steps " + i + " " + listDigest(digests); }

    private static String listDigest(List<String> digests) {
        return KernelArchive.digest(String.join(" ", digests).getBytes(StandardCharsets.UTF_8));
    }

    /** Model class {@code i}'s internal name; in the package of the kernels, whose lookup defines it. */
    static String className(int i) { return "descent/compiler/emit/ModelClass" + (i == 0 ? "" : i); }

    /** Whether {@code key} names a model class (its jar name is its own, not a numbered kernel's). */
    static boolean isClassKey(String key) { return key.startsWith("model steps "); }

    /**
     * The most constants the segments of one model class hold together. Each costs the class a few constant-pool
     * entries (the dynamic constant, its name and index), and a fork's parts are methods of their own, so steps
     * with many threads' forks fill the pool (65,535 entries) long before their top-level actions reach
     * {@link StepWriter#classActions}: a 125-layer MLP on 16 threads overflowed it (found by a review, 2026-11-30).
     */
    static final int CLASS_CONSTANTS = 8_000;

    /**
     * Writes the model classes for {@code carried} (the executables a jar carries, by key, in key order), handing
     * each class file to {@code record} under its key, and returns each executable's entry. One whose step does not
     * fit one class is left out (its step classes are recorded as without a model class).
     */
    static Map<String, Entry> write(Map<String, Executable.Parts> carried, java.util.function.BiConsumer<String, byte[]> record) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> group = new ArrayList<>();
        int[] classes = {0};
        int actions = 0, constants = 0;
        for (var e : carried.entrySet()) {
            Executable.Parts p = e.getValue();
            if (!StepWriter.fitsOneClass(p.kinds())) continue;
            int n = p.kinds().size(), c = segment(p).constants();
            if (!group.isEmpty() && (actions + n > StepWriter.classActions() || constants + c > CLASS_CONSTANTS)) {
                emit(List.copyOf(group), carried, record, entries, classes);
                group.clear();
                actions = 0;
                constants = 0;
            }
            group.add(e.getKey());
            actions += n;
            constants += c;
        }
        if (!group.isEmpty()) emit(group, carried, record, entries, classes);
        return entries;
    }

    private static StepWriter.Segment segment(Executable.Parts p) { return new StepWriter.Segment(p.kinds(), p.lockFrom(), p.lockTo()); }

    /**
     * One model class for the executables {@code keys}. A group the class file format cannot hold (the limits above
     * are estimates) is split in two; a single step that cannot be a segment is left to step classes of its own.
     */
    private static void emit(List<String> keys, Map<String, Executable.Parts> carried, java.util.function.BiConsumer<String, byte[]> record,
                             Map<String, Entry> entries, int[] classes) {
        List<StepWriter.Segment> segments = keys.stream().map(k -> segment(carried.get(k))).toList();
        List<String> digests = segments.stream().map(ModelSteps::digest).toList();
        String key = classKey(classes[0], digests);
        byte[] bytes;
        try {
            bytes = StepWriter.modelClassFile(className(classes[0]), segments, KernelArchive.source(key));
        } catch (org.objectweb.asm.ClassTooLargeException | org.objectweb.asm.MethodTooLargeException tooLarge) {
            if (keys.size() == 1) return;
            int half = keys.size() / 2;
            emit(keys.subList(0, half), carried, record, entries, classes);
            emit(keys.subList(half, keys.size()), carried, record, entries, classes);
            return;
        }
        record.accept(key, bytes);
        int base = 0, total = segments.stream().mapToInt(StepWriter.Segment::constants).sum();
        for (int i = 0; i < segments.size(); i++) {
            entries.put(keys.get(i), new Entry(key, i, base, total, digests));
            base += segments.get(i).constants();
        }
        classes[0]++;
    }

    /** What ties an entry to the actions it was written for: a digest of the segment's description. */
    static String digest(StepWriter.Segment s) { return KernelArchive.digest(s.description().getBytes(StandardCharsets.UTF_8)); }

    /**
     * A loaded jar's model classes, each defined when a step of it is first needed; one per {@link CarriedExecutables}
     * (so per loaded model, as its kernels are).
     */
    static final class Loaded {
        /** The class files of a kernel key, as the jar carries them ({@code Kernels::archived}). */
        private final Function<String, List<byte[]>> files;
        private final Map<String, Defined> classes = new ConcurrentHashMap<>();

        private record Defined(MethodHandles.Lookup lookup, ModelConstants constants) {}

        Loaded(Function<String, List<byte[]>> files) { this.files = files; }

        /**
         * The step of the executable {@code p} whose entry is {@code e}, or null (after one line on stderr) when the
         * segment is not the one written for these actions or its class cannot be read or defined: the step class
         * is then made as without a model class.
         */
        Step step(Entry e, Executable.Parts p) {
            try {
                StepWriter.Segment s = segment(p);
                if (!digest(s).equals(e.digest())) throw new IllegalStateException("its step is not the one its executable describes");
                if (!e.classKey().endsWith(" " + listDigest(e.classDigests()))) {
                    throw new IllegalStateException("its entry does not name the segments of " + e.classKey());
                }
                List<Object> values = s.constantValues();
                if (e.base() + values.size() > e.classConstants()) throw new IllegalStateException("its constants are out of range");
                Defined d = classes.computeIfAbsent(e.classKey(), key -> define(key, e.classConstants()));
                d.constants().bind(e.base(), values);
                Step step = StepWriter.segmentStep(d.lookup(), e.segment());
                Kernels.countCarriedStep();
                return step;
            } catch (RuntimeException | LinkageError x) {
                KernelArchive.warn("the model jar's class of steps cannot be used (" + x.getMessage() + "); generating a step class");
                return null;
            }
        }

        private Defined define(String key, int constants) {
            List<byte[]> bytes = files.apply(key);
            if (bytes == null || bytes.size() != 1) throw new IllegalStateException("the jar does not hold " + key);
            if (!KernelArchive.source(key).equals(KernelArchive.sourceOf(bytes.getFirst()))) {
                throw new IllegalStateException("the class the jar holds as " + key + " was written for other steps");
            }
            ModelConstants values = new ModelConstants(constants);
            try {
                return new Defined(StepWriter.defineModelClass(bytes.getFirst(), values), values);
            } catch (IllegalAccessException x) {
                throw new IllegalStateException(x);
            }
        }
    }
}
