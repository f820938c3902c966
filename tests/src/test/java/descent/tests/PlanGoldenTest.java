package descent.tests;

import descent.compiler.Compiler;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden plans of one model under every gate mode x aggregation method (tests/golden/plans/), so a change
 * to scheduling or aggregation shows up as a reviewed diff. Regenerate with -Ddescent.regenerate=true.
 */
class PlanGoldenTest {
    @TestFactory
    Stream<DynamicTest> everyGateModeAndAggregation() throws IOException {
        String template = Files.readString(ExampleGoldenTest.ROOT.resolve("tests/golden/plans/model.descent.template"));
        List<DynamicTest> tests = new ArrayList<>();
        for (String gate : List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH")) {
            for (String agg : List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N")) {
                String name = gate.toLowerCase() + "-" + agg.toLowerCase();
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Model m = Compiler.check(name + ".descent", template.replace("GATE,", gate + ",")
                            .replace("AGGREGATION)", agg + ")"));
                    ExampleGoldenTest.compareIn("tests/golden/plans", name + ".plan",
                            IrPrinter.printTraining(m) + "\n" + ExampleGoldenTest.plans(m));
                }));
            }
        }
        return tests.stream();
    }
}
