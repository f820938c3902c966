package descent.cli;

import descent.runtime.DescentException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code descent} command. Exit codes (DESIGN.md): 0 ok, 1 user error (bad model, feed, file),
 * 2 usage, 3 internal error. A user error is one clear message on stderr, never a stack trace.
 */
@Command(name = "descent", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Compiles TensorFlow-1-style training steps to JVM bytecode.")
public final class Main implements Runnable {
    public static final int OK = 0, USER_ERROR = 1, USAGE = 2, INTERNAL = 3;
    static final String VERSION = "descent 0.1.0";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getErr()); throw new CommandLine.ParameterException(spec.commandLine(), "a command is required"); }

    public static void main(String[] args) { System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true))); }

    /** The commands, in the order {@code descent --help} lists them. */
    private static final java.util.Map<String, java.util.function.Supplier<Object>> COMMANDS = commands();

    private static java.util.Map<String, java.util.function.Supplier<Object>> commands() {
        java.util.Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
        m.put("check", CheckCommand::new);
        m.put("run", RunCommand::new);
        m.put("compile", CompileCommand::new);
        m.put("inspect", InspectCommand::new);
        m.put("train", TrainCommand::new);
        m.put("predict", PredictCommand::new);
        return m;
    }

    /** Runs the command line with the given streams; returns the exit code (used by tests, too). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        // picocli reads a command's annotations when it is added, ~0.1 s for all six in a cold JVM: when the first
        // argument names one, only that one is added (what is parsed and printed is the same either way).
        var named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) cl.addSubcommand(args[0], named.get());
        else COMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        cl.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(VERSION));
        if (args.length > 0 && named == null && !args[0].startsWith("-")) {
            err.println("descent: unknown command `" + args[0] + "` (commands: " + String.join(", ", COMMANDS.keySet()) + ")");
            err.println("Try 'descent --help' for more information.");
            err.flush();
            return USAGE;
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(e -> e instanceof DescentException ? USER_ERROR : INTERNAL);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof DescentException de) {
                err.println(de.getMessage().startsWith("descent:") || de.getMessage().contains(": error:")
                        ? de.getMessage() : "descent: error: " + de.getMessage());
                err.flush();
                return USER_ERROR;
            }
            err.println("descent: internal error: " + e);
            e.printStackTrace(err);
            err.println("descent: this is a bug in Descent; please report it with the model file.");
            err.flush();
            return INTERNAL;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("descent: " + e.getMessage());
            err.println("Try 'descent " + (e.getCommandLine().getCommandName().equals("descent") ? "" : e.getCommandLine().getCommandName() + " ")
                    + "--help' for more information.");
            err.flush();
            return USAGE;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // The model's tensors, not a bug: say how much there was and how to give more.
            err.println("descent: error: out of memory: the model's tensors need more than the JVM's "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB heap; give it more, e.g. DESCENT_JAVA_OPTS=-Xmx16g");
            err.flush();
            return USER_ERROR;
        }
    }
}
