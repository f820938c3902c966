package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the commands meet the JVM: {@code bin/descent} adds {@code jdk.incubator.vector} (whose one-line JVM warning
 * comes with it) exactly where the compiled backend may run or a model jar's kernels are made, and the compiled backend without the module runs
 * scalar kernels after one warning line.
 */
class LauncherTest {
    static final Path ROOT = ExampleGoldenTest.ROOT;
    static final String INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector\n";

    record Run(int code, String out, String err) {}

    private static Run process(List<String> command, Path tmp) throws IOException, InterruptedException {
        return process(command, java.util.Map.of(), tmp);
    }

    private static Run process(List<String> command, java.util.Map<String, String> env, Path tmp)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command));
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Runs bin/descent; skipped when its jar is older than the sources (the script would build it, in a test). */
    private static Run launch(Path tmp, String... args) throws IOException, InterruptedException {
        Run r = launch(tmp, java.util.Map.of(), args);
        assertTrue(r.code() == 0, "bin/descent " + String.join(" ", args) + "\n" + r.err());
        return r;
    }

    private static Run launch(Path tmp, java.util.Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path jar = ROOT.resolve("cli/target/descent-cli.jar");
        Assumptions.assumeTrue(Files.exists(jar), "no " + jar);
        FileTime built = Files.getLastModifiedTime(jar);
        for (String dir : List.of("grammar/src", "runtime/src/main", "compiler/src/main", "cli/src/main")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
                Assumptions.assumeTrue(files.filter(Files::isRegularFile).noneMatch(f -> newer(f, built)),
                        "bin/descent would rebuild " + jar + ": " + dir + " is newer");
            }
        }
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("bin/descent").toString()));
        command.addAll(List.of(args));
        return process(command, env, tmp);
    }

    private static boolean newer(Path f, FileTime than) {
        try { return Files.getLastModifiedTime(f).compareTo(than) > 0; } catch (IOException e) { throw new RuntimeException(e); }
    }

    static String ex(String file) { return CliTest.ex(file); }

    /**
     * An output written to stdout (`--out /dev/stdout > p.npy`) gets the command's own lines on stderr: on stdout they
     * overwrote the file's header (the file opened apart, appending) or trailed the data through a pipe.
     */
    @Test
    void anOutputOnStdoutKeepsTheCommandsLinesOff(@TempDir Path tmp) throws Exception {
        Path data = TrainCliTest.logregData(tmp), ckpt = tmp.resolve("c.safetensors");
        TrainCliTest.ok("train", ex("logreg.descent"), "--data", data.toString(), "--save", ckpt.toString(), "--progress", "none");
        Path out = tmp.resolve("p.npy");
        ProcessBuilder builder = new ProcessBuilder("bash", ROOT.resolve("bin/descent").toString(), "predict", ex("logreg.descent"),
                "--restore", ckpt.toString(), "--data", data.toString(), "--out", "/dev/stdout", "--backend", "interpreter")
                .directory(ROOT.toFile()).redirectOutput(out.toFile()).redirectError(tmp.resolve("err.txt").toFile());
        launch(tmp, "--version");   // skipped, as every launch, when the jar is older than the sources
        Process p = builder.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(tmp.resolve("err.txt"));
        assertEquals(0, p.exitValue(), err);
        assertTrue(err.contains("wrote "), err);
        assertEquals(descent.runtime.Npy.read(data.resolve("x.npy")).shape()[0], descent.runtime.Npy.read(out).shape()[0]);
    }

    /** DESCENT_JAVA_OPTS reaches the JVM; a model larger than its heap is a one-line user error that says how to give more. */
    @Test
    void aModelLargerThanTheHeapSaysHowToGiveMore(@TempDir Path tmp) throws Exception {
        Path model = Files.writeString(tmp.resolve("big.descent"),
                "model big\ninput x: f32[batch, 4000]\nvar w: f32[4000, 4000] = zeros()\ny = x @ w\noutput y\n");
        Run r = launch(tmp, java.util.Map.of("DESCENT_JAVA_OPTS", "-Xss1m -Xmx24m"), "run", model.toString(),
                "--backend", "interpreter");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("descent: error: out of memory: the model's tensors need more than the JVM's "), r.err());
        assertTrue(r.err().contains("DESCENT_JAVA_OPTS=-Xmx"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void theVectorModuleComesWithTheCompiledBackendOnly(@TempDir Path tmp) throws Exception {
        String[] feeds = {"--feed", "x=" + ex("data/logreg_x.npy"), "--feed", "y=" + ex("data/logreg_y.npy")};
        Path ckpt = tmp.resolve("c.safetensors");
        // Compiled by default: the module is there (no scalar-kernel warning), so the JVM's incubator line is the only one.
        assertEquals(INCUBATOR, launch(tmp, CliTest.args(new String[] {"run", ex("logreg.descent"), "--save", ckpt.toString()}, feeds)).err());
        Path data = TrainCliTest.logregData(tmp);
        assertEquals(INCUBATOR, launch(tmp, "train", ex("logreg.descent"), "--data", data.toString(), "--progress", "none").err());
        assertEquals(INCUBATOR, launch(tmp, "predict", ex("logreg.descent"), "--restore", ckpt.toString(), "--data", data.toString(),
                "--out", tmp.resolve("p.npy").toString()).err());
        assertEquals(INCUBATOR, launch(tmp, CliTest.args(new String[] {"run", "--backend", "compiled", ex("logreg.descent")}, feeds)).err());
        // The interpreter, asked for in either spelling or by --precision F64, and the other commands: a clean stderr.
        assertEquals("", launch(tmp, CliTest.args(new String[] {"run", ex("logreg.descent"), "--backend", "interpreter"}, feeds)).err());
        assertEquals("", launch(tmp, "train", ex("logreg.descent"), "--data", data.toString(), "--backend=interpreter",
                "--progress", "none").err());
        assertEquals(DefaultBackendTest.PRECISION_FALLBACK + "\n",
                launch(tmp, CliTest.args(new String[] {"run", ex("logreg.descent"), "--precision", "F64"}, feeds)).err());
        assertEquals("", launch(tmp, "check", ex("logreg.descent")).err());
        assertEquals("", launch(tmp, "compile", ex("logreg.descent"), "--emit", "plan").err());
        // A model jar carries the model's kernels, made with the module (so for the vector length applications run at).
        assertEquals(INCUBATOR, launch(tmp, "compile", ex("logreg.descent"), "-o", tmp.resolve("m.jar").toString()).err());
        assertEquals("", launch(tmp, "compile", ex("logreg.descent"), "--emit=kernels", "-o", tmp.resolve("k.txt").toString()).err());
        assertEquals("", launch(tmp, "inspect", ex("logreg.descent")).err());
        assertEquals("", launch(tmp, "run", "--help").err());
    }

    /**
     * bin/descent's class-data archives (cli/target/cds) change nothing but start time: a failed run leaves none, a
     * successful one leaves its command's archive and no temporary file, and runs that write, map or skip it
     * (DESCENT_CDS=off) print the same bytes.
     */
    @Test
    void classDataArchivesChangeNothingButStartTime(@TempDir Path tmp) throws Exception {
        Path dir = ROOT.resolve("cli/target/cds");
        for (Path p : archives(dir, "inspect-")) Files.delete(p);
        Run failed = launch(tmp, java.util.Map.of(), "inspect", tmp.resolve("missing.descent").toString());
        assertEquals(1, failed.code(), failed.err());
        assertEquals(List.of(), archives(dir, "inspect-"));
        Run writes = launch(tmp, "inspect", ex("mlp.descent"));
        assertEquals(1, archives(dir, "inspect-").size(), archives(dir, "inspect-").toString());
        Run maps = launch(tmp, "inspect", ex("mlp.descent"));
        Run off = launch(tmp, java.util.Map.of("DESCENT_CDS", "off"), "inspect", ex("mlp.descent"));
        assertEquals(0, off.code(), off.err());
        for (Run r : List.of(writes, maps)) {
            assertEquals(off.out(), r.out());
            assertEquals(off.err(), r.err());
        }
        assertEquals(List.of(), archives(dir, ".tmp"));
    }

    /**
     * Every class the command line loads from its jars can be archived: picocli's and ASM's Java 5 class files are
     * rewritten by the build as Java 8 ones (descent.cli.build.UpgradeClassFiles), since class-data sharing archives
     * no class older than version 50 nor any class that extends or implements one; a run that maps the archive loads
     * picocli's and ASM's classes from it.
     */
    @Test
    void theCommandLinesClassesAreArchived(@TempDir Path tmp) throws Exception {
        Path lib = ROOT.resolve("cli/target/lib");
        Assumptions.assumeTrue(Files.isDirectory(lib), "no " + lib);
        Assumptions.assumeFalse("off".equals(System.getenv("DESCENT_CDS")), "DESCENT_CDS=off: bin/descent keeps no archive");
        List<String> old = new ArrayList<>();
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).sorted().toList()) {
                try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile())) {
                    for (var e = in.entries(); e.hasMoreElements(); ) {
                        var entry = e.nextElement();
                        if (!entry.getName().endsWith(".class") || entry.getName().startsWith("META-INF/")) continue;
                        try (var bytes = in.getInputStream(entry)) {
                            byte[] head = bytes.readNBytes(8);
                            if (((head[6] & 0xFF) << 8 | head[7] & 0xFF) < 50) old.add(jar.getFileName() + "!" + entry.getName());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), old);
        String jar = tmp.resolve("mlp.jar").toString();
        launch(tmp, "compile", ex("mlp.descent"), "-o", jar); // writes the archive unless it is there
        Path log = tmp.resolve("classes.txt");
        Run maps = launch(tmp, java.util.Map.of("DESCENT_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "compile", ex("mlp.descent"),
                "-o", jar);
        assertEquals(0, maps.code(), maps.err());
        List<String> lines = Files.readAllLines(log);
        for (String cls : List.of("picocli.CommandLine ", "org.objectweb.asm.ClassVisitor ")) {
            String line = lines.stream().filter(l -> l.contains(" " + cls)).findFirst().orElse("(not loaded)");
            assertTrue(line.contains("shared objects file"), cls + ": " + line);
        }
    }

    /** The files in {@code dir} whose names contain {@code part}. */
    private static List<Path> archives(Path dir, String part) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().contains(part)).sorted().toList();
        }
    }

    /** A JVM started without the module (java -cp ... descent.cli.Main) still runs the compiled backend, on scalar kernels. */
    @Test
    void withoutTheVectorModuleTheCompiledBackendWarnsOnceAndRuns(@TempDir Path tmp) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run r = process(List.of(java, "-cp", System.getProperty("java.class.path"), "descent.cli.Main", "run", ex("mlp.descent"),
                "--train", "step", "--steps", "3", "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "labels=" + ex("data/mlp_labels.npy")), tmp);
        assertEquals(0, r.code(), r.err());
        assertEquals("descent: warning: jdk.incubator.vector is not available (run java with --add-modules jdk.incubator.vector);"
                + " compiled kernels use scalar loops\n", r.err());
        assertTrue(r.out().contains("loss = f32[] ["), r.out());
    }
}
