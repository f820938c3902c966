package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Docs are code: every {@code $ bin/descent ...} line of the README runs, in order, from the repository
 * root, and must exit 0. ({@code $ scripts/test.sh} is the command running this test, so it is skipped.)
 */
class ReadmeTest {
    @TestFactory
    Stream<DynamicTest> everyReadmeCommandRuns() throws IOException {
        List<String> commands = new ArrayList<>();
        for (String line : Files.readAllLines(ExampleGoldenTest.ROOT.resolve("README.md"))) {
            if (line.startsWith("$ bin/descent ")) commands.add(line.substring("$ bin/descent ".length()).strip());
        }
        assertTrue(commands.size() >= 8, "README commands found: " + commands);
        assertTrue(Files.readString(ExampleGoldenTest.ROOT.resolve("README.md")).contains("$ scripts/test.sh"),
                "the README must show the test command");
        return commands.stream().map(cmd -> DynamicTest.dynamicTest(cmd, () -> {
            CliTest.Result r = CliTest.descent(cmd.split("\\s+"));
            assertEquals(0, r.code(), "bin/descent " + cmd + "\n" + r.err());
        }));
    }
}
