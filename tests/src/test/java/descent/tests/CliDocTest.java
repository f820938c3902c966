package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** docs/cli.md quotes every command's --help verbatim, for every command there is. */
class CliDocTest {
    @TestFactory
    Stream<DynamicTest> everyHelpTextIsCurrent() throws IOException {
        String doc = Files.readString(ExampleGoldenTest.ROOT.resolve("docs/cli.md"));
        Matcher m = Pattern.compile("## `descent (\\w+)`\\n\\n```text\\n(.*?)\\n```", Pattern.DOTALL).matcher(doc);
        List<DynamicTest> tests = new ArrayList<>();
        List<String> commands = new ArrayList<>();
        while (m.find()) {
            String command = m.group(1), text = m.group(2);
            commands.add(command);
            tests.add(DynamicTest.dynamicTest(command, () -> {
                CliTest.Result r = CliTest.descent(command, "--help");
                assertEquals(0, r.code());
                assertEquals(text, r.out().stripTrailing(), "docs/cli.md's `descent " + command + " --help`; regenerate it from the command");
            }));
        }
        assertTrue(commands.containsAll(List.of("check", "run", "compile", "inspect", "train", "predict")), commands.toString());
        return tests.stream();
    }
}
