package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.interp.RuntimeApiTest;
import descent.runtime.api.DescentModel;

/** The runtime API's contract (split halves, atomic failures, state access) on the compiled backend. */
class CompiledRuntimeApiTest extends RuntimeApiTest {
    @Override protected DescentModel model() { return new CompiledModel(Compiler.check("rec.descent", EMBEDDING)); }

    @Override protected DescentModel model(String file, String source) { return new CompiledModel(Compiler.check(file, source)); }

    @Override protected DescentModel concurrentModel() { return new CompiledModel(Compiler.check("lock.descent", LOCKED)); }
}
