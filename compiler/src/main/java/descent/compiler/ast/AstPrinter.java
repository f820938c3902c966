package descent.compiler.ast;

import descent.compiler.ast.Ast.*;
import java.util.List;
import java.util.stream.Collectors;

/** {@code descent compile --emit ast}: one statement per line, expressions as S-expressions, with positions. */
public final class AstPrinter {
    private AstPrinter() {}

    public static String print(Program p) {
        StringBuilder sb = new StringBuilder();
        sb.append("(model ").append(p.modelName() == null ? "_" : p.modelName()).append(")\n");
        for (Stmt s : p.statements()) stmt(sb, s, "");
        return sb.toString();
    }

    private static void stmt(StringBuilder sb, Stmt s, String indent) {
        sb.append(indent).append(s.span()).append(' ');
        switch (s) {
            case InputDecl d -> sb.append("(input ").append(d.name().name()).append(' ').append(type(d.type())).append(")\n");
            case VarDecl d -> {
                sb.append("(var ").append(d.name().name()).append(' ').append(type(d.type()));
                if (d.init() != null) sb.append(' ').append(expr(d.init()));
                for (Arg a : d.attributes()) sb.append(' ').append(arg(a));
                sb.append(")\n");
            }
            case OutputDecl d -> sb.append("(output ")
                    .append(d.names().stream().map(Ident::name).collect(Collectors.joining(" "))).append(")\n");
            case Assign a -> sb.append("(= ").append(targets(a.targets())).append(' ').append(expr(a.value())).append(")\n");
            case ExprStmt e -> sb.append(expr(e.expr())).append('\n');
            case TrainBlock t -> {
                sb.append("(train ").append(t.name().name()).append('\n');
                for (Stmt b : t.body()) stmt(sb, b, indent + "  ");
                sb.append(indent).append(")\n");
            }
        }
    }

    private static String targets(List<Ident> ids) {
        return ids.size() == 1 ? ids.get(0).name()
                : "(" + ids.stream().map(Ident::name).collect(Collectors.joining(" ")) + ")";
    }

    private static String type(TypeExpr t) {
        return t.dtype() + "[" + t.dims().stream().map(d -> d.isSymbolic() ? d.symbol() : String.valueOf(d.size()))
                .collect(Collectors.joining(", ")) + "]";
    }

    public static String expr(Expr e) {
        return switch (e) {
            case Num n -> n.text();
            case Str s -> '"' + s.value() + '"';
            case Bool b -> String.valueOf(b.value());
            case NoneLit n -> "None";
            case DTypeLit d -> d.dtype().toString();
            case Name n -> n.name();
            case Unary u -> "(" + u.op() + " " + expr(u.operand()) + ")";
            case Binary b -> "(" + b.op() + " " + expr(b.left()) + " " + expr(b.right()) + ")";
            case Call c -> "(call " + expr(c.callee()) + c.args().stream().map(a -> " " + arg(a)).collect(Collectors.joining()) + ")";
            case Attr a -> "(. " + expr(a.object()) + " " + a.attr().name() + ")";
            case ListExpr l -> "[" + l.items().stream().map(AstPrinter::expr).collect(Collectors.joining(" ")) + "]";
            case TupleExpr t -> "(tuple" + t.items().stream().map(x -> " " + expr(x)).collect(Collectors.joining()) + ")";
            case Comprehension c -> "(for (" + c.gradVar().name() + " " + c.varVar().name() + ") " + expr(c.source())
                    + " " + expr(c.element()) + ")";
        };
    }

    private static String arg(Arg a) {
        return a.isKeyword() ? a.keyword().name() + "=" + expr(a.value()) : expr(a.value());
    }
}
