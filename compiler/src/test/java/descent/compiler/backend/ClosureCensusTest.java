package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.emit.StepWriter;
import descent.compiler.ir.Model;
import descent.compiler.ir.TrainStep;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClosureCensusTest {
    private static final Path ROOT = Path.of(System.getProperty("descent.root", ".."));

    @Test
    void census() throws Exception {
        List<Path> files;
        try (var s = Files.walk(ROOT.resolve("examples"))) { files = s.filter(p -> p.toString().endsWith(".descent")).sorted().toList(); }
        for (Path f : files) {
            Model m = Compiler.check(f.toString(), Files.readString(f));
            for (TrainStep t : m.trains()) {
                List<Integer> fetches = List.of(t.lossNode());
                for (int threads : new int[] {1, 2}) {
                    StepThreads st = threads == 1 ? StepThreads.SINGLE : new StepThreads(2);
                    Executable e = Executable.symbolic(m.graph(), Lowering.lower(m, Scheduler.schedule(m, t, fetches), fetches), "batch", Set.of(), fetches, st);
                    StringBuilder sb = new StringBuilder();
                    for (StepWriter.Action a : e.stepActions()) if (a instanceof StepWriter.Action.Call c) sb.append(' ').append(c.label());
                    System.out.println("CENSUS " + f.getFileName() + " " + t.name() + " threads " + threads + ":" + sb);
                }
            }
        }
    }
}
