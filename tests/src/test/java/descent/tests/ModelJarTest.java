package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.TrainingSession;
import descent.tests.app.JarApp;
import descent.tests.app.KernelsApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `descent compile -o model.jar`: an application whose class path holds only the runtime (and itself)
 * loads the jar with a plain class loader and trains, getting the interpreter's numbers.
 */
class ModelJarTest {
    @Test
    void anApplicationWithOnlyTheRuntimeTrainsFromTheJar(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("logreg.jar");
        CliTest.Result r = CliTest.descent("compile", CliTest.ex("logreg.descent"), "-o", jar.toString(), "--package", "com.example");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("class com.example.Logreg"), r.out());

        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String app = Path.of(JarApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", runtime + java.io.File.pathSeparator + app,
                JarApp.class.getName(), jar.toString()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);

        // The same ten steps on the interpreter.
        TrainingSession s = new InterpretedModel(Compiler.check(ExampleGoldenTest.ROOT.resolve("examples/logreg.descent")), Precision.F32)
                .newSession(0);
        Map<String, Tensor> feeds = Map.of(
                "x", Tensor.of(new float[] {1, 2, 3, 4, -1, 0, 1, 2, 0.5f, -0.5f, 1, 0}, 3, 4),
                "y", Tensor.of(new float[] {1, 0, 1}, 3, 1));
        String[] got = out.split(" ");
        assertEquals("logreg", got[0], out + "\n" + err);
        for (int i = 0; i < 10; i++) {
            float want = s.train("step", feeds, List.of("loss")).get("loss").floats()[0];
            assertEquals(want, Float.parseFloat(got[i + 1]), 1e-5f * Math.max(1, Math.abs(want)), "step " + i);
        }
    }

    /**
     * The jar carries the class files of every kernel and every step class its model uses on one or two threads,
     * at any batch, and every executable as data: loaded in an application, it defines them, and generates and lowers
     * nothing, for every example (train steps, outputs, an empty batch included).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"logreg.descent", "mlp.descent", "autoencoder.descent", "embedding.descent",
            "spiral/spiral.descent"})
    void theJarCarriesEveryKernelItsModelUses(String example, @TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("model.jar");
        CliTest.Result r = CliTest.descent("compile", CliTest.ex(example), "-o", jar.toString());
        assertEquals(0, r.code(), r.err());
        selfSufficient(jar);
        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String app = Path.of(KernelsApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Ddescent.verifyKernels=true", "--add-modules", "jdk.incubator.vector", "-cp", runtime + java.io.File.pathSeparator + app,
                KernelsApp.class.getName(), jar.toString()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        String[] lines = out.split("\n");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("carried (\\d+) generated (\\d+)").matcher(lines[lines.length - 1].strip());
        assertTrue(m.matches(), out + "\n" + err);
        // The kernels the jar carries compute the bits the same model compiled in this JVM does.
        DescentModel here = new descent.compiler.backend.CompiledModel(Compiler.check(Path.of(CliTest.ex(example))));
        TrainingSession s = here.newSession(0, 1);
        Map<String, Tensor> feeds = KernelsApp.feeds(here.signature(), 5);
        String first = here.signature().trains().get(0).name();
        float loss = Float.NaN;
        for (int i = 0; i < 3; i++) loss = s.train(first, feeds, List.of("loss")).get("loss").floats()[0];
        assertEquals("loss " + Integer.toHexString(Float.floatToRawIntBits(loss)), lines[0].strip());
        assertTrue(Integer.parseInt(m.group(1)) > 5, "kernels defined from the jar: " + out);
        assertEquals("0", m.group(2), "kernels generated at load: " + out);
        // So does every step class: loading the jar generates no bytecode at all.
        java.util.regex.Matcher steps = java.util.regex.Pattern.compile("step classes carried (\\d+) generated (\\d+)")
                .matcher(lines[lines.length - 2].strip());
        assertTrue(steps.matches(), out);
        assertTrue(Integer.parseInt(steps.group(1)) >= 2, "step classes defined from the jar: " + out);
        assertEquals("0", steps.group(2), "step classes generated at load: " + out);
        // And every executable: the jar's steps are data it reads, not lowered from the model again.
        java.util.regex.Matcher executables = java.util.regex.Pattern.compile("executables carried (\\d+) lowered (\\d+)")
                .matcher(lines[lines.length - 3].strip());
        assertTrue(executables.matches(), out);
        assertTrue(Integer.parseInt(executables.group(1)) >= 2, "executables built from the jar: " + out);
        assertEquals("0", executables.group(2), "executables lowered at load: " + out);
    }

    /**
     * The jar carries no front end (the checked model stands in for it), and every class its classes refer to is
     * in the jar, the JDK or Descent's runtime: no class can fail to load in an application.
     */
    static void selfSufficient(Path jar) throws Exception {
        java.util.Map<String, byte[]> classes = new java.util.HashMap<>();
        try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile())) {
            for (var e : java.util.Collections.list(f.entries())) {
                if (e.getName().endsWith(".class")) {
                    classes.put(e.getName().substring(0, e.getName().length() - 6), f.getInputStream(e).readAllBytes());
                }
            }
        }
        for (String front : List.of("org/antlr/", "descent/grammar/", "descent/compiler/ast/", "descent/compiler/check/",
                "descent/compiler/autodiff/", "descent/compiler/Compiler")) {
            assertTrue(classes.keySet().stream().noneMatch(n -> n.startsWith(front)), "the jar carries " + front);
        }
        java.util.Set<String> missing = new java.util.TreeSet<>();
        for (byte[] file : classes.values()) {
            org.objectweb.asm.commons.Remapper check = new org.objectweb.asm.commons.Remapper(org.objectweb.asm.Opcodes.ASM9) {
                @Override public String map(String name) {
                    String n = name.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
                    boolean provided = n.length() <= 1 || n.startsWith("java/") || n.startsWith("jdk/") || n.startsWith("descent/runtime/");
                    if (!provided && !classes.containsKey(n)) missing.add(n);
                    return name;
                }
            };
            // Into a writer, so that method bodies and fields are visited too.
            new org.objectweb.asm.ClassReader(file).accept(new org.objectweb.asm.commons.ClassRemapper(
                    new org.objectweb.asm.ClassWriter(0), check), 0);
        }
        assertTrue(missing.isEmpty(), "classes referred to but not in the jar: " + missing);
    }

    /**
     * {@code --threads}: the jar carries the kernels of sessions of the counts listed. With 3 listed, three-thread
     * sessions generate none; with only 2, they generate their split kernels (mlp's 32 hidden rows split in three
     * blocks of 16, 8 and 8, in two of 16).
     */
    @Test
    void threadsSaysWhichSessionsKernelsTheJarCarries(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("mlp.jar");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString(), "--threads", "1,3").code());
        assertEquals("0", kernelsApp(jar, "1,3")[1], "generated by one- and three-thread sessions");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString(), "--threads", "2").code());
        assertEquals("0", kernelsApp(jar, "2")[1], "generated by two-thread sessions");
        assertTrue(Integer.parseInt(kernelsApp(jar, "3")[1]) > 0, "generated by three-thread sessions");
        CliTest.Result bad = CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString(), "--threads", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--threads takes thread counts from 1"), bad.err());
    }

    /**
     * A damaged or edited jar does not run the wrong kernels: with two of its kernels' entries swapped in the
     * index, and a third kernel's bytes replaced by garbage, those kernels are refused (one warning line each kind)
     * and generated, and the losses keep their bits.
     */
    @Test
    void kernelsThatAreNotTheirKeysAreRefused(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("mlp.jar"), edited = tmp.resolve("edited.jar");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString()).code());
        String good = kernelsAppOutput(jar, "1")[0];
        edit(jar, edited, (name, bytes) -> {
            if (name.equals("META-INF/descent/kernels.index")) {
                String text = new String(bytes, StandardCharsets.UTF_8);
                // Two elementwise kernels' class files trade places.
                java.util.List<String> elementwise = java.util.regex.Pattern.compile("descent/compiler/emit/Kernel\\d+_Elementwise\\.class")
                        .matcher(text).results().map(java.util.regex.MatchResult::group).toList();
                assertTrue(elementwise.size() >= 2, text);
                text = text.replace(elementwise.get(0), "@").replace(elementwise.get(1), elementwise.get(0)).replace("@", elementwise.get(1));
                return text.getBytes(StandardCharsets.UTF_8);
            }
            return name.matches("descent/compiler/emit/Kernel\\d+_VectorMatmul.*") ? "garbage".getBytes(StandardCharsets.UTF_8) : bytes;
        });
        String[] run = kernelsAppOutput(edited, "1");
        assertEquals(good, run[0], "the loss's bits");
        assertTrue(run[1].contains("is not the one its index lists"), run[1]);
        assertTrue(run[1].contains("is not a class file"), run[1]);
    }

    /**
     * A jar whose checked model was swapped for another's (relu → tanh, same nodes) runs the model it holds: its
     * executables name the model they were lowered from and are not used for another (a review found the old model's
     * steps running silently, with another hidden width an IndexOutOfBoundsException).
     */
    @Test
    void executablesOfAnotherModelAreNotUsed(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("mlp.jar"), other = tmp.resolve("tanh.jar"), edited = tmp.resolve("edited.jar");
        Path tanh = tmp.resolve("mlp.descent");
        java.nio.file.Files.writeString(tanh, java.nio.file.Files.readString(Path.of(CliTest.ex("mlp.descent"))).replace("relu(", "tanh("));
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString()).code());
        assertEquals(0, CliTest.descent("compile", tanh.toString(), "-o", other.toString()).code());
        String relu = kernelsAppOutput(jar, "1")[0], expected = kernelsAppOutput(other, "1")[0];
        assertTrue(!relu.equals(expected), relu);
        byte[] tanhIr;
        try (java.util.jar.JarFile f = new java.util.jar.JarFile(other.toFile())) {
            tanhIr = f.getInputStream(f.getEntry("META-INF/descent/mlp.ir")).readAllBytes();
        }
        edit(jar, edited, (name, bytes) -> name.equals("META-INF/descent/mlp.ir") ? tanhIr : bytes);
        String[] run = kernelsAppOutput(edited, "1");
        assertEquals(expected, run[0], "the loss's bits");
        assertTrue(run[1].contains("another model's"), run[1]);
    }

    /** Copies {@code jar} to {@code edited}, each entry's bytes as {@code change} gives them from its name and bytes. */
    private static void edit(Path jar, Path edited, java.util.function.BiFunction<String, byte[], byte[]> change) throws java.io.IOException {
        try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile());
             java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(edited))) {
            for (var e : java.util.Collections.list(in.entries())) {
                out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                out.write(change.apply(e.getName(), in.getInputStream(e).readAllBytes()));
                out.closeEntry();
            }
        }
    }

    /** KernelsApp's first line (the loss's bits) for {@code jar} on sessions of {@code threads}, and its stderr. */
    private static String[] kernelsAppOutput(Path jar, String threads) throws Exception {
        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String app = Path.of(KernelsApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path err = java.nio.file.Files.createTempFile("kernels", ".err");
        Process p = new ProcessBuilder(javaBin, "-Ddescent.verifyKernels=true", "--add-modules", "jdk.incubator.vector", "-cp", runtime + java.io.File.pathSeparator + app,
                KernelsApp.class.getName(), jar.toString(), threads).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), out + java.nio.file.Files.readString(err));
        return new String[] {out.split("\n")[0], java.nio.file.Files.readString(err)};
    }

    /** KernelsApp's counts for {@code jar} on sessions of {@code threads}: {carried, generated}. */
    private static String[] kernelsApp(Path jar, String threads) throws Exception {
        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String app = Path.of(KernelsApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Ddescent.verifyKernels=true", "--add-modules", "jdk.incubator.vector", "-cp", runtime + java.io.File.pathSeparator + app,
                KernelsApp.class.getName(), jar.toString(), threads).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application finished");
        String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("carried (\\d+) generated (\\d+)").matcher(lines[lines.length - 1].strip());
        assertTrue(m.matches(), String.join("\n", lines));
        return new String[] {m.group(1), m.group(2)};
    }

    /** The same model compiled twice (other models compiled in between, in this JVM) gives the same bytes. */
    @Test
    void compilingTwiceWritesTheSameJar(@TempDir Path tmp) throws Exception {
        Path one = tmp.resolve("one.jar"), two = tmp.resolve("two.jar");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", one.toString()).code());
        assertEquals(0, CliTest.descent("compile", CliTest.ex("autoencoder.descent"), "-o", tmp.resolve("other.jar").toString()).code());
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", two.toString()).code());
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.nio.file.Files.readAllBytes(one), java.nio.file.Files.readAllBytes(two));
    }

    /** The typed façade: application code compiled by javac against the jar calls step(...) and prob(...). */
    @Test
    void javacChecksApplicationCodeAgainstTheTypedFacade(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("logreg.jar");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("logreg.descent"), "-o", jar.toString(), "--package", "com.example").code());
        Path src = tmp.resolve("TypedApp.java");
        java.nio.file.Files.writeString(src, """
                import com.example.Logreg;
                import descent.runtime.api.TrainingSession;
                public class TypedApp {
                    public static void main(String[] args) {
                        Logreg model = new Logreg();
                        TrainingSession session = model.newSession(0);
                        float[] x = {1, 2, 3, 4, -1, 0, 1, 2, 0.5f, -0.5f, 1, 0};
                        float[] y = {1, 0, 1};
                        StringBuilder out = new StringBuilder();
                        for (int i = 0; i < 10; i++) out.append(model.step(session, x, y)).append(' ');
                        out.append(model.prob(session, x).length);
                        System.out.println(out);
                        // The façade keeps the feeds of the last arrays it was given: refilled arrays must be
                        // read afresh, other arrays (another batch size) rebuild them, and a bad call must
                        // leave them usable.
                        float before = model.prob(session, x)[0];
                        x[0] = 40;
                        float refilled = model.prob(session, x)[0];
                        int otherBatch = model.prob(session, new float[] {1, 2, 3, 4, 5, 6, 7, 8}).length;
                        model.prob(session, x);
                        String bad;
                        try { model.prob(session, new float[5]); bad = "accepted"; }
                        catch (descent.runtime.DescentException e) { bad = "refused"; }
                        System.out.println((refilled != before) + " " + otherBatch + " " + bad + " " + model.prob(session, x).length);
                    }
                }
                """);
        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String cp = runtime + java.io.File.pathSeparator + jar;
        int javac = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", cp, "-d", tmp.toString(), src.toString());
        assertEquals(0, javac, "javac compiled the application against the façade");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector", "-cp",
                cp + java.io.File.pathSeparator + tmp, "TypedApp").start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        String out = lines[0].strip();
        assertEquals("true 2 refused 3", lines.length > 1 ? lines[1].strip() : "", "the façade's cached feeds");
        String[] got = out.split(" ");
        assertEquals(11, got.length, out);
        assertEquals((float) Math.log(2), Float.parseFloat(got[0]), 1e-6f, "zero weights: the first loss is ln 2");
        assertTrue(Float.parseFloat(got[9]) < Float.parseFloat(got[0]), "the loss falls: " + out);
        assertEquals("3", got[10], "prob has one value per row");
    }

    /** An f64 model through the typed façade (double[] in, double out): the interpreter's bits. */
    @Test
    void anF64ModelTrainsThroughItsTypedFacade(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("lin64.descent"), jar = tmp.resolve("lin64.jar");
        String text = DefaultBackendTest.LIN64;
        java.nio.file.Files.writeString(model, text);
        CliTest.Result r = CliTest.descent("compile", model.toString(), "-o", jar.toString(), "--package", "com.example");
        assertEquals(0, r.code(), r.err());
        Path src = tmp.resolve("Lin64App.java");
        java.nio.file.Files.writeString(src, """
                import com.example.Lin64;
                import descent.runtime.api.TrainingSession;
                public class Lin64App {
                    public static void main(String[] args) {
                        Lin64 model = new Lin64();
                        TrainingSession session = model.newSession(0);
                        double[] x = {1, 2, 3, 4, 5, 6, 0.5, -1};
                        StringBuilder out = new StringBuilder();
                        for (int i = 0; i < 5; i++) out.append(Double.doubleToRawLongBits(model.step(session, x))).append(' ');
                        out.append(model.y(session, x).length);
                        System.out.println(out);
                    }
                }
                """);
        String runtime = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String cp = runtime + java.io.File.pathSeparator + jar;
        assertEquals(0, javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", cp, "-d", tmp.toString(), src.toString()));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", cp + java.io.File.pathSeparator + tmp,
                "Lin64App").start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        TrainingSession s = new InterpretedModel(Compiler.check("lin64.descent", text), Precision.F32).newSession(0);
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 0.5, -1}, 4, 2));
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 5; i++) want.append(Double.doubleToRawLongBits(s.train("step", feeds, List.of("loss")).get("loss").getDouble(0))).append(' ');
        assertEquals(want + "4", out);
    }

    @Test
    void compileWithoutAnOutputSaysWhere() {
        CliTest.Result r = CliTest.descent("compile", CliTest.ex("logreg.descent"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("-o"), r.err());
    }

    /** A package javac could not name or a class loader may not define is refused before anything is compiled. */
    @Test
    void aPackageMustBeOneAJvmLoads(@TempDir Path tmp) throws Exception {
        for (String bad : new String[] {"1abc", "bad package", "com.class", "com..example", "java.lang", "java"}) {
            Path jar = tmp.resolve("m.jar");
            CliTest.Result r = CliTest.descent("compile", CliTest.ex("logreg.descent"), "-o", jar.toString(), "--package", bad);
            assertEquals(2, r.code(), "an option value out of range is a usage error");
            assertTrue(r.err().contains(bad.startsWith("java") ? "only the JDK may define" : "is not a Java package name"), r.err());
            assertTrue(!Files.exists(jar));
        }
    }

    /** DESIGN.md's contract: run (and train, predict, inspect) take MODEL.descent or MODEL.jar, with the same results. */
    @Test
    void theCommandsTakeAModelJarAsTheyTakeItsFile(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("mlp.jar");
        assertEquals(0, CliTest.descent("compile", CliTest.ex("mlp.descent"), "-o", jar.toString()).code());
        String[] feeds = {"--train", "step", "--steps", "20", "--feed", "x=" + CliTest.ex("data/mlp_x.npy"),
                "--feed", "labels=" + CliTest.ex("data/mlp_labels.npy")};
        CliTest.Result fromFile = CliTest.descent(CliTest.args(new String[] {"run", CliTest.ex("mlp.descent")}, feeds));
        CliTest.Result fromJar = CliTest.descent(CliTest.args(new String[] {"run", jar.toString()}, feeds));
        assertEquals(0, fromJar.code(), fromJar.err());
        assertEquals(fromFile.out(), fromJar.out());
        assertEquals("", fromJar.err(), "the jar's kernels run: no warning");
        CliTest.Result interpreted = CliTest.descent(CliTest.args(new String[] {"run", jar.toString(), "--backend", "interpreter"}, feeds));
        assertEquals("", interpreted.err(), "the interpreter runs the jar's checked model; the jar is not loaded");
        assertEquals(CliTest.descent(CliTest.args(new String[] {"run", CliTest.ex("mlp.descent"), "--backend", "interpreter"}, feeds)).out(),
                interpreted.out());
        assertEquals(CliTest.descent("inspect", CliTest.ex("mlp.descent")).out(), CliTest.descent("inspect", jar.toString()).out());

        Path data = TrainCliTest.mlpData(tmp);
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        TrainCliTest.ok("train", CliTest.ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--save", a.toString());
        TrainCliTest.ok("train", jar.toString(), "--data", data.toString(), "--train", "step", "--save", b.toString());
        assertArrayEquals(descent.runtime.SafeTensors.read(a).get("w1").floats(), descent.runtime.SafeTensors.read(b).get("w1").floats());
        Path pa = tmp.resolve("pa.npy"), pb = tmp.resolve("pb.npy");
        TrainCliTest.ok("predict", CliTest.ex("mlp.descent"), "--restore", a.toString(), "--data", data.toString(), "--out", pa.toString());
        TrainCliTest.ok("predict", jar.toString(), "--restore", a.toString(), "--data", data.toString(), "--out", pb.toString());
        assertArrayEquals(Files.readAllBytes(pa), Files.readAllBytes(pb));

        Path notAModel = tmp.resolve("other.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(notAModel))) {
            out.putNextEntry(new java.util.jar.JarEntry("a.txt"));
        }
        Path notAJar = Files.writeString(tmp.resolve("text.jar"), "not a jar");
        TrainErrorsTest.fails(tmp, notAModel + ": not a Descent model jar (its manifest names no Descent-Model-Class)",
                "run", notAModel.toString());
        TrainErrorsTest.fails(tmp, notAJar + ": not a jar file", "inspect", notAJar.toString());
        TrainErrorsTest.fails(tmp, tmp.resolve("none.jar") + ": no such file", "run", tmp.resolve("none.jar").toString());
    }
}
