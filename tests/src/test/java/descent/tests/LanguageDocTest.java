package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.ast.AstPrinter;
import descent.compiler.autodiff.GradientPass;
import descent.compiler.diag.CompileException;
import descent.compiler.diag.Diagnostic;
import descent.compiler.diag.Source;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code docs/language.md} is the user's reference for the language; this keeps it true to the code.
 * <ul>
 *   <li>every {@code ```descent} block is a complete model and checks cleanly;</li>
 *   <li>every {@code ```descent-fragment} block checks cleanly after {@link #PRELUDE}, which the doc shows;</li>
 *   <li>every {@code ```descent-error} block fails to check, with each message its {@code # error: TEXT}
 *       comments announce; one followed by a {@code ```diagnostics} block must print exactly that;</li>
 *   <li>{@code ```ast}, {@code ```ir} and {@code ```grad} blocks are what {@code descent compile --emit} prints
 *       for the nearest {@code ```descent} block above them (in full, or in order where a line is {@code ...});</li>
 *   <li>every function, initializer, train-block function, optimizer method and train-block constant the
 *       checker knows is documented, and every function signature in the doc's tables binds as the code's
 *       does (parameter names, order, which are required, how many may be positional).</li>
 * </ul>
 */
class LanguageDocTest {

    /** What {@code descent-fragment} blocks are appended to; docs/language.md §0 shows it verbatim. */
    static final String PRELUDE = """
            model prelude

            input x:      f32[batch, 4]
            input y:      f32[batch, 3]
            input labels: i32[batch]
            input ids:    i32[batch]

            var w:   f32[4, 3]  = glorot_uniform(seed=1)
            var b:   f32[3]     = zeros()
            var emb: f32[10, 4] = random_normal(stddev=0.1, seed=2)
            var global_step: i64[] = 0 (trainable=false)

            logits = x @ w + b
            loss   = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            """;

    static final int MIN_EXAMPLES = 25;

    /** Info strings a fence may carry: a typo such as {@code ```descnet} would otherwise skip a check. */
    static final Set<String> KNOWN_KINDS = Set.of("", "descent", "descent-fragment", "descent-error", "diagnostics",
            "ast", "ir", "grad");

    /** Messages that mean a call did not bind to its parameters (Signature.bind). */
    static final List<String> BINDING_ERRORS = List.of("unexpected keyword argument", "missing the required argument",
            "multiple values for argument", "positional argument");

    record Block(int line, String kind, String arg, String text) {
        String where() { return "docs/language.md:" + line + " (```" + kind + (arg.isEmpty() ? "" : " " + arg) + ")"; }
    }

    static Path docPath() {
        String root = System.getProperty("descent.root");
        assertNotNull(root, "the tests module's surefire configuration passes -Ddescent.root");
        return Path.of(root, "docs", "language.md");
    }

    static String doc() {
        try {
            return Files.readString(docPath(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + docPath() + ": " + e, e);
        }
    }

    /** The fenced code blocks of the doc, in order. */
    static List<Block> blocks() {
        List<Block> out = new ArrayList<>();
        String[] lines = doc().split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("```")) continue;
            String[] info = lines[i].substring(3).strip().split("\\s+", 2);
            int start = i + 1;
            int end = start;
            while (end < lines.length && !lines[end].startsWith("```")) end++;
            if (end == lines.length) fail("docs/language.md:" + (i + 1) + ": code block is not closed");
            out.add(new Block(i + 1, info[0], info.length > 1 ? info[1].strip() : "",
                    String.join("\n", List.of(lines).subList(start, end)) + "\n"));
            i = end;
        }
        return out;
    }

    /** The rendered diagnostics of {@code text}, or null when it checks cleanly. */
    static String diagnostics(String name, String text) {
        CompileException e = failure(name, text);
        return e == null ? null : e.getMessage();
    }

    static CompileException failure(String name, String text) {
        try {
            Compiler.check(name, text);
            return null;
        } catch (CompileException e) {
            return e;
        }
    }

    /** The messages (with their hints) of a failure, without the echoed source lines, which hold the comments. */
    static List<String> messages(CompileException e) {
        List<String> out = new ArrayList<>();
        for (Diagnostic d : e.diagnostics()) out.add(d.message() + (d.hint() == null ? "" : "\n  = hint: " + d.hint()));
        return out;
    }

    static boolean hasOwnModelLine(String text) {
        for (String line : text.split("\n")) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            return s.startsWith("model ") || s.startsWith("model;") || s.equals("model");
        }
        return false;
    }

    static String withPrelude(String fragment) { return PRELUDE + "\n" + fragment; }

    // ---- the examples

    @TestFactory
    Stream<DynamicTest> everyExampleChecksAsItSays() {
        List<Block> all = blocks();
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Block b = all.get(i);
            Block next = i + 1 < all.size() ? all.get(i + 1) : null;
            switch (b.kind()) {
                case "descent" -> tests.add(DynamicTest.dynamicTest(b.where(), () -> {
                    String d = diagnostics("language.md:" + b.line(), b.text());
                    if (d != null) fail(b.where() + " is a complete model but does not check:\n" + d + "\n--- block:\n" + b.text());
                }));
                case "descent-fragment" -> tests.add(DynamicTest.dynamicTest(b.where(), () -> {
                    assertFalse(hasOwnModelLine(b.text()), b.where() + ": a fragment cannot have a `model` line; mark it ```descent");
                    String d = diagnostics("language.md:" + b.line() + "+prelude", withPrelude(b.text()));
                    if (d != null) {
                        fail(b.where() + " does not check after the prelude (line numbers count the prelude's "
                                + PRELUDE.split("\n", -1).length + " lines):\n" + d + "\n--- block:\n" + b.text());
                    }
                }));
                case "descent-error" -> tests.add(DynamicTest.dynamicTest(b.where(), () -> checkErrorBlock(b, next)));
                default -> { }
            }
        }
        return tests.stream();
    }

    private static void checkErrorBlock(Block b, Block next) {
        boolean own = hasOwnModelLine(b.text());
        String name = b.arg().isEmpty() ? "language.md:" + b.line() : b.arg();
        CompileException failure = failure(name, own ? b.text() : withPrelude(b.text()));
        if (failure == null) fail(b.where() + " is marked as an error example but checks cleanly:\n" + b.text());
        String d = failure.getMessage();
        List<String> messages = messages(failure);
        List<String> expected = new ArrayList<>();
        Matcher m = Pattern.compile("#\\s*error:\\s*(.+?)\\s*$", Pattern.MULTILINE).matcher(b.text());
        while (m.find()) expected.add(m.group(1));
        boolean shown = next != null && next.kind().equals("diagnostics");
        if (expected.isEmpty() && !shown) {
            fail(b.where() + ": say which error it shows with a `# error: MESSAGE` comment, or follow it with a ```diagnostics block");
        }
        for (String e : expected) {
            assertTrue(messages.stream().anyMatch(msg -> msg.contains(e)),
                    b.where() + ": expected a diagnostic containing \"" + e + "\", got:\n" + d);
        }
        if (shown) {
            assertEquals(next.text().stripTrailing(), d.stripTrailing(),
                    next.where() + " must be exactly what `descent check " + name + "` prints for the block above it");
        }
    }

    @Test
    void thereAreEnoughExamples() {
        long n = blocks().stream().filter(b -> b.kind().equals("descent") || b.kind().equals("descent-fragment")).count();
        assertTrue(n >= MIN_EXAMPLES, "docs/language.md has " + n + " ```descent / ```descent-fragment examples; at least "
                + MIN_EXAMPLES + " are expected");
    }

    @Test
    void everyFenceHasAKnownKind() {
        for (Block b : blocks()) {
            assertTrue(KNOWN_KINDS.contains(b.kind()), b.where() + ": unknown code block kind `" + b.kind() + "`; use one of "
                    + new TreeSet<>(KNOWN_KINDS));
            if (b.kind().equals("diagnostics")) continue;
            assertTrue(b.arg().isEmpty() || b.kind().equals("descent-error"),
                    b.where() + ": only ```descent-error blocks take a file name after the kind");
        }
    }

    @Test
    void thePreludeIsDocumented() {
        assertTrue(blocks().stream().anyMatch(b -> b.kind().equals("descent") && b.text().strip().equals(PRELUDE.strip())),
                "docs/language.md must show the prelude fragments assume, verbatim, in a ```descent block:\n" + PRELUDE);
        assertEquals(null, diagnostics("prelude", PRELUDE), "the prelude itself must check");
    }

    @Test
    void everyInternalLinkHasItsHeading() {
        Set<String> anchors = new TreeSet<>();
        boolean inBlock = false;
        for (String line : doc().split("\n")) {
            if (line.startsWith("```")) { inBlock = !inBlock; continue; }
            Matcher h = Pattern.compile("^#+\\s+(.*)$").matcher(line);
            if (!inBlock && h.matches()) {
                // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
                anchors.add(h.group(1).strip().toLowerCase().replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        Matcher link = Pattern.compile("\\]\\(#([^)]+)\\)").matcher(doc());
        Set<String> broken = new TreeSet<>();
        while (link.find()) if (!anchors.contains(link.group(1))) broken.add(link.group(1));
        assertTrue(broken.isEmpty(), "links to headings docs/language.md does not have: " + broken);
    }

    // ---- printed stages

    @TestFactory
    Stream<DynamicTest> printedStagesAreReal() {
        List<Block> all = blocks();
        List<DynamicTest> tests = new ArrayList<>();
        Block model = null;
        for (Block b : all) {
            if (b.kind().equals("descent")) model = b;
            if (!Set.of("ast", "ir", "grad").contains(b.kind())) continue;
            Block source = model;
            tests.add(DynamicTest.dynamicTest(b.where(), () -> {
                assertNotNull(source, b.where() + " needs a ```descent model above it");
                String name = "tiny.descent";
                String printed = switch (b.kind()) {
                    case "ast" -> AstPrinter.print(Compiler.parse(new Source(name, source.text())));
                    case "ir" -> IrPrinter.print(Compiler.check(name, source.text()));
                    default -> {
                        Model m = Compiler.check(name, source.text());
                        yield GradientPass.print(GradientPass.run(m));
                    }
                };
                assertExcerpt(b, printed);
            }));
        }
        assertFalse(tests.isEmpty(), "docs/language.md should show --emit output in ```ast / ```ir / ```grad blocks");
        return tests.stream();
    }

    /** The block's lines, whitespace-collapsed, are the printed lines: all of them, or in order around `...` lines. */
    private static void assertExcerpt(Block b, String printed) {
        List<String> want = normalized(b.text());
        List<String> have = normalized(printed);
        if (!want.contains("...")) {
            assertEquals(String.join("\n", have), String.join("\n", want), b.where() + " must be the whole printed stage");
            return;
        }
        int at = 0;
        for (String line : want) {
            if (line.equals("...")) continue;
            int found = -1;
            for (int j = at; j < have.size(); j++) {
                if (have.get(j).equals(line)) { found = j; break; }
            }
            if (found < 0) fail(b.where() + ": `" + line + "` is not printed (in this order); the stage prints:\n" + printed);
            at = found + 1;
        }
    }

    private static List<String> normalized(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String s = line.strip().replaceAll("\\s+", " ");
            if (!s.isEmpty()) out.add(s);
        }
        return out;
    }

    // ---- the function tables against the checker

    /** A static Set, or a static no-argument method returning a Set, or the keys of a static Map, of a checker class. */
    static Set<String> checkerNames(String className, String member) {
        try {
            Class<?> c = Class.forName("descent.compiler.check." + className);
            Object v;
            try {
                Method method = c.getDeclaredMethod(member);
                method.setAccessible(true);
                v = method.invoke(null);
            } catch (NoSuchMethodException e) {
                Field f = c.getDeclaredField(member);
                f.setAccessible(true);
                v = f.get(null);
            }
            Collection<?> items = v instanceof Map<?, ?> map ? map.keySet() : (Collection<?>) v;
            Set<String> out = new TreeSet<>();
            for (Object o : items) out.add((String) o);
            assertFalse(out.isEmpty(), className + "." + member + " is empty");
            return out;
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new AssertionError("LanguageDocTest reads the checker's name tables (" + className + "." + member
                    + ") to keep the doc complete; update it if they moved: " + e, e);
        }
    }

    static Set<String> modelFunctions() { return checkerNames("Ops", "names"); }
    static Set<String> initializers() { return checkerNames("Initializers", "SIGS"); }

    private static final Pattern TABLE_SIGNATURE = Pattern.compile("^\\|\\s*`([a-z_][a-z_0-9]*)\\(([^`]*)\\)`\\s*\\|",
            Pattern.MULTILINE);

    /** Function signatures from the first cell of the doc's table rows: name -> parameter list text. */
    static Map<String, String> documentedSignatures() {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = TABLE_SIGNATURE.matcher(doc());
        while (m.find()) {
            String prev = out.put(m.group(1), m.group(2).strip());
            if (prev != null) fail("docs/language.md documents `" + m.group(1) + "` in two table rows");
        }
        return out;
    }

    @Test
    void everyFunctionAndInitializerHasATableRow() {
        Set<String> documented = documentedSignatures().keySet();
        Set<String> missing = new TreeSet<>();
        for (String f : modelFunctions()) if (!documented.contains(f)) missing.add(f);
        for (String f : initializers()) if (!documented.contains(f)) missing.add(f);
        assertTrue(missing.isEmpty(), "functions the checker registers but docs/language.md has no table row for "
                + "(a row starting `| `name(params)` |`): " + missing);
    }

    @Test
    void everyTrainBlockNameIsDocumented() {
        String doc = doc();
        Set<String> missing = new TreeSet<>();
        for (String[] table : new String[][] {{"Ops", "TRAIN_FUNCTIONS"}, {"TrainResolver", "METHODS"},
                {"TrainResolver", "CONSTANTS"}}) {
            for (String n : checkerNames(table[0], table[1])) {
                if (!doc.contains("`" + n + "`") && !doc.contains("`" + n + "(")) missing.add(n);
            }
        }
        assertTrue(missing.isEmpty(), "train-block functions, methods and constants missing from docs/language.md: " + missing);
    }

    record Param(String name, boolean required) {}

    static List<Param> parseParams(String text) {
        List<Param> out = new ArrayList<>();
        if (text.isBlank()) return out;
        for (String p : text.split(",")) {
            String s = p.strip();
            int eq = s.indexOf('=');
            out.add(new Param(eq < 0 ? s : s.substring(0, eq).strip(), eq < 0));
        }
        return out;
    }

    /** Words of the grammar: a parameter so named (TF's `input`) can only be given positionally. */
    static final Set<String> RESERVED = Set.of("model", "input", "var", "output", "train", "for", "in", "true", "false",
            "True", "False", "None", "f32", "f64", "i32", "i64");

    /**
     * Each documented signature binds as the code's: probe calls with None arguments must hit (or avoid)
     * exactly the binding errors the documented parameter list predicts. Errors after binding (None is not
     * a tensor) are expected and ignored. Parameters named by a reserved word are passed positionally.
     */
    @TestFactory
    Stream<DynamicTest> documentedSignaturesMatchTheCode() {
        Set<String> functions = modelFunctions(), inits = initializers();
        Map<String, String> sigs = documentedSignatures();
        assertFalse(sigs.isEmpty(), "no function tables found in docs/language.md");
        return sigs.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey() + "(" + e.getValue() + ")", () -> {
            String f = e.getKey();
            boolean init = inits.contains(f);
            assertTrue(init || functions.contains(f), "docs/language.md documents `" + f + "`, which is neither a function "
                    + "nor an initializer the checker knows");
            List<Param> params = parseParams(e.getValue());
            Set<String> seen = new LinkedHashSet<>();
            for (Param p : params) assertTrue(seen.add(p.name()), f + ": parameter `" + p.name() + "` listed twice");
            int leadingReserved = 0;
            while (leadingReserved < params.size() && RESERVED.contains(params.get(leadingReserved).name())) leadingReserved++;
            for (int i = leadingReserved; i < params.size(); i++) {
                assertFalse(RESERVED.contains(params.get(i).name()), f + ": cannot probe reserved-word parameter `"
                        + params.get(i).name() + "` after others");
            }

            // 1. Every documented parameter exists (and, for functions, the keyword-only `name`).
            List<String> all = args(params, leadingReserved, null);
            if (!init) all.add("name=\"probe\"");
            assertNoBindingError(f, init, String.join(", ", all));

            // 2. Exactly the documented parameters may be given positionally.
            assertNoBindingError(f, init, String.join(", ", java.util.Collections.nCopies(params.size(), "None")));
            String tooMany = probe(f, init, String.join(", ", java.util.Collections.nCopies(params.size() + 1, "None")));
            assertTrue(tooMany != null && tooMany.contains("positional argument"),
                    f + " should not accept " + (params.size() + 1) + " positional arguments, as documented; got:\n" + tooMany);

            // 3. The parameters documented as required are the ones the code requires: leaving out any one
            //    of them is reported, and leaving out all the others is fine.
            List<String> requiredOnly = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                Param p = params.get(i);
                if (p.required()) requiredOnly.add(i < leadingReserved ? "None" : p.name() + "=None");
            }
            String d = probe(f, init, String.join(", ", requiredOnly));
            assertTrue(d == null || !d.contains("missing the required argument"),
                    f + ": only " + requiredOnly.size() + " parameter(s) are documented as required, but:\n" + d);
            for (int i = 0; i < params.size(); i++) {
                Param r = params.get(i);
                if (!r.required()) continue;
                if (i < leadingReserved && i != leadingReserved - 1) continue; // cannot leave out a middle positional
                String dr = probe(f, init, String.join(", ", args(params, i < leadingReserved ? i : leadingReserved, r)));
                assertTrue(dr != null && dr.contains("missing the required argument `" + r.name() + "`"),
                        f + ": `" + r.name() + "` is documented as required, but leaving it out gives:\n" + dr);
            }
        }));
    }

    /** None for every parameter but {@code omit}: the first {@code positional} by position, the rest by keyword. */
    private static List<String> args(List<Param> params, int positional, Param omit) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (p == omit) continue;
            out.add(i < positional ? "None" : p.name() + "=None");
        }
        return out;
    }

    private static String probe(String f, boolean init, String args) {
        String stmt = init ? "var probe__: f32[2, 2] = " + f + "(" + args + ")" : "probe__ = " + f + "(" + args + ")";
        String d = diagnostics("probe", withPrelude(stmt));
        if (d != null && d.contains("error: unexpected")) fail("the probe `" + stmt + "` does not parse:\n" + d);
        return d;
    }

    private static void assertNoBindingError(String f, boolean init, String args) {
        String d = probe(f, init, args);
        if (d == null) return;
        for (String line : d.split("\n")) {
            if (!line.contains(": error: ")) continue;
            for (String bad : BINDING_ERRORS) {
                assertFalse(line.contains(bad), f + "(" + args + ") should bind as documented, but: " + line);
            }
        }
    }
}
