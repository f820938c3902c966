package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import descent.tests.app.JarApp;
import java.nio.charset.StandardCharsets;
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

    @Test
    void compileWithoutAnOutputSaysWhere() {
        CliTest.Result r = CliTest.descent("compile", CliTest.ex("logreg.descent"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("-o"), r.err());
    }
}
