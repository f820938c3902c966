package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import descent.compiler.Compiler;
import descent.compiler.diag.CompileException;
import descent.compiler.diag.Diagnostic;
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
 *   <li>every {@code ```descent} block is a complete model and checks cleanly (there must be at least
 *       {@value #MIN_EXAMPLES} examples, counting fragments);</li>
 *   <li>every {@code ```descent-fragment} block checks cleanly after {@link #PRELUDE}, which the doc shows;</li>
 *   <li>every {@code ```descent-error} block fails to check, with each message its {@code # error: TEXT}
 *       comments announce; one followed by a {@code ```diagnostics} block is what {@code descent check}
 *       prints, exactly;</li>
 *   <li>{@code ```ast}, {@code ```ir}, {@code ```grad} and {@code ```plan} blocks are what {@code descent
 *       compile --emit} prints for the nearest {@code ```descent} block above them (in full, or in order
 *       around {@code ...} lines);</li>
 *   <li>every function, schedule, clipping function, initializer, optimizer, optimizer method and constant
 *       the checker registers is documented, and every signature in the doc's tables binds as the code's
 *       does (parameter names, order, which are required, how many may be positional);</li>
 *   <li>every {@code (#anchor)} link has its heading.</li>
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
            "ast", "ir", "grad", "plan");

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
            assertTrue(own && !b.arg().isEmpty(), b.where() + ": a block followed by ```diagnostics must be a whole model "
                    + "with a file name (```descent-error FILE.descent)");
            Run r = descent(b.arg(), b.text(), "check");
            assertEquals(1, r.code(), "descent check " + b.arg() + " should exit 1");
            assertEquals(next.text().stripTrailing(), r.err().stripTrailing(),
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

    /** What `descent ARGS...` prints (stdout, stderr) and its exit code, for a model file written to a temp dir. */
    record Run(int code, String out, String err) {}

    static Run descent(String fileName, String text, String... args) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("language-doc");
            Path file = dir.resolve(fileName);
            Files.writeString(file, text, StandardCharsets.UTF_8);
            java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
            String[] full = new String[args.length + 1];
            full[0] = args[0];
            full[1] = file.toString();
            System.arraycopy(args, 1, full, 2, args.length - 1);
            int code = descent.cli.Main.execute(full, new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
            String prefix = dir.toString() + java.io.File.separator;
            return new Run(code, out.toString().replace(prefix, ""), err.toString().replace(prefix, ""));
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            if (dir != null) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.toList()) Files.deleteIfExists(f);
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // A temp dir left behind is harmless.
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> printedStagesAreReal() {
        List<Block> all = blocks();
        List<DynamicTest> tests = new ArrayList<>();
        Block model = null;
        for (Block b : all) {
            if (b.kind().equals("descent")) model = b;
            if (!Set.of("ast", "ir", "grad", "plan").contains(b.kind())) continue;
            Block source = model;
            tests.add(DynamicTest.dynamicTest(b.where(), () -> {
                assertNotNull(source, b.where() + " needs a ```descent model above it");
                Run r = descent("tiny.descent", source.text(), "compile", "--emit", b.kind());
                assertEquals(0, r.code(), "descent compile --emit " + b.kind() + " failed:\n" + r.err());
                assertExcerpt(b, r.out());
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

    /** Model functions: the op library and the schedules / clipping functions (callable anywhere). */
    static Set<String> modelFunctions() {
        Set<String> out = new TreeSet<>(checkerNames("Ops", "names"));
        out.addAll(checkerNames("TrainFunctions", "names"));
        return out;
    }

    static Set<String> initializers() { return checkerNames("Initializers", "SIGS"); }
    static Set<String> optimizers() { return checkerNames("OptimizerCatalog", "TABLE"); }
    static Set<String> methods() { return checkerNames("TrainLowering", "METHODS"); }
    static Set<String> constants() { return checkerNames("Checker", "CONSTANTS"); }

    enum Kind { FUNCTION, INITIALIZER, OPTIMIZER, METHOD }

    /** A signature documented in the first cell of a table row: `name(params)` or `opt.name(params)`. */
    record Documented(String name, String params, boolean method) {}

    private static final Pattern TABLE_SIGNATURE = Pattern.compile(
            "^\\|\\s*`(opt\\.)?([A-Za-z_][A-Za-z_0-9]*)\\(([^`]*)\\)`\\s*\\|", Pattern.MULTILINE);

    /** Function signatures from the first cell of the doc's table rows, by name. */
    static Map<String, Documented> documentedSignatures() {
        Map<String, Documented> out = new LinkedHashMap<>();
        Matcher m = TABLE_SIGNATURE.matcher(doc());
        while (m.find()) {
            Documented d = new Documented(m.group(2), m.group(3).strip(), m.group(1) != null);
            if (out.put(d.name(), d) != null) fail("docs/language.md documents `" + d.name() + "` in two table rows");
        }
        return out;
    }

    @Test
    void everyCallableHasATableRow() {
        Map<String, Documented> documented = documentedSignatures();
        Set<String> missing = new TreeSet<>();
        for (Set<String> names : List.of(modelFunctions(), initializers(), optimizers())) {
            for (String f : names) if (!documented.containsKey(f) || documented.get(f).method()) missing.add(f);
        }
        for (String m : methods()) if (!documented.containsKey(m) || !documented.get(m).method()) missing.add("opt." + m);
        assertTrue(missing.isEmpty(), "names the checker registers but docs/language.md has no table row for "
                + "(a row starting `| `name(params)` |`, or `| `opt.name(params)` |` for methods): " + missing);
    }

    @Test
    void everyConstantIsDocumented() {
        String doc = doc();
        Set<String> missing = new TreeSet<>();
        for (String n : constants()) if (!doc.contains("`" + n + "`")) missing.add(n);
        assertTrue(missing.isEmpty(), "constants missing from docs/language.md: " + missing);
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

    /** An optional `name` (TF's op name) is keyword-only (Signature); a required one (get_slot's) is not. */
    static final String KEYWORD_ONLY = "name";

    /** Functions without TF's `name=` op name: TF classes rather than ops. */
    static final Set<String> NO_NAME = Set.of("IndexedSlices");

    /**
     * Each documented signature binds as the code's: probe calls with None arguments must hit (or avoid)
     * exactly the binding errors the documented parameter list predicts. Errors after binding (None is not
     * a tensor) are expected and ignored. Parameters named by a reserved word are passed positionally,
     * `name` by keyword.
     */
    @TestFactory
    Stream<DynamicTest> documentedSignaturesMatchTheCode() {
        Set<String> functions = modelFunctions(), inits = initializers(), opts = optimizers(), meths = methods();
        Map<String, Documented> sigs = documentedSignatures();
        assertFalse(sigs.isEmpty(), "no function tables found in docs/language.md");
        return sigs.values().stream().map(doc -> DynamicTest.dynamicTest(
                (doc.method() ? "opt." : "") + doc.name() + "(" + doc.params() + ")", () -> {
            String f = doc.name();
            Kind kind = doc.method() ? Kind.METHOD : inits.contains(f) ? Kind.INITIALIZER : opts.contains(f) ? Kind.OPTIMIZER
                    : Kind.FUNCTION;
            assertTrue(doc.method() ? meths.contains(f) : kind != Kind.FUNCTION || functions.contains(f),
                    "docs/language.md documents `" + (doc.method() ? "opt." : "") + f + "`, which the checker does not know");
            List<Param> params = parseParams(doc.params());
            Set<String> seen = new LinkedHashSet<>();
            for (Param p : params) assertTrue(seen.add(p.name()), f + ": parameter `" + p.name() + "` listed twice");
            int leadingReserved = 0;
            while (leadingReserved < params.size() && RESERVED.contains(params.get(leadingReserved).name())) leadingReserved++;
            for (int i = leadingReserved; i < params.size(); i++) {
                assertFalse(RESERVED.contains(params.get(i).name()), f + ": cannot probe reserved-word parameter `"
                        + params.get(i).name() + "` after others");
            }
            List<Param> positional = params.stream().filter(p -> !p.name().equals(KEYWORD_ONLY) || p.required()).toList();

            // 1. Every documented parameter exists (and, for functions, the keyword-only `name`).
            List<String> all = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) all.add(i < leadingReserved ? "None" : params.get(i).name() + "=None");
            if (kind == Kind.FUNCTION && !seen.contains(KEYWORD_ONLY) && !NO_NAME.contains(f)) all.add("name=\"probe\"");
            assertNoBindingError(kind, f, String.join(", ", all));

            // 2. Exactly the documented parameters but an optional `name` may be given positionally.
            List<String> byPosition = new ArrayList<>(java.util.Collections.nCopies(positional.size(), "None"));
            assertNoBindingError(kind, f, String.join(", ", byPosition));
            List<String> tooMany = new ArrayList<>(java.util.Collections.nCopies(positional.size() + 1, "None"));
            String d = probe(kind, f, String.join(", ", tooMany));
            assertTrue(d != null && d.contains("positional argument"),
                    f + " should not accept " + tooMany.size() + " positional arguments, as documented; got:\n" + d);

            // 3. The parameters documented as required are the ones the code requires: leaving out all the
            //    others is fine, and leaving out any one of them is reported.
            List<String> requiredOnly = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                Param p = params.get(i);
                if (p.required()) requiredOnly.add(i < leadingReserved ? "None" : p.name() + "=None");
            }
            d = probe(kind, f, String.join(", ", requiredOnly));
            assertTrue(d == null || !d.contains("missing the required argument"),
                    f + ": only " + requiredOnly.size() + " parameter(s) are documented as required, but:\n" + d);
            for (int i = 0; i < params.size(); i++) {
                Param r = params.get(i);
                if (!r.required()) continue;
                if (i < leadingReserved && i != leadingReserved - 1) continue; // cannot leave out a middle positional
                List<String> args = new ArrayList<>();
                int byPos = i < leadingReserved ? i : leadingReserved;
                for (int j = 0; j < params.size(); j++) {
                    if (j == i) continue;
                    args.add(j < byPos ? "None" : params.get(j).name() + "=None");
                }
                String dr = probe(kind, f, String.join(", ", args));
                assertTrue(dr != null && dr.contains("missing the required argument `" + r.name() + "`"),
                        f + ": `" + r.name() + "` is documented as required, but leaving it out gives:\n" + dr);
            }
        }));
    }

    private static String probe(Kind kind, String f, String args) {
        String stmt = switch (kind) {
            case INITIALIZER -> "var probe__: f32[2, 2] = " + f + "(" + args + ")";
            case FUNCTION -> "probe__ = " + f + "(" + args + ")";
            case OPTIMIZER -> "train probe__ {\n  o__ = " + f + "(" + args + ")\n}";
            case METHOD -> "train probe__ {\n  o__ = GradientDescentOptimizer(0.1)\n  o__." + f + "(" + args + ")\n}";
        };
        String d = diagnostics("probe", withPrelude(stmt));
        if (d != null && d.contains("error: unexpected")) fail("the probe `" + stmt + "` does not parse:\n" + d);
        return d;
    }

    private static void assertNoBindingError(Kind kind, String f, String args) {
        String d = probe(kind, f, args);
        if (d == null) return;
        for (String line : d.split("\n")) {
            if (!line.contains(": error: ")) continue;
            for (String bad : BINDING_ERRORS) {
                assertFalse(line.contains(bad), f + "(" + args + ") should bind as documented, but: " + line);
            }
        }
    }
}
