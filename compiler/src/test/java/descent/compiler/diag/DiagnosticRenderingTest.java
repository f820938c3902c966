package descent.compiler.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import org.junit.jupiter.api.Test;

/** Diagnostics on pathological source: very long lines and statements too deep to parse still point at the source. */
class DiagnosticRenderingTest {
    @Test
    void aLongLineIsShownAroundTheSpan() {
        String line = "x".repeat(500) + "ERR" + "y".repeat(500);
        String shown = new Diagnostic(new Span(1, 501, 3), "bad", null).render(new Source("f.descent", line + "\n"));
        String[] lines = shown.split("\n");
        assertEquals("f.descent:1:501: error: bad", lines[0]);
        assertEquals(" 1 | …" + "x".repeat(Diagnostic.CONTEXT) + "ERR" + "y".repeat(Diagnostic.CONTEXT) + "…", lines[1]);
        // The caret sits under ERR: the gutter, the ellipsis, then CONTEXT characters.
        assertEquals("   | " + " ".repeat(1 + Diagnostic.CONTEXT) + "^^^", lines[2]);
        String shortLine = new Diagnostic(new Span(1, 3, 1), "bad", null).render(new Source("f.descent", "abcdef\n"));
        assertTrue(shortLine.contains(" 1 | abcdef\n   |   ^\n"), shortLine);
    }

    @Test
    void aStatementTooDeepToParseIsReportedWhereItStarts() {
        String text = "model deep\ninput x: f32[2]\nloss = reduce_sum(" + String.join(" + ", java.util.Collections.nCopies(60_000, "x")) + ")\n";
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("deep.descent", text));
        // Which stage runs out of stack first depends on the JIT's frame sizes (the parser's on a cold JVM, sometimes the
        // checker's in a warm one: seen once in CI, 2026-11-29); either way the statement is named where it starts.
        assertTrue(e.getMessage().startsWith("deep.descent:3:1: error: this statement is nested too deeply to parse\n")
                || e.getMessage().startsWith("deep.descent:3:1: error: this statement is nested too deeply to check\n"), e.getMessage().substring(0, 200));
    }

    /** A train block's item may be a list on a line of its own, after an item ending in `)`: not indexing. */
    @Test
    void aListItemInATrainBlockIsNotIndexing() {
        Compiler.check("t.descent", """
                model t
                input x: f32[2]
                var w: f32[2]
                var v: f32[2]
                loss = reduce_sum(x * w)
                loss2 = reduce_sum(x * v)
                train step {
                  opt = GradientDescentOptimizer(learning_rate=0.5)
                  [opt.minimize(loss, var_list=[w]), opt.minimize(loss2, var_list=[v])]
                }
                """);
        CompileException e = assertThrows(CompileException.class, () -> Compiler.check("i.descent", "model i\ninput x: f32[2]\ny = relu(x[0])\n"));
        assertTrue(e.getMessage().contains("indexing with `[...]` is not supported"), e.getMessage());
    }
}
