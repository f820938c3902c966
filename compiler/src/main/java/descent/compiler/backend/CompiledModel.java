package descent.compiler.backend;

import descent.compiler.interp.InterpretedModel;
import descent.compiler.ir.Model;
import descent.compiler.ir.Node;
import descent.runtime.DType;
import descent.runtime.api.DescentModel;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.TrainingSession;

/**
 * A model run by generated code: each train step's plan is lowered to kernels, and every kernel is a
 * class generated with ASM (Vector API loops where they pay), specialised to the shapes of the batch size
 * it runs at. Sessions share the generated classes.
 */
public final class CompiledModel implements DescentModel {
    private final Model model;
    private final ModelSignature signature;

    public CompiledModel(Model model) {
        checkSupported(model);
        this.model = model;
        this.signature = InterpretedModel.signatureOf(model);
        if (!descent.compiler.emit.MatmulEmitter.vectorApiAvailable() && WARNED.compareAndSet(false, true)) {
            System.err.println("descent: warning: jdk.incubator.vector is not available (run java with --add-modules"
                    + " jdk.incubator.vector); compiled kernels use scalar loops");
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    public Model model() { return model; }

    /** Throws the user error a model the compiled backend cannot run gets (f64 values, for now). */
    public static void checkSupported(Model model) {
        for (Node n : model.graph().nodes()) {
            if (n.type().dtype() == DType.F64) throw KernelCalls.unsupported(n, "f64 models");
        }
    }

    @Override public ModelSignature signature() { return signature; }

    @Override public TrainingSession newSession(long seed) { return new CompiledSession(model, signature, seed); }
}
