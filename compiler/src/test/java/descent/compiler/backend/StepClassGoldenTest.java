package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * The generated step class of the logistic regression example, as ASM prints it (golden:
 * tests/golden/examples/logreg.step.bytecode; regenerate with -Ddescent.regenerate=true): one call per kernel
 * in the plan's order, each loading its buffers and calling its kernel (one thread, a batch of 4: every call is
 * written out), the writes that go through buffers, and nothing else. With use_locking the locks are
 * taken before the first action that reads locked state and released after its last write (or after the last
 * kernel that can fail, whose failure restores the writes under the locks).
 */
class StepClassGoldenTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    @Test
    void logregStepClass() throws Exception {
        String text = trace(executable(Files.readString(ROOT.resolve("examples/logreg.descent")), Set.of()).stepClassFile());
        compareGolden("logreg.step.bytecode", text, "step class");
    }

    /** {@code text} against tests/golden/examples/{@code name} (written instead with -Ddescent.regenerate=true). */
    private static void compareGolden(String name, String text, String what) throws java.io.IOException {
        Path golden = ROOT.resolve("tests/golden/examples").resolve(name);
        if (Boolean.getBoolean("descent.regenerate")) {
            Files.writeString(golden, text, StandardCharsets.UTF_8);
            return;
        }
        assertTrue(Files.exists(golden), "missing golden " + golden + "; run with -Ddescent.regenerate=true");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), text, what + " differs from " + golden);
    }

    /**
     * The model class of the logistic regression's jar on one thread (golden: tests/golden/examples/logreg.model.bytecode):
     * its train step and its outputs as segments, each run through the switch on {@code which}, and the constants of
     * each segment at its base in the class data.
     */
    @Test
    void logregModelClass() throws Exception {
        // Its split thresholds (and so its segments' digests) follow the vector length; the golden is of 16 floats.
        org.junit.jupiter.api.Assumptions.assumeTrue(descent.compiler.emit.MatmulEmitter.preferredVectorLength() == 16,
                "the golden model class is written for 16-float vectors");
        Model m = Compiler.check(ROOT.resolve("examples/logreg.descent"));
        Map<String, List<byte[]>> files = KernelRecording.record(m, List.of(1), (key, f) -> {}, new java.util.TreeMap<>());
        List<byte[]> model = files.entrySet().stream().filter(e -> ModelSteps.isClassKey(e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElseThrow();
        assertEquals(1, model.size());
        compareGolden("logreg.model.bytecode", trace(model.getFirst()), "model class");
    }

    @Test
    void locksSurroundTheLockedUpdates() throws Exception {
        String source = Files.readString(ROOT.resolve("examples/logreg.descent"))
                .replace("GradientDescentOptimizer(learning_rate=0.5)", "GradientDescentOptimizer(learning_rate=0.5, use_locking=true)");
        String text = trace(executable(source, Set.of("w", "b")).stepClassFile());
        int lock = text.indexOf("StepHooks.lock"), unlock = text.indexOf("StepHooks.unlock");
        assertTrue(lock > 0 && unlock > lock, text);
        assertEquals(lock, text.lastIndexOf("StepHooks.lock"), "locked once");
        // The forward pass reads w, so the locks are taken before the first call; released after the last update of w and b.
        assertTrue(lock < text.indexOf("LDC C0_"), text);
        String afterUnlock = text.substring(unlock, text.indexOf("RETURN", unlock));
        assertTrue(kernelCalls(text.substring(lock, unlock)) > 0, text);
        assertTrue(kernelCalls(afterUnlock) <= 1, "only global_step's increment follows the unlock:\n" + text);
    }

    /** Kernel calls in a stretch of traced bytecode: calls of a kernel's interface or of a closure, not of the hooks. */
    private static long kernelCalls(String bytecode) {
        return bytecode.lines().filter(l -> l.contains("INVOKEINTERFACE descent/compiler/emit/") && !l.contains("StepHooks")).count();
    }

    private static Executable executable(String source, Set<String> locked) {
        Model m = Compiler.check("logreg.descent", source);
        TrainStep t = m.trains().get(0);
        List<Integer> fetches = List.of(t.lossNode());
        return new Executable(m.graph(), Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches), Map.of("batch", 4), locked,
                fetches, StepThreads.SINGLE);
    }

    private static String trace(byte[] cls) {
        StringWriter verify = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(cls), false, new PrintWriter(verify));
        assertTrue(verify.toString().isEmpty(), verify.toString());
        StringWriter out = new StringWriter();
        new ClassReader(cls).accept(new TraceClassVisitor(new PrintWriter(out)), 0);
        return out.toString();
    }
}
