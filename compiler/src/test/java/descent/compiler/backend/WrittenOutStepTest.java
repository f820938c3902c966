package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.emit.StepWriter;
import descent.compiler.emit.StepWriter.Action;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every call of every example's train steps is written out by the step class — invocations, choices by the batch
 * size and forks over the threads (on one thread a fork's parts run in turn: a forward product split along k is always
 * split in two, for the same bits on any thread count), data all of it — on one, two and three threads: no Java closure decides anything
 * at run time (closures remain only for the profile's timers). The data is what a model jar could carry instead of
 * rebuilding it when loaded.
 */
class WrittenOutStepTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    @Test
    void noExampleStepRunsAClosure() throws Exception {
        List<Path> files;
        try (var s = Files.walk(ROOT.resolve("examples"))) { files = s.filter(p -> p.toString().endsWith(".descent")).sorted().toList(); }
        assertTrue(files.size() >= 5, files.toString());
        int forks = 0, steps = 0;
        for (Path f : files) {
            Model m = Compiler.check(f.toString(), Files.readString(f));
            for (TrainStep t : m.trains()) {
                List<Integer> fetches = List.of(t.lossNode());
                for (int threads : new int[] {1, 2, 3}) {
                    StepThreads st = threads == 1 ? StepThreads.SINGLE : new StepThreads(threads, false);
                    Executable e = Executable.symbolic(m.graph(), Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches), "batch",
                            Set.of(), fetches, st);
                    List<String> closures = new ArrayList<>();
                    closures(e.stepActions(), closures);
                    assertEquals(List.of(), closures, f.getFileName() + " " + t.name() + " on " + threads + " threads");
                    int n = StepWriter.forks(e.stepActions());
                    forks += n;
                    steps++;
                }
            }
        }
        assertTrue(forks > steps, forks + " forks in " + steps + " steps: the examples split on several threads");
    }

    private static void closures(List<Action> actions, List<String> out) {
        for (Action a : actions) {
            switch (a) {
                case Action.Call c -> out.add(c.label());
                case Action.Fork f -> {
                    f.parts().forEach(p -> closures(p, out));
                    closures(f.onFailure(), out);
                }
                case Action.Choose c -> {
                    closures(c.then(), out);
                    closures(c.otherwise(), out);
                }
                default -> { }
            }
        }
    }
}
