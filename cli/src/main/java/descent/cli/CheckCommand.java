package descent.cli;

import descent.compiler.Compiler;
import descent.compiler.ir.Model;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true, description = {"Parses and type-checks a model; prints its diagnostics.", "Exit 0 when clean, 1 with errors."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "the .descent file") Path model;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        Model m = Compiler.check(model);
        long vars = m.variables().stream().filter(v -> v.role() == Model.VariableInfo.Role.VARIABLE).count();
        long state = m.variables().size() - vars;
        spec.commandLine().getOut().printf("%s: ok (model %s: %s, %s, %s, %s%s)%n", model, m.name(),
                count(m.inputs().size(), "input"), count(vars, "variable"), count(m.outputs().size(), "output"),
                count(m.trains().size(), "train block"), state > 0 ? ", " + state + " optimizer slots and non-slot variables" : "");
        return Main.OK;
    }

    private static String count(long n, String what) { return n + " " + what + (n == 1 ? "" : "s"); }
}
