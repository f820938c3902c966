package descent.cli;

import descent.compiler.Compiler;
import descent.compiler.ast.AstPrinter;
import descent.compiler.autodiff.GradientPass;
import descent.compiler.diag.Source;
import descent.compiler.ir.IrPrinter;
import descent.compiler.ir.Model;
import descent.runtime.AtomicFiles;
import descent.runtime.DescentException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "compile", description = {
        "Compiles a model. With --emit, prints (or writes to -o) one stage of the pipeline:",
        "  ast   the syntax tree",
        "  ir    the typed graph IR",
        "  grad  the IR with each train block's gradients"})
final class CompileCommand implements Callable<Integer> {
    enum Stage { ast, ir, grad }

    @Parameters(paramLabel = "MODEL") Path model;
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "output file") Path output;
    @Option(names = "--emit", paramLabel = "STAGE", description = "ast, ir or grad") Stage emit;
    @Option(names = "--package", paramLabel = "P", description = "Java package of the generated classes") String pkg;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        Source source = Compiler.read(model);
        if (emit == null) {
            Compiler.check(source);
            throw new DescentException("bytecode generation (`descent compile -o model.jar`) is not available in this version;"
                    + " use --emit ast|ir|grad, or `descent run` (interpreter)");
        }
        String text = switch (emit) {
            case ast -> AstPrinter.print(Compiler.parse(source));
            case ir -> IrPrinter.print(Compiler.check(source));
            case grad -> {
                Model m = Compiler.check(source);
                yield GradientPass.print(GradientPass.run(m));
            }
        };
        if (output == null) {
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
        } else {
            AtomicFiles.write(output, text.getBytes(StandardCharsets.UTF_8));
        }
        return Main.OK;
    }
}
