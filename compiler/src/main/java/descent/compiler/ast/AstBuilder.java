package descent.compiler.ast;

import descent.compiler.ast.Ast.*;
import descent.compiler.diag.Span;
import descent.grammar.DescentParser.*;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/** Turns ANTLR's parse tree into {@link Ast} records. Assumes the tree parsed (errors are reported before). */
final class AstBuilder {

    Program program(ProgramContext ctx) {
        String name = null;
        Span nameSpan = Span.NONE;
        if (ctx.modelHeader() != null) {
            name = ctx.modelHeader().name.getText();
            nameSpan = span(ctx.modelHeader().name);
        }
        List<Stmt> stmts = new ArrayList<>();
        for (StatementContext s : ctx.statement()) {
            Stmt st;
            try {
                st = statement(s);
            } catch (StackOverflowError e) {
                throw new TooDeep(span(s.getStart()));
            }
            if (st != null) stmts.add(st);
        }
        return new Program(name, nameSpan, stmts);
    }

    /** A statement whose tree is too deep to build (a chain of thousands of `+`): where it starts. */
    static final class TooDeep extends RuntimeException {
        final Span at;
        TooDeep(Span at) { super(null, null, false, false); this.at = at; }
    }

    private Stmt statement(StatementContext ctx) {
        return switch (ctx) {
            case InputStatementContext c -> {
                InputDeclContext d = c.inputDecl();
                yield new InputDecl(ident(d.name), type(d.tensorType()), span(d));
            }
            case VarStatementContext c -> {
                VarDeclContext d = c.varDecl();
                Expr init = d.init == null ? null : initializer(d.init);
                List<Arg> attrs = new ArrayList<>();
                if (d.attributes() != null) for (KeywordArgContext k : d.attributes().keywordArg()) attrs.add(keywordArg(k));
                yield new VarDecl(ident(d.name), type(d.tensorType()), init, attrs, span(d));
            }
            case OutputStatementContext c -> {
                List<Ident> names = new ArrayList<>();
                for (TerminalNode id : c.outputDecl().ID()) names.add(ident(id.getSymbol()));
                yield new OutputDecl(names, span(c));
            }
            case TrainStatementContext c -> {
                TrainBlockContext b = c.trainBlock();
                List<Stmt> body = new ArrayList<>();
                for (TrainItemContext item : b.trainItem()) {
                    switch (item) {
                        case TrainAssignContext a -> body.add(assignment(a.assignment()));
                        case TrainExprContext e -> body.add(new ExprStmt(expr(e.expr()), span(e)));
                        default -> { }
                    }
                }
                yield new TrainBlock(ident(b.name), body, span(b.TRAIN().getSymbol()).to(span(b.name)));
            }
            case AssignStatementContext c -> assignment(c.assignment());
            default -> null;
        };
    }

    private Assign assignment(AssignmentContext a) {
        List<Ident> targets = new ArrayList<>();
        for (Token t : a.targets) targets.add(ident(t));
        return new Assign(targets, expr(a.value), span(a));
    }

    private Expr initializer(InitializerContext ctx) {
        return switch (ctx) {
            case CallInitializerContext c -> new Call(new Name(c.callee.getText(), span(c.callee)),
                    c.arguments() == null ? List.of() : arguments(c.arguments()), span(c));
            case NumberInitializerContext c -> {
                Num n = number(c.number());
                yield c.getChild(0).getText().equals("-")
                        ? new Num(-n.value(), n.isFloat(), "-" + n.text(), span(c)) : n;
            }
            case ListInitializerContext c -> list(c.list());
            default -> throw new IllegalStateException("unknown initializer " + ctx.getText());
        };
    }

    private TypeExpr type(TensorTypeContext ctx) {
        DType dtype = DType.fromLanguageName(ctx.DTYPE().getText());
        List<DimExpr> dims = new ArrayList<>();
        for (DimContext d : ctx.dim()) {
            if (d.INT() != null) dims.add(new DimExpr(parseLong(d.INT().getText()), null, span(d)));
            else dims.add(new DimExpr(-1, d.ID().getText(), span(d)));
        }
        return new TypeExpr(dtype, dims, span(ctx));
    }

