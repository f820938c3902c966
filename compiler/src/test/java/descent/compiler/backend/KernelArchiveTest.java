package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.emit.MatmulEmitter;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassReader;

/**
 * The index and class files a model jar carries its kernels in (the end-to-end check, an application loading a
 * jar and generating no kernel, is ModelJarTest's).
 */
class KernelArchiveTest {
    /** A small model with a symbolic batch, a product, an activation and Adam (CarriedExecutablesTest uses it too). */
    static final String MODEL = """
            model archived
            input x: f32[batch, 13]
            input y: f32[batch, 3]
            var w: f32[13, 3] = glorot_uniform(seed=1)
            var b: f32[3] = zeros()
            p = tanh(x @ w + b)
            loss = reduce_mean(square(p - y))
            output p, loss
            train step { AdamOptimizer(0.01).minimize(loss) }
            """;

    @Test
    void keysSurviveTheIndexLine() {
        for (String key : List.of("plain", "tab\there", "two\nlines", "back\\slash\\t", "\\", "")) {
            String line = KernelArchive.escape(key);
            assertTrue(!line.contains("\t") && !line.contains("\n"), line);
            assertEquals(key, KernelArchive.unescape(line));
        }
    }

    @Test
    void jarNamesDropTheJvmWideSerial() {
        assertEquals("descent/compiler/emit/Kernel0_VectorMatmul_Mx784x128_nn_br",
                KernelRecording.jarName("descent/compiler/emit/GeneratedVectorMatmul_Mx784x128_nn_br_17", 0));
        assertEquals("descent/compiler/emit/Kernel12_Elementwise", KernelRecording.jarName("descent/compiler/emit/GeneratedElementwise", 12));
    }

    /** The jar writer is handed each kernel as it is recorded: once, in the order of the map recording returns. */
    @Test
    void eachKernelIsHandedOverOnceAsItIsRecorded() {
        List<String> heard = new java.util.ArrayList<>();
        Map<String, List<byte[]>> kernels = KernelRecording.record(Compiler.check("archived.descent", MODEL), ModelJar.THREADS,
                (key, files) -> {
                    assertTrue(Kernels.recording(), key + " handed over after the recording");
                    assertTrue(!files.isEmpty(), key);
                    heard.add(key);
                });
        assertEquals(List.copyOf(kernels.keySet()), heard);
        assertTrue(heard.getLast().startsWith("model steps "), "the model class is handed over last: " + heard);
    }

    /**
     * A recording that fails after the writer has begun (the second thread count is no count) fails the call with the
     * recording's error, leaves no file, not even the writer's temporary one, and no writer thread.
     */
    @Test
    void aRecordingThatFailsLeavesNoFileAndNoWriter(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("archived.jar");
        var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> ModelJar.write(out, Compiler.check("archived.descent", MODEL), MODEL, "p", List.of(1, 0)));
        assertTrue(e.getMessage().contains("thread"), e.getMessage());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("descent-jar-writer") && t.isAlive()),
                "the writer thread ended");
    }

    /** A jar the writer cannot write fails the call, after recording, and leaves no file behind. */
    @Test
    void aJarThatCannotBeWrittenFailsAndLeavesNothing(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("missing").resolve("archived.jar");
        var e = org.junit.jupiter.api.Assertions.assertThrows(descent.runtime.DescentException.class,
                () -> ModelJar.write(out, Compiler.check("archived.descent", MODEL), MODEL, "p"));
        assertTrue(e.getMessage().startsWith("cannot write"), e.getMessage());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
    }

    /** Every kernel of a train step and an output is recorded, each a class file named apart, renamed consistently. */
    @Test
    void aJarHoldsEveryKernelUnderANameOfItsOwn(@TempDir Path tmp) throws Exception {
        Map<String, List<byte[]>> kernels = KernelRecording.record(Compiler.check("archived.descent", MODEL));
        assertTrue(kernels.size() >= 5, kernels.keySet().toString());
        assertTrue(kernels.keySet().stream().anyMatch(k -> k.startsWith("matmul ")), kernels.keySet().toString());
        assertTrue(kernels.values().stream().allMatch(files -> !files.isEmpty()), "each kernel defines a class");
        Path jar = write(tmp, kernels);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            String index = new String(loader.getResourceAsStream(KernelArchive.INDEX).readAllBytes(), StandardCharsets.UTF_8);
            String[] lines = index.split("\n");
            assertEquals(KernelArchive.MAGIC, lines[0]);
            assertEquals("build " + KernelArchive.BUILD, lines[1]);
            assertTrue(!KernelArchive.BUILD.contains("${"), "Maven filled in the build id: " + KernelArchive.BUILD);
            assertEquals("vector-length " + MatmulEmitter.preferredVectorLength(), lines[2]);
            assertEquals(kernels.size(), lines.length - 3);
            var names = new HashSet<String>();
            for (int i = 3; i < lines.length; i++) {
                String[] fields = lines[i].split("\t");
                assertTrue(kernels.containsKey(KernelArchive.unescape(fields[0])), fields[0]);
                for (int f = 1; f < fields.length; f++) {
                    byte[] file = loader.getResourceAsStream(fields[f]).readAllBytes();
                    String name = new ClassReader(file).getClassName();
                    assertEquals(fields[f], name + ".class");
                    assertTrue(names.add(name), "named apart: " + name);
                    // No trace of the generated name is left (a self-reference would not link once renamed).
                    assertTrue(!new String(file, StandardCharsets.ISO_8859_1).contains("/Generated"), name);
                    // The class names its key, which replaying checks.
                    assertTrue(new String(file, StandardCharsets.ISO_8859_1).contains(KernelArchive.source(KernelArchive.unescape(fields[0]))), name);
                }
            }
        }
    }

    @Test
    void aJarForAnotherVectorLengthOffersNothing(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("other.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry(KernelArchive.INDEX));
            out.write((KernelArchive.MAGIC + "\nbuild " + KernelArchive.BUILD + "\nvector-length " + (MatmulEmitter.preferredVectorLength() + 4)
                    + "\nkey\tdescent/compiler/emit/Kernel0_X.class\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertEquals(0, KernelArchive.install(loader));
        }
    }

    /** The kernels are a cache: an index in another format, or from another build, offers nothing (the model still runs). */
    @Test
    void anIndexFromAnotherFormatOrBuildOffersNothing(@TempDir Path tmp) throws Exception {
        for (String index : List.of("something else\n", "descent-kernels 1\nvector-length " + MatmulEmitter.preferredVectorLength() + "\nk\tp\n",
                KernelArchive.MAGIC + "\nbuild another\nvector-length " + MatmulEmitter.preferredVectorLength() + "\nk\tp\n")) {
            Path jar = tmp.resolve("bad" + index.hashCode() + ".jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                out.putNextEntry(new java.util.jar.JarEntry(KernelArchive.INDEX));
                out.write(index.getBytes(StandardCharsets.UTF_8));
            }
            try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
                assertEquals(0, KernelArchive.install(loader), index);
            }
        }
    }

    @Test
    void aJarWithoutAnIndexOffersNothing(@TempDir Path tmp) throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, null)) {
            assertEquals(0, KernelArchive.install(loader));
        }
    }

    private static Path write(Path tmp, Map<String, List<byte[]>> kernels) throws Exception {
        Path jar = tmp.resolve("kernels.jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            KernelRecording.write(out, new HashSet<>(), kernels);
        }
        return jar;
    }
}
