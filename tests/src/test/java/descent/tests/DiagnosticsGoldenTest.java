package descent.tests;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.diag.CompileException;
import descent.compiler.diag.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Pins what a user sees for each mistake: every {@code tests/golden/diagnostics/X.descent} is a small bad
 * model, and {@code X.expected} is the {@link CompileException} message for it (every diagnostic, rendered
 * against the file named {@code X.descent}, then the {@code N errors} line, then a newline, as
 * {@code bin/descent check} prints it). A bad file must fail with a CompileException and nothing else: any
 * other exception is a compiler bug (a stack trace would reach the user).
 *
 * <p>Regenerate after an intended change with {@code -Ddescent.regenerate=true} and read the diff: would a
 * user know exactly what to fix?
 */
class DiagnosticsGoldenTest {
    static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));
    static final Path DIR = ROOT.resolve("tests/golden/diagnostics");
    static final boolean REGENERATE = "true".equals(System.getProperty("descent.regenerate"));
    static final int MIN_FILES = 40;

    static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyBadModelGetsItsDiagnostics() throws IOException {
        List<Path> bad = files(DIR, ".descent");
        assertTrue(bad.size() >= MIN_FILES, "expected at least " + MIN_FILES + " bad model files in " + DIR + ", found " + bad.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : bad) {
            tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> checkOne(f)));
        }
        tests.add(DynamicTest.dynamicTest("every .expected has its .descent", () -> {
            for (Path e : files(DIR, ".expected")) {
                Path model = e.resolveSibling(e.getFileName().toString().replaceFirst("\\.expected$", ".descent"));
                assertTrue(Files.exists(model), e + " has no " + model.getFileName() + "; delete or rename it");
            }
        }));
        return tests.stream();
    }

    private static void checkOne(Path file) throws IOException {
        String name = file.getFileName().toString();
        String actual = diagnostics(name, Files.readString(file, StandardCharsets.UTF_8)) + "\n";
        Path expected = file.resolveSibling(name.replaceFirst("\\.descent$", ".expected"));
        if (REGENERATE) {
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
            return;
        }
        assertTrue(Files.exists(expected), "missing " + expected + "; run with -Ddescent.regenerate=true and review it");
        assertEquals(Files.readString(expected, StandardCharsets.UTF_8), actual, "diagnostics for " + name + " differ from " + expected);
    }

    /** The CompileException message for a bad model; fails on a clean check or any other exception. */
    private static String diagnostics(String name, String text) {
        try {
            Compiler.check(new Source(name, text));
        } catch (CompileException e) {
            assertTrue(e.getMessage().matches("(?s).*\\n\\d+ errors?"), name + ": the message must end with the error count");
            return e.getMessage();
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError(name + ": expected a CompileException, got " + e, e);
        }
        return fail(name + " checked cleanly, but it is a bad model");
    }

    @Test
    void goodExamplesCheckCleanly() throws IOException {
        List<Path> examples = files(ROOT.resolve("examples"), ".descent");
        assertTrue(!examples.isEmpty(), "no examples in " + ROOT.resolve("examples"));
        List<Executable> checks = new ArrayList<>();
        for (Path f : examples) {
            checks.add(() -> {
                String name = "examples/" + f.getFileName();
                try {
                    Compiler.check(new Source(name, Files.readString(f, StandardCharsets.UTF_8)));
                } catch (CompileException e) {
                    fail(name + " must check cleanly:\n" + e.getMessage());
                }
            });
        }
        assertAll(checks);
    }
}
