package descent.compiler.ast;

import descent.compiler.diag.Span;
import descent.runtime.DType;
import java.util.List;

/** The syntax tree of a model file: what was written, with spans, before any meaning is given to it. */
public final class Ast {
    private Ast() {}

    public record Program(String modelName, Span modelSpan, List<Stmt> statements) {}

    public sealed interface Stmt permits InputDecl, VarDecl, OutputDecl, Assign, TrainBlock, ExprStmt {
        Span span();
    }

    public record InputDecl(Ident name, TypeExpr type, Span span) implements Stmt {}
    /** {@code init} is null when omitted (zeros). */
    public record VarDecl(Ident name, TypeExpr type, Expr init, List<Arg> attributes, Span span) implements Stmt {}
    public record OutputDecl(List<Ident> names, Span span) implements Stmt {}
    public record Assign(List<Ident> targets, Expr value, Span span) implements Stmt {}
    public record TrainBlock(Ident name, List<Stmt> body, Span span) implements Stmt {}
    /** An expression evaluated for its effect, e.g. {@code opt.apply_gradients(gv)}; only inside train blocks. */
    public record ExprStmt(Expr expr, Span span) implements Stmt {}

    public record Ident(String name, Span span) {}

    public record TypeExpr(DType dtype, List<DimExpr> dims, Span span) {}
    /** A literal size, or a symbolic name bound at run time. */
    public record DimExpr(long size, String symbol, Span span) {
        public boolean isSymbolic() { return symbol != null; }
    }

    public sealed interface Expr permits Num, Str, Bool, NoneLit, DTypeLit, Name, Unary, Binary, Call, Attr, ListExpr,
            TupleExpr, Comprehension {
        Span span();
    }

    /** A numeric literal; {@code isFloat} when written with a point or exponent. */
    public record Num(double value, boolean isFloat, String text, Span span) implements Expr {}
    public record Str(String value, Span span) implements Expr {}
    public record Bool(boolean value, Span span) implements Expr {}
    public record NoneLit(Span span) implements Expr {}
    public record DTypeLit(DType dtype, Span span) implements Expr {}
    public record Name(String name, Span span) implements Expr {}
    public record Unary(String op, Expr operand, Span span) implements Expr {}
    public record Binary(String op, Expr left, Expr right, Span span) implements Expr {}
    public record Call(Expr callee, List<Arg> args, Span span) implements Expr {}
    public record Attr(Expr object, Ident attr, Span span) implements Expr {}
    public record ListExpr(List<Expr> items, Span span) implements Expr {}
    public record TupleExpr(List<Expr> items, Span span) implements Expr {}
    /** {@code [element for (g, v) in source]}: the per-pair transform of a gradient list. */
    public record Comprehension(Expr element, Ident gradVar, Ident varVar, Expr source, Span span) implements Expr {}

    /** A call argument; {@code keyword} is null for a positional one. */
    public record Arg(Ident keyword, Expr value, Span span) {
        public boolean isKeyword() { return keyword != null; }
    }
}
