package descent.compiler.ast;

import descent.compiler.diag.Diagnostics;
import descent.compiler.diag.Source;
import descent.compiler.diag.Span;
import descent.grammar.DescentLexer;
import descent.grammar.DescentParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/** Stage 1: text to {@link Ast.Program}. Syntax errors are collected (ANTLR recovers and goes on) and thrown together. */
public final class Parser {
    private Parser() {}

    public static Ast.Program parse(Source source) {
        Diagnostics diags = new Diagnostics(source);
        DescentLexer lexer = new DescentLexer(CharStreams.fromString(source.text(), source.name()));
        lexer.removeErrorListeners();
        DescentParser parser = new DescentParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.addErrorListener(new SyntaxErrors(diags));
        DescentParser.ProgramContext tree = parser.program();
        diags.throwIfAny();
        return new AstBuilder().program(tree);
    }

    /** Rewrites ANTLR's messages into ones a model author can act on. */
    private static final class SyntaxErrors extends BaseErrorListener {
        private final Diagnostics diags;
        private int lastLine = -1;
        private int lastColumn = -1;

        SyntaxErrors(Diagnostics diags) { this.diags = diags; }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                                RecognitionException e) {
            if (line == lastLine && col == lastColumn) return; // one report per position
            lastLine = line;
            lastColumn = col;
            Token t = offending instanceof Token tok ? tok : null;
            String text = t == null ? "" : t.getType() == Token.EOF ? "end of file" : "`" + t.getText() + "`";
            int length = t == null || t.getType() == Token.EOF ? 1 : Math.max(1, t.getText().length());
            Span span = new Span(line, col + 1, length);
            Set<String> expected = expected(recognizer, e);
            if (t != null && t.getType() == DescentLexer.ERRCHAR) {
                diags.error(span, "unexpected character " + text,
                        "remove it; comments start with `#`");
            } else if (t != null && t.getType() == DescentLexer.STRING && msg.contains("token recognition")) {
                diags.error(span, "unterminated string", "close the string with the quote it opened with");
            } else if (!expected.isEmpty() && expected.size() <= 4) {
                diags.error(span, "unexpected " + text + ", expected " + String.join(" or ", expected), hint(expected, t));
            } else if (t != null && t.getType() == Token.EOF) {
                diags.error(span, "unexpected end of file", "a bracket or block may be left open");
            } else {
                diags.error(span, "unexpected " + text,
                        "statements are `input`, `var`, `output`, `train NAME { ... }` or `name = expression`");
            }
        }

        private static Set<String> expected(Recognizer<?, ?> recognizer, RecognitionException e) {
            Set<String> out = new LinkedHashSet<>();
            IntervalSet set = null;
            if (e instanceof InputMismatchException || e instanceof NoViableAltException) set = e.getExpectedTokens();
            if (set == null && recognizer instanceof DescentParser p) set = p.getExpectedTokens();
            if (set == null) return out;
            for (int type : set.toList()) {
                out.add(recognizer.getVocabulary().getDisplayName(type)
                        .replace("ID", "a name").replace("INT", "an integer").replace("FLOAT", "a number")
                        .replace("DTYPE", "a dtype (f32, f64, i32, i64)").replace("STRING", "a string")
                        .replace("EOF", "end of file"));
            }
            return out;
        }

        private static String hint(Set<String> expected, Token t) {
            List<String> e = new ArrayList<>(expected);
            if (e.contains("')'")) return "a `(` is not closed, or an argument list is missing a `,`";
            if (e.contains("']'")) return "a `[` is not closed, or a list is missing a `,`";
            if (e.contains("'}'")) return "a train block `{` is not closed";
            if (e.contains("':'")) return "declarations are written `input x: f32[batch, 3]` / `var w: f32[3, 1] = zeros()`";
            if (e.contains("'='")) return "assignments are written `name = expression`";
            if (e.stream().anyMatch(s -> s.startsWith("a dtype"))) return "types are written `f32[2, 3]`";
            return null;
        }
    }
}
