package descent.compiler.backend;

import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.StepWriter;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.jar.JarOutputStream;
import org.objectweb.asm.ClassReader;

/**
 * {@code descent compile}'s side of {@link KernelArchive}: records the kernels a model uses and writes their class
 * files and index into its jar.
 *
 * <p>Which kernels: those that sessions of one and of two threads (by default; {@code descent compile --threads}
 * chooses the counts) build for each train step, fetching its loss as the typed façade does (a call that fetches
 * nothing runs that same step: {@code CompiledSession.orLoss}), and for each output,
 * called on zeros with every symbolic dimension at 2. The calls build their executables but do not run them
 * (cold Vector API code would take most of a second). Since a model with one symbolic dimension runs on kernels
 * that take its size as an argument, that is every kernel the model needs on those thread counts at any batch. A
 * kernel not in the jar (another thread count, a model whose kernels need a concrete size) is emitted when first
 * needed, as without a jar.
 */
final class KernelRecording {
    private KernelRecording() {}

    /** The class files of the kernels {@code m} uses, by key, emitted afresh on this thread. */
    static Map<String, List<byte[]>> record(Model m) { return record(m, ModelJar.THREADS); }

    /** The same for sessions of each of {@code threadCounts} threads. */
    static Map<String, List<byte[]>> record(Model m, List<Integer> threadCounts) { return record(m, threadCounts, (key, files) -> {}); }

    /** The same, handing each kernel's class files to {@code onRecorded} as soon as they are recorded. */
    static Map<String, List<byte[]>> record(Model m, List<Integer> threadCounts, BiConsumer<String, List<byte[]>> onRecorded) {
        return record(m, threadCounts, onRecorded, new java.util.TreeMap<>());
    }

    /**
     * The same, putting into {@code executables} the executables those calls built, encoded as a model jar carries
     * them ({@link CarriedExecutables}), by {@link CarriedExecutables#key}. One that is not data (none today) is left
     * out: a loaded jar lowers it.
     */
    static Map<String, List<byte[]>> record(Model m, List<Integer> threadCounts, BiConsumer<String, List<byte[]>> onRecorded,
                                            Map<String, byte[]> executables) {
        CompiledModel model = new CompiledModel(m);
        Map<String, Tensor> feeds = zeros(m);
        Map<String, Executable.Parts> carried = new java.util.TreeMap<>();
        return Kernels.record(() -> {
            for (int threads : threadCounts) {
                TrainingSession s = ((CompiledSession) model.newSession(0, threads)).buildingOnly();
                for (TrainStep t : m.trains()) {
                    String loss = CompiledSession.lossName(m, t);
                    if (loss != null) tryRun(() -> s.train(t.name(), feeds, List.of(loss)));
                    // A call that fetches nothing runs the step above when its loss is free to compute; else its own.
                    if (CompiledSession.noFetchLoss(m, t) == null) tryRun(() -> s.train(t.name(), feeds, List.of()));
                }
                for (String out : m.outputs().keySet()) tryRun(() -> s.evaluate(feeds, List.of(out)));
                ((CompiledSession) s).carriable().forEach((key, parts) -> {
                    try {
                        CarriedExecutables.encode(parts, null);
                        carried.put(key, parts);
                    } catch (CarriedExecutables.NotData e) {
                        KernelArchive.warn("the model jar does not carry step `" + key + "` (" + e.getMessage()
                                + "); an application lowers it when first called");
                        StepWriter.classFiles(parts.kinds(), parts.lockFrom(), parts.lockTo(), Kernels::stepClass);
                    }
                });
                // Steps built per binding are not carried, but their step classes are, for an application that meets the binding.
                for (Executable.Parts p : ((CompiledSession) s).perBindingParts()) {
                    StepWriter.classFiles(p.kinds(), p.lockFrom(), p.lockTo(), Kernels::stepClass);
                }
            }
            // The carried executables' steps, as segments of the model class; one too large for a class keeps its own.
            Map<String, ModelSteps.Entry> steps = ModelSteps.write(carried, Kernels::recordClass);
            carried.forEach((key, parts) -> {
                ModelSteps.Entry step = steps.get(key);
                if (step == null) StepWriter.classFiles(parts.kinds(), parts.lockFrom(), parts.lockTo(), Kernels::stepClass);
                try {
                    executables.put(key, CarriedExecutables.encode(parts, step));
                } catch (CarriedExecutables.NotData e) {
                    throw new IllegalStateException("encoded once already", e);
                }
            });
        }, onRecorded);
    }

