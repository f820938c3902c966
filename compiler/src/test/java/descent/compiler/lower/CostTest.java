package descent.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import descent.compiler.schedule.Scheduler;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FLOPs and bytes of a step small enough to count by hand. */
class CostTest {
    @Test
    void matmulIsTwoMnkAndFusionMovesOnlyItsEnds() {
        Model m = Compiler.check("c.descent", """
                model c
                input x: f32[batch, 4]
                var w: f32[4, 3] = zeros()
                loss = reduce_sum(x @ w)
                train step { GradientDescentOptimizer(0.1).minimize(loss) }
                """);
        var t = m.trains().get(0);
        // The update needs no forward value: the broadcast of the upstream gradient (data movement, 0 FLOPs),
        // x^T @ g (2*4*2*3 = 48) and w - 0.1 * g (12 + 12).
        var lowered = Lowering.lower(m, Scheduler.schedule(m, t, List.of()), List.of());
        assertEquals(48 + 24, Cost.of(m.graph(), lowered, 2).flops(), KernelPrinter.print(m, "step", lowered));
        // Fetching the loss adds the forward matmul (2*2*4*3 = 48) and its reduction (6).
        List<Integer> fetch = List.of(t.lossNode());
        var withLoss = Lowering.lower(m, Scheduler.schedule(m, t, fetch), fetch);
        assertEquals(48 + 6 + 48 + 24, Cost.of(m.graph(), withLoss, 2).flops());
    }
}
