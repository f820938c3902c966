package descent.compiler;

import descent.compiler.ast.Ast;
import descent.compiler.ast.Parser;
import descent.compiler.check.Checker;
import descent.compiler.diag.Source;
import descent.compiler.ir.Model;
import descent.runtime.DescentException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The front of the pipeline as one call per stage: text → AST → Model (typed graph IR). */
public final class Compiler {
    private Compiler() {}

    public static Source read(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            // Some Windows editors start UTF-8 files with a byte order mark; it is not part of the model.
            return new Source(file.toString(), text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (NoSuchFileException e) {
            throw new DescentException(file + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new DescentException(file + ": cannot read: permission denied");
        } catch (MalformedInputException e) {
            throw new DescentException(file + ": not a UTF-8 text file" + (file.toString().endsWith(".jar")
                    ? " (a model jar: `descent inspect`, `run`, `train` and `predict` take one; `check` and `compile` take the .descent file)" : ""));
        } catch (IOException e) {
            throw new DescentException(file + ": cannot read: " + e.getMessage());
        }
    }

    public static Ast.Program parse(Source source) { return Parser.parse(source); }

    public static Model check(Source source) { return Checker.check(source, Parser.parse(source)); }

    public static Model check(Path file) { return check(read(file)); }

    /** Checks model text given inline (tests, the Java API); {@code name} appears in diagnostics. */
    public static Model check(String name, String text) { return check(new Source(name, text)); }
}