    /** A call the zeros make invalid only leaves its kernels out of the jar. */
    private static void tryRun(Runnable call) {
        try {
            call.run();
        } catch (DescentException e) {
            // not recorded; emitted when first needed
        }
    }

    private static Map<String, Tensor> zeros(Model m) {
        Map<String, Tensor> feeds = new HashMap<>();
        for (Model.InputInfo in : m.inputs()) feeds.put(in.name(), Tensor.zeros(in.type().dtype(), in.type().shape().concrete(symbolsAt2(m))));
        return feeds;
    }

    private static Map<String, Integer> symbolsAt2(Model m) {
        Map<String, Integer> b = new HashMap<>();
        for (Model.InputInfo in : m.inputs()) for (var d : in.type().shape().dims()) if (d.isSymbolic()) b.put(d.symbol(), 2);
        return b;
    }


    /** Writes the class files under their class names and the index; {@code seen} holds the entries written so far. */
    static void write(JarOutputStream jar, Set<String> seen, Map<String, List<byte[]>> kernels) throws IOException {
        JarWriter writer = new JarWriter(jar, seen);
        for (var e : kernels.entrySet()) writer.add(e.getKey(), e.getValue());
        writer.finish();
    }

    /**
     * Writes kernels into a jar one at a time, in the order they were recorded, each class file under a name of its
     * own ({@link #jarName}), then the index that maps their keys to those files ({@link KernelArchive}).
     */
    static final class JarWriter {
        private final JarOutputStream jar;
        private final Set<String> seen;
        private final StringBuilder index = new StringBuilder(KernelArchive.MAGIC).append('\n');
        private int serial;

        /** {@code seen}: the entries the jar holds so far. */
        JarWriter(JarOutputStream jar, Set<String> seen) {
            this.jar = jar;
            this.seen = seen;
            index.append("build ").append(KernelArchive.BUILD).append('\n');
            index.append("vector-length ").append(MatmulEmitter.preferredVectorLength()).append('\n');
        }

        void add(String key, List<byte[]> files) throws IOException {
            index.append(KernelArchive.escape(key));
            for (byte[] file : files) {
                String name = jarName(key, file, serial++), path = name + ".class";
                if (!seen.add(path)) throw new IllegalStateException("two kernels named " + name);
                jar.putNextEntry(ModelJar.entry(path));
                jar.write(ClassRenamer.rename(file, name, KernelArchive.source(key)));
                jar.closeEntry();
                index.append('\t').append(path);
            }
            index.append('\n');
        }

        void finish() throws IOException {
            if (seen.add(KernelArchive.INDEX)) {
                jar.putNextEntry(ModelJar.entry(KernelArchive.INDEX));
                jar.write(index.toString().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
    }

    /**
     * A kernel's name in a jar: numbered in order of use, in its package (a hidden class must be defined in its
     * lookup's), without the JVM-wide serial its emitter gave it ({@code GeneratedVectorMatmul_Mx784x128_nn_br_1}
     * → {@code Kernel0_VectorMatmul_Mx784x128_nn_br}).
     */
    static String jarName(String generated, int serial) {
        return jarName("", generated, serial);
    }

    /** The name in a jar of class {@code file} recorded under {@code key}: a kernel's numbered, a model class's its own. */
    static String jarName(String key, byte[] file, int serial) { return jarName(key, new ClassReader(file).getClassName(), serial); }

    private static String jarName(String key, String generated, int serial) {
        if (ModelSteps.isClassKey(key)) return generated;
        int slash = generated.lastIndexOf('/');
        String simple = generated.substring(slash + 1).replaceFirst("^Generated", "").replaceFirst("_\\d+$", "");
        return generated.substring(0, slash + 1) + "Kernel" + serial + "_" + simple;
    }

}
