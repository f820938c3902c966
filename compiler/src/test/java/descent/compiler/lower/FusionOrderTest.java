package descent.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.schedule.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FusionOrder}'s two moves and the read-after-write rule that limits them, on hand-written plans. */
class FusionOrderTest {
    private static final Model M = Compiler.check("t.descent", """
            model t
            var w: f32[4] = zeros()
            var s: f32[] = 2
            a = w * 2
            k = s * 3
            b = w + 1
            c = a * k
            output a, b, c
            """);

    private static Plan.Step compute(String name) { return new Plan.Step.Compute(M.names().get(name)); }

    private static Plan.Step writeW(String value) { return new Plan.Step.Write("w", M.names().get("w"), M.names().get(value)); }

    @Test
    void writesMoveAfterTheRunAndScalarsBeforeIt() {
        List<Plan.Step> plan = List.of(compute("a"), writeW("a"), compute("k"), compute("c"));
        assertEquals(List.of(compute("k"), compute("a"), compute("c"), writeW("a")), FusionOrder.reorder(M.graph(), plan));
    }

    @Test
    void aReadOfAVariableNeverMovesAcrossItsWrite() {
        // b reads w after the write: it must still see the new value, so the run closes before b.
        List<Plan.Step> plan = List.of(compute("a"), writeW("a"), compute("b"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }

    @Test
    void nothingMovesAcrossABarrier() {
        List<Plan.Step> plan = List.of(compute("a"), new Plan.Step.Barrier("gate"), compute("k"), compute("c"));
        assertEquals(plan, FusionOrder.reorder(M.graph(), plan));
    }
}
