package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.emit.ElementwiseEmitter;
import descent.compiler.emit.ElementwiseStyle;
import descent.compiler.emit.FusedExpr;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Model;
import descent.compiler.lower.Kernel;
import descent.compiler.lower.Lowering;
import descent.compiler.schedule.Scheduler;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * Golden bytecode for a small example: the logistic regression's fused update pass of w and w's weight-gradient
 * matmul, in the scalar style (the same on every machine, whatever its vector length), as ASM prints them.
 * Every class verifies with CheckClassAdapter. Regenerate with -Ddescent.regenerate=true.
 */
class BytecodeGoldenTest {
    @Test
    void logregKernels() throws Exception {
        Model m = Compiler.check(ExampleGoldenTest.ROOT.resolve("examples/logreg.descent"));
        var t = m.trains().get(0);
        Lowering.Program p = Lowering.lower(m, Scheduler.schedule(m, t, List.of()), List.of());
        // w's update runs inside its gradient's product (a Kernel.ProductUpdate), block by block.
        Kernel.Fused update = p.kernels().stream()
                .filter(k -> k instanceof Kernel.ProductUpdate u && m.graph().type(u.product()).shape().equals(m.variable("w").type().shape()))
                .map(k -> ((Kernel.ProductUpdate) k).update())
                .findFirst().orElseThrow();
        byte[] fused = ElementwiseEmitter.emit(FusedExpr.from(m.graph(), update.results(), update.inputs()), ElementwiseStyle.SCALAR);
        byte[] matmul = MatmulEmitter.scalarClassFile(new MatmulShape(4, 8, 1, true, false, descent.runtime.DType.F32));
        StringBuilder text = new StringBuilder();
        for (byte[] cls : List.of(fused, matmul)) {
            StringWriter verify = new StringWriter();
            CheckClassAdapter.verify(new ClassReader(cls), false, new PrintWriter(verify));
            assertTrue(verify.toString().isEmpty(), verify.toString());
            StringWriter out = new StringWriter();
            new ClassReader(cls).accept(new TraceClassVisitor(new PrintWriter(out)), 0);
            text.append(out).append('\n');
        }
        // Generated class names carry a JVM-wide counter (unique hidden-class names); it depends on what ran before.
        String stable = text.toString().replaceAll("(Generated\\w+?_)\\d+\\b", "$1N");
        ExampleGoldenTest.compareIn("tests/golden/examples", "logreg.bytecode", stable);
        assertTrue(Files.size(ExampleGoldenTest.ROOT.resolve("tests/golden/examples/logreg.bytecode")) > 1000);
        assertEquals(2, stable.split("// class version").length - 1);
    }
}
