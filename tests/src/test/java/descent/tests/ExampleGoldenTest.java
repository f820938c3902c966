package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.ast.AstPrinter;
import descent.compiler.schedule.PlanPrinter;
import descent.compiler.schedule.Scheduler;
import descent.compiler.diag.Source;
import descent.compiler.ir.IrPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Pins every pipeline stage's printout for every example: tests/golden/examples/NAME.{ast,ir,grad,plan,kernels}.
 * Regenerate after an intended change with {@code scripts/test.sh -pl tests -Ddescent.regenerate=true}
 * and review the diff.
 */
class ExampleGoldenTest {
    static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));
    static final boolean REGENERATE = Boolean.getBoolean("descent.regenerate");

    static List<Path> examples() throws IOException {
        try (Stream<Path> s = Files.walk(ROOT.resolve("examples"), 2)) {
            return s.filter(p -> p.toString().endsWith(".descent")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyStageOfEveryExample() throws IOException {
        List<Path> files = examples();
        assertTrue(files.size() >= 4, "expected at least 4 examples, found " + files);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString().replace(".descent", "");
            Source src = new Source(ROOT.resolve("examples").relativize(f).toString().replace('\\', '/').transform(n -> "examples/" + n),
                    Files.readString(f));
            tests.add(DynamicTest.dynamicTest(name + ".ast", () -> compare(name + ".ast", AstPrinter.print(Compiler.parse(src)))));
            tests.add(DynamicTest.dynamicTest(name + ".ir", () -> compare(name + ".ir", IrPrinter.print(Compiler.check(src)))));
            tests.add(DynamicTest.dynamicTest(name + ".grad",
                    () -> compare(name + ".grad", IrPrinter.printTraining(Compiler.check(src)))));
            tests.add(DynamicTest.dynamicTest(name + ".plan", () -> compare(name + ".plan", plans(Compiler.check(src)))));
            tests.add(DynamicTest.dynamicTest(name + ".kernels", () -> compare(name + ".kernels", kernels(Compiler.check(src)))));
        }
        return tests.stream();
    }

    static String plans(descent.compiler.ir.Model m) {
        StringBuilder sb = new StringBuilder();
        for (var t : m.trains()) {
            List<Integer> fetches = new ArrayList<>(m.outputs().values());
            if (t.lossNode() >= 0 && !fetches.contains(t.lossNode())) fetches.add(t.lossNode());
            sb.append(PlanPrinter.print(m, Scheduler.schedule(m, t, fetches))).append('\n');
        }
        return sb.toString();
    }

    static String kernels(descent.compiler.ir.Model m) {
        StringBuilder sb = new StringBuilder();
        for (var t : m.trains()) {
            List<Integer> fetches = new ArrayList<>(m.outputs().values());
            if (t.lossNode() >= 0 && !fetches.contains(t.lossNode())) fetches.add(t.lossNode());
            var plan = Scheduler.schedule(m, t, fetches);
            sb.append(descent.compiler.lower.KernelPrinter.print(m, t.name(), descent.compiler.lower.Lowering.lower(m, plan, fetches)))
                    .append('\n');
        }
        return sb.toString();
    }

    static void compare(String goldenName, String actual) throws IOException {
        compareIn("tests/golden/examples", goldenName, actual);
    }

    static void compareIn(String dir, String goldenName, String actual) throws IOException {
        Path golden = ROOT.resolve(dir).resolve(goldenName);
        if (REGENERATE) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        assertTrue(Files.exists(golden), "missing golden " + golden + "; run with -Ddescent.regenerate=true");
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), actual, "stage output differs from " + golden);
    }
}