    Expr expr(ExprContext ctx) {
        return switch (ctx) {
            case AttrExprContext c -> new Attr(expr(c.expr()), ident(c.attr), span(c));
            case CallExprContext c -> new Call(expr(c.expr()),
                    c.arguments() == null ? List.of() : arguments(c.arguments()), span(c));
            case PowExprContext c -> new Binary("**", expr(c.expr(0)), expr(c.expr(1)), span(c.op));
            case NegExprContext c -> new Unary("-", expr(c.expr()), span(c));
            case MulExprContext c -> new Binary(c.op.getText(), expr(c.expr(0)), expr(c.expr(1)), span(c.op));
            case AddExprContext c -> new Binary(c.op.getText(), expr(c.expr(0)), expr(c.expr(1)), span(c.op));
            case PrimaryExprContext c -> primary(c.primary());
            default -> throw new IllegalStateException("unknown expression " + ctx.getText());
        };
    }

    private Expr primary(PrimaryContext ctx) {
        return switch (ctx) {
            case NumberLitContext c -> number(c.number());
            case StringLitContext c -> new Str(unquote(c.STRING().getText()), span(c));
            case BoolLitContext c -> new Bool(c.TRUE() != null, span(c));
            case NoneLitContext c -> new NoneLit(span(c));
            case DtypeLitContext c -> new DTypeLit(DType.fromLanguageName(c.getText()), span(c));
            case NameRefContext c -> new Name(c.ID().getText(), span(c));
            case ParensContext c -> expr(c.expr());
            case TupleContext c -> {
                List<Expr> items = new ArrayList<>();
                for (ExprContext e : c.expr()) items.add(expr(e));
                yield new TupleExpr(items, span(c));
            }
            case ComprehensionContext c -> {
                List<TerminalNode> ids = c.vars.ID();
                yield new Comprehension(expr(c.element), ident(ids.get(0).getSymbol()), ident(ids.get(1).getSymbol()),
                        expr(c.source), span(c));
            }
            case ListLitContext c -> list(c.list());
            default -> throw new IllegalStateException("unknown primary " + ctx.getText());
        };
    }

    private ListExpr list(ListContext ctx) {
        List<Expr> items = new ArrayList<>();
        for (ExprContext e : ctx.expr()) items.add(expr(e));
        return new ListExpr(items, span(ctx));
    }

    private List<Arg> arguments(ArgumentsContext ctx) {
        List<Arg> args = new ArrayList<>();
        for (ArgumentContext a : ctx.argument()) {
            if (a.keywordArg() != null) args.add(keywordArg(a.keywordArg()));
            else args.add(new Arg(null, expr(a.expr()), span(a)));
        }
        return args;
    }

    private Arg keywordArg(KeywordArgContext k) {
        return new Arg(ident(k.key), expr(k.expr()), span(k));
    }

    private Num number(NumberContext ctx) {
        String text = ctx.getText();
        String clean = text.replace("_", "");
        boolean isFloat = ctx.FLOAT() != null;
        double v = Double.parseDouble(clean);
        return new Num(v, isFloat, text, span(ctx));
    }

    private static long parseLong(String text) {
        try {
            return Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String unquote(String s) {
        String body = s.substring(1, s.length() - 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char n = body.charAt(++i);
                sb.append(switch (n) { case 'n' -> '\n'; case 't' -> '\t'; default -> n; });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Ident ident(Token t) { return new Ident(t.getText(), span(t)); }

    static Span span(Token t) {
        return new Span(t.getLine(), t.getCharPositionInLine() + 1, Math.max(1, t.getText().length()));
    }

    static Span span(ParserRuleContext ctx) {
        Token start = ctx.getStart();
        Token stop = ctx.getStop();
        if (stop == null || stop.getLine() != start.getLine() || stop.getTokenIndex() < start.getTokenIndex()) {
            return span(start);
        }
        int end = stop.getCharPositionInLine() + stop.getText().length();
        return new Span(start.getLine(), start.getCharPositionInLine() + 1, end - start.getCharPositionInLine());
    }

}
