package descent.compiler.train;

import descent.compiler.ir.Grad;
import descent.compiler.ir.Model.VariableInfo;

/** One (gradient, variable) pair of compute_gradients/apply_gradients; the gradient may be None. */
public record GradAndVar(Grad grad, VariableInfo var) {}
