package descent.compiler.ast;

import descent.compiler.diag.Diagnostics;
import descent.compiler.diag.Source;
import descent.compiler.diag.Span;
import descent.grammar.DescentLexer;
import descent.grammar.DescentParser;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        prescan(tokens.getTokens(), diags);
        diags.throwIfAny(); // the parser's reports would only be follow-on noise
        DescentParser parser = new DescentParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(new SyntaxErrors(diags));
        try {
            DescentParser.ProgramContext tree = parser.program();
            diags.throwIfAny();
            return new AstBuilder().program(tree);
        } catch (AstBuilder.TooDeep e) {
            diags.error(e.at, "this statement is nested too deeply to parse",
                    "split very long or deeply nested expressions into several assignments");
            diags.throwIfAny();
            throw e;
        } catch (StackOverflowError e) {
            // Where the parser had got to (the deepest token it was matching), unless it overflowed building the AST.
            Token at = parser.getCurrentToken();
            diags.error(at != null && at.getType() != Token.EOF ? span(at) : Span.NONE, "the model is nested too deeply to parse",
                    "split very long or deeply nested expressions into several assignments");
            diags.throwIfAny();
            throw e;
        }
    }

    /**
     * Finds, before parsing, the mistakes ANTLR reports badly or far from their cause: bad characters,
     * unterminated strings, malformed numbers (`1e`, `2x`) and brackets left open or closed twice. Since
     * newlines are not significant, a missing `)` would otherwise be reported statements later.
     */
    private static void prescan(List<Token> tokens, Diagnostics diags) {
        Deque<Token> open = new ArrayDeque<>();
        int skipLine = -1;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.getType() == Token.EOF) break;
            if (t.getLine() == skipLine) continue;
            Token prev = i > 0 ? tokens.get(i - 1) : null;
            Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            String text = t.getText();
            int type = t.getType();
            if (type == DescentLexer.ERRCHAR) {
                if (text.equals("\"") || text.equals("'")) {
                    diags.error(span(t), "unterminated string", "close it with " + text + " on the same line");
                    skipLine = t.getLine();
                    // The rest of the line is the string's; brackets opened on it may close there.
                    while (!open.isEmpty() && open.peek().getLine() == t.getLine()) open.pop();
                } else {
                    diags.error(span(t), "unexpected character `" + text + "`",
                            text.equals("\\") ? "statements may span lines without `\\`; remove it" : "remove it; comments start with `#`");
                }
                continue;
            }
            if ((type == DescentLexer.ID || type == DescentLexer.INT || type == DescentLexer.FLOAT) && prev != null
                    && (prev.getType() == DescentLexer.INT || prev.getType() == DescentLexer.FLOAT) && adjacent(prev, t)) {
                Span s = span(prev).to(span(t));
                String hint = type != DescentLexer.ID ? "a number has at most one decimal point"
                        : text.matches("[eE].*") ? "an exponent needs digits, e.g. `1e-3`"
                        : "a name cannot start with a digit; write `" + prev.getText() + " * " + text + "` for a product";
                diags.error(s, "malformed number `" + prev.getText() + text + "`", hint);
                continue;
            }
            if (type == DescentLexer.FLOAT && Double.isInfinite(Double.parseDouble(text.replace("_", "")))) {
                diags.error(span(t), "number `" + text + "` is too large: it would be infinity",
                        "the largest f32 is about 3.4e38, the largest f64 about 1.8e308");
                continue;
            }
            if (type == DescentLexer.STRING) continue;
            boolean keywordArgument = next != null && next.getText().equals("=") && !open.isEmpty()
                    && open.peek().getText().equals("("); // e.g. expand_dims(input=x): TF's parameter name
            boolean statementStart = !keywordArgument && (type == DescentLexer.MODEL || type == DescentLexer.INPUT
                    || type == DescentLexer.VAR || type == DescentLexer.OUTPUT || type == DescentLexer.TRAIN);
            if (!statementStart && type == DescentLexer.ID && next != null && next.getText().equals("=") && !open.isEmpty()
                    && prev != null && prev.getLine() < t.getLine()) {
                // `name =` first on a line inside an open bracket: a new assignment, not a keyword argument.
                String top = open.peek().getText();
                String before = prev == null ? "" : prev.getText();
                statementStart = top.equals("[") || top.equals("(") && !before.equals("(") && !before.equals(",");
            }
            if (statementStart) {
                unclosed(open, diags, type == DescentLexer.TRAIN);
            } else if (type == DescentLexer.ID && next != null && next.getText().equals("=") && !open.isEmpty()
                    && open.peek().getText().equals("(") && prev != null && !prev.getText().equals("(")
                    && !prev.getText().equals(",")) {
                diags.error(span(t), "expected `,` before `" + text + "=`", "separate arguments with `,`");
            }
            // Not at a train block's item level, where a list may follow an item on its own line (`[opt.minimize(...), ...]`).
            boolean itemLevel = !open.isEmpty() && open.peek().getText().equals("{");
            if (text.equals("[") && prev != null && !itemLevel && (prev.getText().equals(")") || prev.getText().equals("]")
                    || prev.getType() == DescentLexer.ID && !DTYPE_NAMES.containsKey(prev.getText()))) {
                // x[0] anywhere, also inside a call (relu(x[0]) was "unexpected `(`" at the call).
                diags.error(span(t), "indexing with `[...]` is not supported", "use slice(x, begin, size), gather(x, indices) or reduce over an axis");
            }
            switch (text) {
                case "(", "[", "{" -> open.push(t);
                case ")", "]", "}" -> {
                    String opener = text.equals(")") ? "(" : text.equals("]") ? "[" : "{";
                    if (text.equals("}")) {
                        unclosed(open, diags, false);
                        if (!open.isEmpty()) { open.pop(); continue; }
                    }
                    if (open.isEmpty() || open.peek().getText().equals("{")) {
                        diags.error(span(t), "unmatched `" + text + "`", "remove it, or add the `" + opener + "` it should close");
                    } else if (open.peek().getText().equals(opener)) {
                        open.pop();
                    } else {
                        Token o = open.pop();
                        diags.error(span(t), "`" + text + "` does not match the `" + o.getText() + "` at line " + o.getLine()
                                + ", column " + (o.getCharPositionInLine() + 1),
                                "close the `" + o.getText() + "` with `" + closer(o.getText()) + "` first");
                        if (!open.isEmpty() && open.peek().getText().equals(opener)) open.pop();
                    }
                }
                default -> { }
            }
        }
        unclosed(open, diags, true);
    }

    /** Reports the innermost `(` or `[` left open at a statement boundary (and `{` too when {@code braces}). */
    private static void unclosed(Deque<Token> open, Diagnostics diags, boolean braces) {
        Token innermost = null;
        while (!open.isEmpty() && !open.peek().getText().equals("{")) {
            Token o = open.pop();
            if (innermost == null) innermost = o;
        }
        if (innermost != null) {
            String c = closer(innermost.getText());
            diags.error(span(innermost), "`" + innermost.getText() + "` is never closed",
                    "add the missing `" + c + "` where the " + (c.equals(")") ? "call or group" : "list or shape") + " ends");
        }
        if (braces && !open.isEmpty()) {
            Token o = open.pop();
            diags.error(span(o), "the train block's `{` is never closed", "add `}` after the block's last statement");
        }
    }

    private static String closer(String opener) {
        return switch (opener) { case "(" -> ")"; case "[" -> "]"; default -> "}"; };
    }

    private static boolean isKeyword(Token t) {
        int type = t.getType();
        return type >= DescentLexer.MODEL && type <= DescentLexer.DTYPE;
    }

    private static boolean adjacent(Token a, Token b) {
        return a.getLine() == b.getLine() && a.getStopIndex() + 1 == b.getStartIndex();
    }

    private static Span span(Token t) {
        return new Span(t.getLine(), t.getCharPositionInLine() + 1, Math.max(1, t.getText().length()));
    }

    /** TensorFlow's and NumPy's dtype names, for "did you mean". */
    private static final Map<String, String> DTYPE_NAMES = Map.of("float32", "f32", "float", "f32", "float64", "f64",
            "double", "f64", "int32", "i32", "int", "i32", "int64", "i64", "long", "i64");

    private static final Set<String> OPERATORS = Set.of("+", "-", "*", "/", "**", "@");

    /** Rewrites ANTLR's messages into ones a model author can act on. */
    private static final class SyntaxErrors extends BaseErrorListener {
        private final Diagnostics diags;
        private boolean reported;

        SyntaxErrors(Diagnostics diags) { this.diags = diags; }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                                RecognitionException e) {
            // Only the first: after it, ANTLR's recovery guesses and its further reports are mostly noise.
            if (reported) return;
            reported = true;
            Token t = offending instanceof Token tok ? tok : null;
            String text = t == null ? "" : t.getType() == Token.EOF ? "end of file" : "`" + t.getText() + "`";
            int length = t == null || t.getType() == Token.EOF ? 1 : Math.max(1, t.getText().length());
            Span span = new Span(line, col + 1, length);
            Set<String> expected = expected(recognizer, e);
            Token prev = null;
            if (t != null && t.getTokenIndex() > 0 && recognizer.getInputStream() instanceof CommonTokenStream ts) {
                prev = ts.get(t.getTokenIndex() - 1);
            }
            String dtype = t != null && t.getType() == DescentLexer.ID ? DTYPE_NAMES.get(t.getText()) : null;
            Token keyword = t != null && isKeyword(t) && expected.equals(Set.of("a name")) ? t
                    : prev != null && isKeyword(prev) && t.getText().equals("=") && expected.contains("a name") ? prev : null;
            // What could have come instead, in words (null when ANTLR's set is too large to help).
            String what = isDimension(expected) ? "a dimension (a size like `4` or a name like `batch`)"
                    : expected.contains("a name") && expected.contains("an integer") ? "an expression"
                    : !expected.isEmpty() && expected.size() <= 4 ? String.join(" or ", expected) : null;
            if (keyword != null) {
                diags.error(new Span(keyword.getLine(), keyword.getCharPositionInLine() + 1, keyword.getText().length()),
                        "`" + keyword.getText() + "` is a keyword and cannot be used as a name",
                        "choose another name, e.g. `" + keyword.getText() + "_`");
            } else if (dtype != null && expected.stream().anyMatch(x -> x.startsWith("a dtype"))) {
                diags.error(span, "unknown dtype `" + t.getText() + "`", "did you mean `" + dtype + "`? dtypes are f32, f64, i32 and i64");
            } else if (t != null && t.getText().equals("[") && prev != null
                    && (prev.getType() == DescentLexer.ID || prev.getText().equals(")") || prev.getText().equals("]"))) {
                diags.error(span, "indexing with `[...]` is not supported",
                        "use slice(x, begin, size), gather(x, indices) or reduce over an axis");
            } else if (prev != null && t.getLine() > prev.getLine() && what != null) {
                // The statement ended early: say so at the end of the line it is on, not at the next line's start.
                Span after = new Span(prev.getLine(), prev.getCharPositionInLine() + prev.getText().length() + 1, 1);
                String hint = expected.equals(Set.of("`(`")) && prev.getType() == DescentLexer.ID
                        ? "call it: `" + prev.getText() + "()`" : hint(expected, prev);
                diags.error(after, "expected " + what + " after `" + prev.getText() + "`", hint);
            } else if (t != null && t.getType() == DescentLexer.ERRCHAR) {
                diags.error(span, "unexpected character " + text,
                        "remove it; comments start with `#`");
            } else if (t != null && t.getType() == DescentLexer.STRING && msg.contains("token recognition")) {
                diags.error(span, "unterminated string", "close the string with the quote it opened with");
            } else if (what != null) {
                diags.error(span, "unexpected " + text + ", expected " + what, hint(expected, prev));
            } else if (t != null && t.getType() == Token.EOF) {
                diags.error(span, "unexpected end of file", "a bracket or block may be left open");
            } else {
                diags.error(span, "unexpected " + text,
                        "statements are `input`, `var`, `output`, `train NAME { ... }` or `name = expression`");
            }
        }

        /** What a shape's `[` or `,` may be followed by: a size, a symbolic dimension (or, first, the `]` of a scalar). */
        private static boolean isDimension(Set<String> expected) {
            return expected.contains("a name") && expected.contains("an integer")
                    && Set.of("a name", "an integer", "`]`").containsAll(expected);
        }

        private static Set<String> expected(Recognizer<?, ?> recognizer, RecognitionException e) {
            Set<String> out = new LinkedHashSet<>();
            IntervalSet set = null;
            if (e instanceof InputMismatchException || e instanceof NoViableAltException) set = e.getExpectedTokens();
            if (set == null && recognizer instanceof DescentParser p) set = p.getExpectedTokens();
            if (set == null) return out;
            for (int type : set.toList()) {
                String name = recognizer.getVocabulary().getDisplayName(type);
                out.add(name.length() > 2 && name.startsWith("'") && name.endsWith("'")
                        ? "`" + name.substring(1, name.length() - 1) + "`"
                        : name.replace("ID", "a name").replace("INT", "an integer").replace("FLOAT", "a number")
                        .replace("DTYPE", "a dtype (f32, f64, i32, i64)").replace("STRING", "a string")
                        .replace("EOF", "end of file"));
            }
            return out;
        }

        private static String hint(Set<String> expected, Token prev) {
            List<String> e = new ArrayList<>(expected);
            if (prev != null && prev.getType() == DescentLexer.TRAIN) return "name the train block: `train step { ... }`";
            if (isDimension(expected)) {
                return "a shape lists sizes and symbolic dimensions: f32[batch, 4]";
            }
            if (e.contains("a name") && e.contains("an integer")) {
                if (prev != null && prev.getText().equals("@")) return "`@` is the matrix product: `x @ w`";
                if (prev != null && OPERATORS.contains(prev.getText())) return "`" + prev.getText() + "` needs an operand after it";
                return "an expression is a name, a number, a call like relu(x), a list [a, b] or (...)";
            }
            if (e.contains("`)`")) return "an argument list is missing a `,`, or a `(` is not closed";
            if (e.contains("`]`")) return "a list or shape is missing a `,`, or a `[` is not closed";
            if (e.contains("`}`")) return "a train block `{` is not closed";
            if (e.contains("`:`")) return "declarations are written `input x: f32[batch, 3]` / `var w: f32[3, 1] = zeros()`";
            if (e.contains("`=`")) return "statements are assignments `name = expression`; an expression on its own does nothing";
            if (e.stream().anyMatch(s -> s.startsWith("a dtype"))) return "types are written `f32[2, 3]`";
            return null;
        }
    }
}
