package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Without jdk.incubator.vector the same compiler emits scalar loops: one warning line, same results. */
class NoVectorApiBackendTest {
    @Test
    void scalarKernelsTrainLikeTheInterpreter() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), NoVectorApiBackendProbe.class.getName())
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals("OK", out, err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("descent: warning: jdk.incubator.vector")).count(), err);
    }
}
