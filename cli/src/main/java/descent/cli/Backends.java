package descent.cli;

import descent.compiler.backend.CompiledModel;
import descent.compiler.interp.InterpretedModel;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Model;
import descent.runtime.api.DescentModel;

/** The `--backend` option's values: what runs a model behind the runtime API. */
enum Backends {
    interpreter, compiled;

    DescentModel load(Model m, Precision precision) {
        return this == compiled ? new CompiledModel(m) : new InterpretedModel(m, precision);
    }
}
