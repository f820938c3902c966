package descent.cli;

import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.DescentException;
import descent.runtime.api.DescentModel;
import java.io.PrintWriter;

/**
 * The `--backend` option's values: what runs a model behind the runtime API. Without the option (a null
 * {@code Backends}) the compiled backend runs the model, or the interpreter when the compiled backend cannot
 * (an f64 model, {@code --precision F64}), saying so in one line.
 */
enum Backends {
    interpreter, compiled;

    /** The help text of {@code --backend} in run, train and predict. */
    static final String HELP = "compiled (default; falls back to the interpreter for what it cannot run) or interpreter";

    /**
     * The model on the backend asked for ({@code requested}), or, when none was ({@code null}), on the
     * compiled backend if it runs the model and on the interpreter, with one line on {@code err}, if not.
     * An explicit {@code --backend compiled} the compiled backend cannot honour is a user error. A model jar's
     * compiled model is the jar's (its carried kernels); the interpreter runs the checked model the jar carries.
     */
    /** Whether {@link #load} may choose the compiled backend for these options. */
    static boolean mayRunCompiled(Backends requested, Precision precision) {
        return requested != interpreter && (precision != Precision.F64 || requested == compiled);
    }

    static DescentModel load(Backends requested, ModelArgument model, Precision precision, PrintWriter err) {
        Model m = model.model();
        if (requested == interpreter) return new InterpretedModel(m, precision);
        if (precision == Precision.F64) {
            String why = "--precision F64 %s the interpreter (the compiled backend computes in f32)";
            if (requested == compiled) throw new DescentException(why.formatted("needs") + "; use --backend interpreter");
            return fallBack(why.formatted("runs on"), m, precision, err);
        }
        if (model.jar() != null) return model.jar();
        String unsupported = CompiledModel.unsupported(m);
        if (unsupported == null) return new CompiledModel(m);
        if (requested == compiled) throw new DescentException(unsupported + "; use --backend interpreter");
        return fallBack(unsupported + "; running on the interpreter", m, precision, err);
    }

    private static DescentModel fallBack(String line, Model m, Precision precision, PrintWriter err) {
        err.println("descent: " + line);
        err.flush();
        return new InterpretedModel(m, precision);
    }
}
