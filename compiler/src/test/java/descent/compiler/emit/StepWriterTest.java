package descent.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A generated step runs its actions in order, whatever their number: calls, writes through hooks, and the lock
 * and unlock hooks where they belong, also for steps split into many methods and several classes (20,000
 * actions; a single class's initialiser or constant pool would not hold that many calls).
 */
class StepWriterTest {
    @Test
    void actionsRunInOrderAcrossMethodsAndClasses() {
        for (int n : new int[] {0, 1, 7, StepWriter.PER_METHOD + 3, StepWriter.PER_CLASS + 1, 20_000}) {
            List<String> log = new ArrayList<>();
            List<StepWriter.Action> actions = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            int lockFrom = n / 3, lockTo = n - 2;
            for (int i = 0; i < n; i++) {
                if (i == lockFrom) expected.add("lock");
                int id = i;
                switch (i % 5) {
                    case 3 -> { actions.add(new StepWriter.Action.Write()); expected.add("write " + i); }
                    case 4 -> actions.add(new StepWriter.Action.None());
                    default -> { actions.add(new StepWriter.Action.Call((buf, step, b) -> log.add("call " + id), "k" + i)); expected.add("call " + i); }
                }
                if (i == lockTo) expected.add("unlock");
            }
            Step step = StepWriter.define(actions, n > 2 ? lockFrom : -1, n > 2 ? lockTo : -1);
            if (n <= 2) expected.removeIf(e -> e.equals("lock") || e.equals("unlock"));
            StepHooks hooks = new StepHooks() {
                @Override public void write(Object ctx, int action) { log.add("write " + action); }
                @Override public void lock(Object ctx) { log.add("lock"); }
                @Override public void unlock(Object ctx) { log.add("unlock"); }
            };
            step.run(hooks, null, new Object[0], 0, 0);
            assertEquals(expected, log, n + " actions");
        }
    }
}
