package descent.cli;

import descent.compiler.Compiler;
import descent.compiler.ast.AstPrinter;
import descent.compiler.schedule.PlanPrinter;
import descent.compiler.schedule.Scheduler;
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

@Command(name = "compile", mixinStandardHelpOptions = true, description = {
        "Compiles a model into a jar, or prints one stage of the pipeline.",
        "",
        "With -o MODEL.jar [--package P], writes a jar that an application loads with a plain class loader next to the runtime jar; it carries the class files of the model's kernels. With --emit STAGE, prints (or writes to -o) one stage of the pipeline instead:",
        "  ast       the syntax tree",
        "  ir        the typed graph IR",
        "  grad      the whole training IR: gradients, slots and updates of each block",
        "  plan      each train block's schedule: barriers, buffer lifetimes, bytes",
        "  kernels   each plan lowered to loop kernels: fused passes, in-place writes",
        "  bytecode  the classes a one-thread session generates, as ASM prints them",
        ""})
final class CompileCommand implements Callable<Integer> {
    enum Stage { ast, ir, grad, plan, kernels, bytecode }

    @Parameters(paramLabel = "MODEL", description = "the .descent file") Path model;
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "output file") Path output;
    @Option(names = "--emit", paramLabel = "STAGE", description = "ast, ir, grad, plan, kernels or bytecode") Stage emit;
    @Option(names = "--package", paramLabel = "P", description = "Java package of the generated classes") String pkg;
    @Option(names = "--threads", paramLabel = "T", split = ",",
            description = "thread counts of the sessions whose kernels the jar carries (default 1,2; other counts generate theirs when loaded)")
    java.util.List<Integer> threads;
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        // Option mistakes are usage errors (exit 2), like picocli's own; mistakes in the model or files exit 1.
        if (threads != null && emit != null) throw usage("--threads says what a jar carries; it does not go with --emit");
        if (threads != null) {
            for (int t : threads) if (t < 1 || t > 1024) throw usage("--threads takes thread counts from 1 to 1024, not " + t);
        }
        if (emit == null && output == null) throw usage("say where the jar goes: descent compile MODEL -o MODEL.jar");
        if (emit == null) {
            try {
                descent.compiler.backend.ModelJar.checkPackage(pkg);
            } catch (DescentException e) {
                throw usage(e.getMessage());
            }
        }
        if (output != null) {
            descent.cli.data.OutputPaths.checkNotRead(spec.commandLine(), "-o " + output, output, java.util.Map.of("the model", model));
        }
        Source source = Compiler.read(model);
        if (output != null) descent.cli.data.OutputPaths.checkWritable(output);
        if (emit == null) {
            Model m = Compiler.check(source);
            String unsupported = descent.compiler.backend.CompiledModel.unsupported(m); // reject it now, not when loaded
            if (unsupported != null) {
                throw new DescentException("a model jar runs on the compiled backend, and " + unsupported);
            }
            descent.compiler.backend.ModelJar.write(output, m, source.text(), pkg,
                    threads == null ? descent.compiler.backend.ModelJar.THREADS : java.util.List.copyOf(new java.util.TreeSet<>(threads)));
            // Beside a jar written to stdout, the line goes to stderr.
            java.io.PrintWriter status = descent.cli.data.OutputPaths.isStdout(output) ? spec.commandLine().getErr() : spec.commandLine().getOut();
            status.println("wrote " + output + ": class " + descent.compiler.backend.ModelJar.className(m, pkg)
                    + " (a descent.runtime.api.DescentModel; needs only the runtime jar beside it)");
            status.flush();
            return Main.OK;
        }
        String text = switch (emit) {
            case ast -> AstPrinter.print(Compiler.parse(source));
            case ir -> IrPrinter.print(Compiler.check(source));
            case grad -> IrPrinter.printTraining(Compiler.check(source));
            case plan -> {
                Model m = Compiler.check(source);
                StringBuilder sb = new StringBuilder();
                java.util.List<Integer> fetches = new java.util.ArrayList<>(m.outputs().values());
                for (var t : m.trains()) {
                    java.util.List<Integer> f = new java.util.ArrayList<>(fetches);
                    if (t.lossNode() >= 0 && !f.contains(t.lossNode())) f.add(t.lossNode());
                    sb.append(PlanPrinter.print(m, Scheduler.schedule(m, t, f))).append('\n');
                }
                if (m.trains().isEmpty()) sb.append(PlanPrinter.print(m, Scheduler.evaluation(m, fetches)));
                yield sb.toString();
            }
            case bytecode -> {
                Model m = Compiler.check(source);
                String unsupported = descent.compiler.backend.CompiledModel.unsupported(m);
                if (unsupported != null) throw new DescentException("--emit bytecode prints the compiled backend's classes, and " + unsupported);
                yield descent.compiler.backend.BytecodePrinter.print(m);
            }
            case kernels -> {
                Model m = Compiler.check(source);
                StringBuilder sb = new StringBuilder();
                for (var t : m.trains()) {
                    java.util.List<Integer> f = new java.util.ArrayList<>(m.outputs().values());
                    if (t.lossNode() >= 0 && !f.contains(t.lossNode())) f.add(t.lossNode());
                    var plan = Scheduler.schedule(m, t, f);
                    sb.append(descent.compiler.lower.KernelPrinter.print(m, t.name(), descent.compiler.lower.Lowering.lower(m, plan, f))).append('\n');
                }
                yield sb.toString();
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

    private picocli.CommandLine.ParameterException usage(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
}
