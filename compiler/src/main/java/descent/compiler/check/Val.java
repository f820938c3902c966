package descent.compiler.check;

import descent.runtime.DType;
import java.util.List;

/** What a name or expression stands for while a model file is checked. */
sealed interface Val {
    /** An optimizer constructed in a train block. */
    record Optim(descent.compiler.train.Optimizer optimizer, String className) implements Val {}
    /** A list of (gradient, variable) pairs, as compute_gradients returns. */
    record Pairs(List<descent.compiler.train.GradAndVar> pairs) implements Val {}
    /** An IndexedSlices gradient bound by a comprehension. */
    record Slices(descent.compiler.ir.Grad.Sliced grad) implements Val {}
    /** What minimize and apply_gradients return: the train op. */
    record TrainOp() implements Val {}
    record Tensor(int node) implements Val {}
    /** A numeric literal not yet given a dtype: it takes the dtype of the tensor it meets. */
    record Num(double value, boolean isFloat) implements Val {}
    record Bool(boolean value) implements Val {}
    record Str(String value) implements Val {}
    record Type(DType dtype) implements Val {}
    record None() implements Val {}
    record Seq(List<Val> items, boolean tuple) implements Val {}
    /** A value a train block computes whose meaning the optimizer stage gives (optimizers, gradient lists). */
    record Opaque(String what) implements Val {}

    static String describe(Val v) {
        return switch (v) {
            case Tensor t -> "a tensor";
            case Num n -> n.isFloat() ? "a number" : "an integer";
            case Bool b -> "a boolean";
            case Str s -> "a string";
            case Type t -> "a dtype";
            case None n -> "None";
            case Seq s -> s.tuple() ? "a tuple" : "a list";
            case Opaque o -> o.what();
            case Optim o -> "an optimizer (" + o.className() + ")";
            case Pairs p -> "a list of (gradient, variable) pairs";
            case Slices s -> "an IndexedSlices gradient";
            case TrainOp t -> "a train op";
        };
    }
}
