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
 * model whose steps hold more than {@link StepWriter#fitsOneClass one class's} actions between them gets several
 * model classes ({@code ModelClass}, {@code ModelClass1}, …), and a step too large for one class alone keeps the
 * step classes of its own that {@link StepWriter#define} splits it into.
 *
 * <p>In process (no jar) each executable still gets a step class of its own, defined when a session first needs it:
 * its fetch list and thread count are the call's, so the set of steps is not known ahead.
 */
final class ModelSteps {
    private ModelSteps() {}

    /** Where a carried executable's step is: segment {@code segment} of the class under kernel key {@code classKey}. */
    record Entry(String classKey, int segment, int base, int classConstants, String digest) {
        void write(DataOutputStream out) throws IOException {
            out.writeUTF(classKey);
            out.writeInt(segment);
            out.writeInt(base);
            out.writeInt(classConstants);
            out.writeUTF(digest);
        }

        static Entry read(DataInputStream in) throws IOException {
            Entry e = new Entry(in.readUTF(), in.readInt(), in.readInt(), in.readInt(), in.readUTF());
            if (e.segment < 0 || e.base < 0 || e.classConstants < e.base) throw new IOException("a model class entry out of range");
            return e;
        }
    }

    /**
     * The kernel key of model class {@code i} of {@code segments}: it names what the class runs (kernel keys name what
     * they compute: "matmul …", "fused …", "step …"), and a class file carries a digest of its key, checked when it is
     * defined, so a model class is run only for the steps it was written for.
     */
    static String classKey(int i, List<StepWriter.Segment> segments) {
        StringBuilder sb = new StringBuilder();
        for (StepWriter.Segment s : segments) sb.append(digest(s)).append(' ');
        return "model steps " + i + " " + KernelArchive.digest(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Model class {@code i}'s internal name; in the package of the kernels, whose lookup defines it. */
    static String className(int i) { return "descent/compiler/emit/ModelClass" + (i == 0 ? "" : i); }

    /** Whether {@code key} names a model class (its jar name is its own, not a numbered kernel's). */
    static boolean isClassKey(String key) { return key.startsWith("model steps "); }

    /**
     * Writes the model classes for {@code carried} (the executables a jar carries, by key, in key order), handing
     * each class file to {@code record} under its key, and returns each executable's entry; those whose steps do not
     * fit one class are left out (their step classes are recorded as without a model class).
     */
    static Map<String, Entry> write(Map<String, Executable.Parts> carried, java.util.function.BiConsumer<String, byte[]> record) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<StepWriter.Segment> segments = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        int[] cls = {0};
        Runnable flush = () -> {
            if (segments.isEmpty()) return;
            String key = classKey(cls[0], segments);
            record.accept(key, StepWriter.modelClassFile(className(cls[0]), segments, KernelArchive.source(key)));
            int base = 0, total = segments.stream().mapToInt(StepWriter.Segment::constants).sum();
            for (int i = 0; i < segments.size(); i++) {
                StepWriter.Segment s = segments.get(i);
                entries.put(keys.get(i), new Entry(key, i, base, total, digest(s)));
                base += s.constants();
            }
            segments.clear();
            keys.clear();
            cls[0]++;
        };
        int actions = 0;
        for (var e : carried.entrySet()) {
            Executable.Parts p = e.getValue();
            if (!StepWriter.fitsOneClass(p.kinds())) continue;
            if (actions + p.kinds().size() > StepWriter.classActions()) {
                flush.run();
                actions = 0;
            }
            segments.add(new StepWriter.Segment(p.kinds(), p.lockFrom(), p.lockTo()));
            keys.add(e.getKey());
            actions += p.kinds().size();
        }
        flush.run();
        return entries;
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
                StepWriter.Segment s = new StepWriter.Segment(p.kinds(), p.lockFrom(), p.lockTo());
                if (!digest(s).equals(e.digest())) throw new IllegalStateException("its step is not the one its executable describes");
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
