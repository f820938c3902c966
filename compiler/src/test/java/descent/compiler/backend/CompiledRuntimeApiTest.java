package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.interp.RuntimeApiTest;
import descent.runtime.api.DescentModel;

/** The runtime API's contract (split halves, atomic failures, state access) on the compiled backend. */
class CompiledRuntimeApiTest extends RuntimeApiTest {
    @Override protected DescentModel model() { return new CompiledModel(Compiler.check("rec.descent", EMBEDDING)); }

    @Override protected DescentModel model(String file, String source) { return new CompiledModel(Compiler.check(file, source)); }

    @Override protected DescentModel concurrentModel() { return new CompiledModel(Compiler.check("lock.descent", LOCKED)); }

    /**
     * A train call that fetches nothing runs the step that fetches the loss (one executable, one step class in a
     * jar for both), and trains exactly as it: the same state, bit for bit, as a session that fetched the loss.
     */
    @org.junit.jupiter.api.Test
    void aCallThatFetchesNothingRunsTheStepThatFetchesTheLoss() {
        CompiledSession a = (CompiledSession) model().newSession(5), b = (CompiledSession) model().newSession(5);
        for (int i = 0; i < 3; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of(), a.train("step", feeds(), java.util.List.of()));
            a.trainInto("step", feeds(), java.util.List.of(), new Object[0]);
            b.train("step", feeds(), java.util.List.of("loss"));
            b.trainInto("step", feeds(), java.util.List.of("loss"), new Object[] {new float[1]});
        }
        org.junit.jupiter.api.Assertions.assertEquals(b.state(), a.state());
        org.junit.jupiter.api.Assertions.assertEquals(6L, a.stepCount());
        a.train("step", feeds(), java.util.List.of("loss"));
        org.junit.jupiter.api.Assertions.assertEquals(1, a.executableCount());
    }
}
