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
 * root, and must exit 0 ({@code $ scripts/test.sh} is the command running this test, so it is skipped);
 * every block marked {@code <!-- output of: bin/descent ... -->} shows lines that command really prints,
 * in order.
 */
class ReadmeTest {
    @TestFactory
    Stream<DynamicTest> everyQuotedOutputIsReal() throws IOException {
        List<String> lines = Files.readAllLines(ExampleGoldenTest.ROOT.resolve("README.md"));
        List<DynamicTest> tests = new ArrayList<>();
        String marker = "<!-- output of: bin/descent ";
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith(marker)) continue;
            String cmd = lines.get(i).substring(marker.length(), lines.get(i).indexOf("-->")).strip();
            List<String> block = new ArrayList<>();
            for (int j = i + 2; j < lines.size() && !lines.get(j).startsWith("```"); j++) block.add(lines.get(j));
            tests.add(DynamicTest.dynamicTest(cmd, () -> {
                CliTest.Result r = CliTest.descent(cmd.split("\\s+"));
                assertEquals(0, r.code(), r.err());
                List<String> out = r.out().lines().toList();
                int at = 0;
                for (String want : block) {
                    while (at < out.size() && !out.get(at).equals(want)) at++;
                    assertTrue(at < out.size(), "README shows a line `" + cmd + "` does not print (in this order): " + want);
                    at++;
                }
            }));
        }
        assertTrue(tests.size() >= 2, "README quotes outputs");
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyReadmeCommandRuns() throws IOException {
        List<String> commands = new ArrayList<>();
        for (String line : Files.readAllLines(ExampleGoldenTest.ROOT.resolve("README.md"))) {
            if (line.startsWith("$ bin/descent ")) commands.add(line.substring("$ bin/descent ".length()).strip());
            if (line.startsWith("$ java ")) commands.add(line.substring(2).strip()); // a JDK tool line, run as a process
        }
        assertTrue(commands.size() >= 8, "README commands found: " + commands);
        assertTrue(Files.readString(ExampleGoldenTest.ROOT.resolve("README.md")).contains("$ scripts/test.sh"),
                "the README must show the test command");
        return commands.stream().map(cmd -> DynamicTest.dynamicTest(cmd, () -> {
            if (cmd.startsWith("java ")) {
                List<String> argv = new ArrayList<>(List.of(cmd.split("\\s+")));
                argv.set(0, java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), cmd + "\n" + out);
                return;
            }
            CliTest.Result r = CliTest.descent(cmd.split("\\s+"));
            assertEquals(0, r.code(), "bin/descent " + cmd + "\n" + r.err());
        }));
    }
}
