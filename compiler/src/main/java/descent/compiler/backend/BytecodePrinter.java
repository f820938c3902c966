package descent.compiler.backend;

import descent.compiler.emit.MatmulEmitter;
import descent.compiler.ir.Model;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * The last stage's printer ({@code descent compile --emit bytecode}): every class a model jar recorded on one
 * thread carries — the kernels each train step calls, then the outputs', in the order they were first needed,
 * then the model class that runs them ({@link ModelSteps}) — as ASM prints them, named as the jar names them. The kernels are specialised
 * to this JVM's vector length, so the text differs between machines; it does not between runs on one.
 */
public final class BytecodePrinter {
    private BytecodePrinter() {}

    public static String print(Model m) {
        Map<String, List<byte[]>> classes = KernelRecording.record(m, List.of(1));
        int lanes = MatmulEmitter.preferredVectorLength();
        StringBuilder sb = new StringBuilder("// model ").append(m.name()).append(": ").append(count(classes))
                .append(" generated classes, ").append(lanes > 0 ? "vector length " + lanes + " floats" : "scalar loops (no jdk.incubator.vector)")
                .append('\n');
        int serial = 0;
        for (var e : classes.entrySet()) {
            for (byte[] file : e.getValue()) {
                String name = KernelRecording.jarName(e.getKey(), file, serial++);
                sb.append("\n// ").append(name).append(": ").append(e.getKey().strip().replace("\n", "\n//   ")).append('\n');
                StringWriter text = new StringWriter();
                new ClassReader(ClassRenamer.rename(file, name, KernelArchive.source(e.getKey())))
                        .accept(new TraceClassVisitor(new PrintWriter(text)), 0);
                sb.append(text);
            }
        }
        return sb.toString();
    }

    private static int count(Map<String, List<byte[]>> classes) {
        return classes.values().stream().mapToInt(List::size).sum();
    }
}
