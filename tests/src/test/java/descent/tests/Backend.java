package descent.tests;

import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.Tensor;
import descent.runtime.api.TrainingSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The two backends behind the runtime API, so a golden suite runs on both. */
enum Backend {
    INTERPRETER, COMPILED;

    TrainingSession session(Model m) {
        return (this == INTERPRETER ? new InterpretedModel(m, Precision.F32) : new CompiledModel(m)).newSession(0);
    }

    /**
     * Whether this backend runs the whole model: the compiled one runs f64 only for elementwise math, casts
     * and layout ops ({@link CompiledModel#unsupported}); other f64 cases run on the interpreter alone.
     */
    boolean runs(Model m) {
        return this == INTERPRETER || CompiledModel.unsupported(m) == null;
    }

    /** Overwrites the named state values; returns the names the model lacks. */
    static List<String> restore(TrainingSession s, Map<String, Tensor> values) {
        List<String> unknown = new ArrayList<>();
        for (var e : values.entrySet()) {
            if (s.signature().state(e.getKey()) == null) unknown.add(e.getKey());
            else s.set(e.getKey(), e.getValue());
        }
        return unknown;
    }
}
