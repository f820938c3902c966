package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The executables a model jar carries as data: each example's read back to the same step class and buffer plan, and
 * data that cannot be used lowered instead (the end-to-end check, a loaded jar lowering nothing, is ModelJarTest's;
 * the random model oracles run every case from carried data too, {@link SameBitsOracle}).
 */
class CarriedExecutablesTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    private static final String MODEL = KernelArchiveTest.MODEL;

    private record Recorded(Map<String, byte[]> executables, Map<String, List<byte[]>> kernels, Map<String, Executable.Parts> parts) {}

    /** Records {@code m} on sessions of {@code threads}, keeping the executables both as data and encoded. */
    private static Recorded record(Model m, List<Integer> threads) {
        Map<String, byte[]> executables = new TreeMap<>();
        Map<String, Executable.Parts> parts = new TreeMap<>();
        Map<String, List<byte[]>> kernels = Kernels.record(() -> {
            for (int t : threads) {
                CompiledSession s = ((CompiledSession) new CompiledModel(m).newSession(0, t)).buildingOnly();
                Map<String, Tensor> feeds = feeds(m, 2);
                for (var train : m.trains()) s.train(train.name(), feeds, List.of("loss"));
                for (String out : m.outputs().keySet()) s.evaluate(feeds, List.of(out));
                s.carriable().forEach((key, p) -> {
                    parts.put(key, p);
                    try {
                        executables.put(key, CarriedExecutables.encode(p, null));
                    } catch (CarriedExecutables.NotData e) {
                        throw new AssertionError(key + " is not data: " + e.getMessage());
                    }
                });
            }
        });
        return new Recorded(executables, kernels, parts);
    }

    static Map<String, Tensor> feeds(Model m, int batch) {
        Map<String, Tensor> feeds = new java.util.HashMap<>();
        for (Model.InputInfo in : m.inputs()) {
            int[] shape = in.type().shape().concrete(Map.of("batch", batch));
            double[] v = new double[(int) Tensor.elementCount(shape)];
            boolean ints = in.type().dtype() == descent.runtime.DType.I32 || in.type().dtype() == descent.runtime.DType.I64;
            for (int i = 0; i < v.length; i++) v[i] = ints ? i % 2 : (i % 7) / 7.0 - 0.4;
            feeds.put(in.name(), Tensor.fromDoubles(in.type().dtype(), shape, v));
        }
        return feeds;
    }

    /** What the step class is made of and how the buffers are planned, as bytes: equal bytes, the same executable. */
    private static byte[] shape(Executable.Parts p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        data.write(new Executable(p, StepThreads.SINGLE, null).stepClassFile());
        p.buffers().write(data);
        data.writeBytes(p.written() + " " + java.util.Arrays.toString(p.writtenIndex()) + " " + java.util.Arrays.toString(p.directValues())
                + " " + java.util.Arrays.toString(p.directStates()) + " " + p.lockedState() + " " + p.symbol() + " " + p.forks());
        for (Object a : p.actions()) if (a instanceof Executable.WriteAction w) data.writeBytes(w.toString());
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"logreg.descent", "mlp.descent", "autoencoder.descent", "embedding.descent", "spiral/spiral.descent"})
    void everyExampleReadsBackToTheSameStepAndBuffers(String example) throws IOException {
        Model m = Compiler.check(ROOT.resolve("examples").resolve(example));
        Recorded r = record(m, List.of(1, 2, 3));
        assertFalse(r.executables().isEmpty());
        CarriedExecutables carried = new CarriedExecutables(r.executables(), "m", r.kernels()::get);
        for (var e : r.parts().entrySet()) {
            Executable.Parts back = carried.decode(r.executables().get(e.getKey())).parts();
            assertArrayEquals(shape(e.getValue()), shape(back), e.getKey());
        }
    }

    /** The bits of the loss after three steps of {@code model} on one thread. */
    private static int lossBits(CompiledModel model, Model m) {
        TrainingSession s = model.newSession(0, 1);
        Map<String, Tensor> feeds = feeds(m, 5);
        float loss = Float.NaN;
        for (int i = 0; i < 3; i++) loss = s.train("step", feeds, List.of("loss")).get("loss").floats()[0];
        return Float.floatToRawIntBits(loss);
    }

    /** Runs {@code body} and returns what it printed on stderr. */
    static String stderrOf(Runnable body) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            body.run();
        } finally {
            System.setErr(old);
        }
        return err.toString();
    }

    @Test
    void carriedExecutablesRunWithoutLowering() {
        Model m = Compiler.check("carried.descent", MODEL);
        Recorded r = record(m, List.of(1));
        int expected = lossBits(new CompiledModel(m), m);
        long lowered = CompiledSession.lowered(), used = CarriedExecutables.used();
        assertEquals(expected, lossBits(new CompiledModel(m, new CarriedExecutables(r.executables(), "m", r.kernels()::get)), m));
        assertEquals(lowered, CompiledSession.lowered(), "lowered");
        assertEquals(used + 1, CarriedExecutables.used(), "built from data");
    }

    /**
     * A model (w's seed {@code seed}, so each test's warning is one no earlier test printed) run from its recorded
     * executables as {@code executables} and {@code kernels} change them: the same loss bits, one executable lowered,
     * and {@code warning} on stderr.
     */
    private static void lowersInstead(int seed, java.util.function.UnaryOperator<Map<String, byte[]>> executables,
                                      java.util.function.Function<Recorded, java.util.function.Function<String, List<byte[]>>> kernels,
                                      String warning) {
        Model m = Compiler.check("fallback" + seed + ".descent", MODEL.replace("seed=1", "seed=" + seed));
        Recorded r = record(m, List.of(1));
        int expected = lossBits(new CompiledModel(m), m);
        long lowered = CompiledSession.lowered();
        int[] got = new int[1];
        String err = stderrOf(() -> got[0] = lossBits(new CompiledModel(m,
                new CarriedExecutables(executables.apply(r.executables()), "m", kernels.apply(r))), m));
        assertEquals(expected, got[0]);
        assertEquals(lowered + 1, CompiledSession.lowered());
        assertTrue(err.contains(warning), err);
    }

    @Test
    void damagedDataIsLoweredInsteadAfterOneLine() {
        lowersInstead(2, all -> {
            Map<String, byte[]> cut = new TreeMap<>();
            all.forEach((k, v) -> cut.put(k, java.util.Arrays.copyOf(v, v.length / 2)));
            return cut;
        }, r -> r.kernels()::get, "a step the model jar carries cannot be used");
    }

    @Test
    void anExecutableWhoseKernelIsMissingIsLoweredInstead() {
        lowersInstead(3, all -> all, r -> key -> null, "the jar carries no kernel");
    }

    /**
     * A kernel class the JVM refuses (here: it names an interface no loader has, a NoClassDefFoundError) lowers its
     * step after one line, as a refused kernel is generated again; found by a review, when only exceptions were
     * caught and the LinkageError reached the caller.
     */
    @Test
    void aKernelTheJvmRefusesLowersItsStep() {
        lowersInstead(5, all -> all, r -> key -> r.kernels().get(key) == null ? null
                : List.of(withMissingInterface(r.kernels().get(key).getFirst())), "NoClassDefFoundError");
    }

    private static byte[] withMissingInterface(byte[] classFile) {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(0);
        new org.objectweb.asm.ClassReader(classFile).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9, cw) {
            @Override public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                String[] more = java.util.Arrays.copyOf(interfaces, interfaces.length + 1);
                more[interfaces.length] = "descent/nowhere/NoSuchInterface";
                super.visit(version, access, name, signature, superName, more);
            }
        }, 0);
        return cw.toByteArray();
    }

    /**
     * Recording keeps what it emitted: a kernel the soft cache drops meanwhile (memory pressure) is not emitted again
     * as an instance the encoder cannot name, which left executables out of a jar without a word (a review's finding).
     */
    @Test
    void recordingSurvivesTheCacheDroppingItsKernels() {
        Model m = Compiler.check("dropped.descent", MODEL.replace("seed=1", "seed=6"));
        Map<String, byte[]> executables = new TreeMap<>();
        KernelRecording.record(m, List.of(1, 2), (key, files) -> Kernels.forgetCached(), executables);
        Map<String, byte[]> calm = new TreeMap<>();
        KernelRecording.record(m, List.of(1, 2), (key, files) -> {}, calm);
        assertEquals(calm.keySet(), executables.keySet());
        assertTrue(executables.size() >= 4, executables.keySet().toString());
    }

    @Test
    void theFileRoundTripsAndRefusesOtherBytes() throws IOException {
        Map<String, byte[]> executables = new TreeMap<>(Map.of("1 train step [3] [] symbolic batch", new byte[] {1, 2, 3}, "2 eval", new byte[0]));
        CarriedExecutables back = CarriedExecutables.fromBytes(new CarriedExecutables(executables, "m", key -> null).toBytes(), "m", key -> null);
        assertEquals(2, back.size());
        assertArrayEquals(back.toBytes(), new CarriedExecutables(executables, "m", key -> null).toBytes());
        assertThrows(IOException.class, () -> CarriedExecutables.fromBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 1}, "m", key -> null));
        assertThrows(IOException.class, () -> CarriedExecutables.fromBytes(Files.readAllBytes(ROOT.resolve("examples/mlp.descent")), "m", key -> null));
        byte[] flipped = new CarriedExecutables(executables, "m", key -> null).toBytes();
        flipped[flipped.length / 2] ^= 1;
        IOException e = assertThrows(IOException.class, () -> CarriedExecutables.fromBytes(flipped, "m", key -> null));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        // Another model's steps are refused: the file names the checked model it was lowered from.
        IOException other = assertThrows(IOException.class,
                () -> CarriedExecutables.fromBytes(new CarriedExecutables(executables, "m", key -> null).toBytes(), "n", key -> null));
        assertTrue(other.getMessage().contains("another model's"), other.getMessage());
    }
}
