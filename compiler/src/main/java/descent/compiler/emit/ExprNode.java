package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import java.util.List;

/**
 * One node of a {@link FusedExpr}: an elementwise f32 operation on earlier nodes (referred to by their
 * index in {@link FusedExpr#nodes()}). Each node means exactly what the IR op of the same name means to
 * the reference interpreter: its formula evaluated in double on float operands, rounded to float. So a
 * fused kernel rounds after every node, as the unfused interpreter does.
 */
public sealed interface ExprNode {
    /** The nodes this one reads, in operand order. */
    List<Integer> operands();

    /** Input array {@code index} of the kernel (see {@link FusedExpr#inputs()} for its broadcast). */
    record Input(int index) implements ExprNode {
        public List<Integer> operands() { return List.of(); }
    }

    /** A constant; as an f32 IR node it is {@code (float) value}. */
    record Const(double value) implements ExprNode {
        public List<Integer> operands() { return List.of(); }
    }

    record Unary(UnaryFn fn, int x) implements ExprNode {
        public List<Integer> operands() { return List.of(x); }
    }

    /** Operand order as the IR's: for the gradient kernels see {@link BinaryFn} (e.g. TANH_GRAD is (outputs, gradients)). */
    record Binary(BinaryFn fn, int a, int b) implements ExprNode {
        public List<Integer> operands() { return List.of(a, b); }
    }

    /** {@code cond != 0 ? a : b} (a NaN condition selects {@code a}, as in the interpreter). */
    record Select(int cond, int a, int b) implements ExprNode {
        public List<Integer> operands() { return List.of(cond, a, b); }
    }

    /** {@code x > 0 ? x : x * alpha}. */
    record LeakyRelu(double alpha, int x) implements ExprNode {
        public List<Integer> operands() { return List.of(x); }
    }

    /** TF's LeakyReluGrad(gradients, features): {@code features > 0 ? gradients : gradients * alpha}. */
    record LeakyReluGrad(double alpha, int gradients, int features) implements ExprNode {
        public List<Integer> operands() { return List.of(gradients, features); }
    }
}
