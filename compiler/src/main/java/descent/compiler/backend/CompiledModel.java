package descent.compiler.backend;

import descent.compiler.interp.InterpretedModel;
import descent.compiler.ir.Model;
import descent.compiler.lower.Lowering;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.DescentException;
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
    /** The executables a model jar carries for this model ({@link CarriedExecutables}), else none. */
    private final CarriedExecutables carried;

    public CompiledModel(Model model) { this(model, CarriedExecutables.NONE); }

    CompiledModel(Model model, CarriedExecutables carried) {
        checkSupported(model);
        this.model = model;
        this.carried = carried;
        this.signature = InterpretedModel.signatureOf(model);
        if (!descent.compiler.emit.MatmulEmitter.vectorApiAvailable() && WARNED.compareAndSet(false, true)) {
            System.err.println("descent: warning: jdk.incubator.vector is not available (run java with --add-modules"
                    + " jdk.incubator.vector); compiled kernels use scalar loops");
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    public Model model() { return model; }

    /**
     * Why the compiled backend cannot run {@code model}, as a sentence, or null when it runs the whole model.
     * Every op has f32 and f64 kernels; what is left is integer values where only those exist (reductions,
     * gathers and scatters, add_n, one_hot of an integer type: reduce_mean of an i32 input, say), an integer
     * comparison giving another type, and an elementwise op the fused loops cannot take: a select of integer
     * values, or one whose f64 condition picks between f32 values (converting the condition could turn a tiny
     * nonzero into 0). The command line's default backend falls back to the interpreter
     * exactly when this is not null, so anything the backend cannot run must be named here.
     */
    public static String unsupported(Model model) {
        var g = model.graph();
        for (Node n : g.nodes()) {
            // Kernels of these ops exist for f32 and f64 values only (KernelCalls.requireFloating).
            boolean floatingOnly = switch (n.op()) {
                case Op.Reduce r -> true;
                case Op.SumTo s -> true;
                case Op.AddN a -> true;
                case Op.Gather ga -> true;
                case Op.ScatterAdd sa -> true;
                case Op.DedupSum d -> true;
                case Op.ScatterUpdate su -> true;
                case Op.ScatterAccumulate sa -> true;
                case Op.OneHot o -> true;
                case Op.FirstOccurrence f -> true;
                case Op.RandomNormal r -> true;
                default -> false;
            };
            if (floatingOnly && !n.type().dtype().isFloating()) {
                return "the compiled backend does not support " + n.op().mnemonic() + " of " + n.type().dtype().languageName()
                        + " values yet (" + describe(n) + ")";
            }
            if (n.op() instanceof Op.Binary && !g.type(n.input(0)).dtype().isFloating() && g.type(n.input(0)).dtype() != n.type().dtype()) {
                return "the compiled backend does not support " + n.op().mnemonic() + " of " + g.type(n.input(0)).dtype().languageName()
                        + " values giving " + n.type() + " yet (" + describe(n) + ")";
            }
            boolean elementwise = n.op() instanceof Op.Unary || n.op() instanceof Op.Binary || n.op() instanceof Op.Select
                    || n.op() instanceof Op.LeakyRelu || n.op() instanceof Op.LeakyReluGrad;
            if (!elementwise) continue;
            boolean runs = n.type().dtype().isFloating() ? Lowering.isElementwise(n, g)
                    : n.op() instanceof Op.Unary || n.op() instanceof Op.Binary;   // integer kernels (LayoutCalls)
            if (!runs) {
                String operands = String.join(", ", n.inputs().stream().map(i -> g.type(i).dtype().languageName()).toList());
                return "the compiled backend does not support " + n.op().mnemonic() + " of " + operands + " giving "
                        + n.type() + " yet (" + describe(n) + ")";
            }
        }
        return null;
    }

    /** Throws the user error a model the compiled backend cannot run gets ({@link #unsupported}). */
    public static void checkSupported(Model model) {
        String why = unsupported(model);
        if (why != null) throw new DescentException(why + "; use --backend interpreter");
    }

    private static String describe(Node n) {
        return switch (n.op()) {
            case Op.Input i -> "input " + i.name();
            case Op.Variable v -> "variable " + v.name();
            default -> n.name() != null ? "`" + n.name() + "`" : "%" + n.id() + " " + n.op().mnemonic();
        };
    }

    @Override public ModelSignature signature() { return signature; }

    @Override public TrainingSession newSession(long seed) { return newSession(seed, 1); }

    /**
     * A session whose steps split large matrix products and elementwise passes over {@code threads} threads
     * (the calling one and {@code threads - 1} daemon workers it keeps). Every value is computed by the same
     * instructions in the same order whatever the count, so results are bitwise identical to one thread.
     */
    @Override public TrainingSession newSession(long seed, int threads) {
        if (threads < 1 || threads > StepThreads.MAX_THREADS) {
            throw new descent.runtime.DescentException("threads must be from 1 to " + StepThreads.MAX_THREADS + ", not " + threads);
        }
        return new CompiledSession(model, signature, seed, threads, carried);
    }

    /**
     * Time per kernel of a compiled session's steps since the last {@link #resetProfile}, when the JVM runs with
     * {@code -Ddescent.profile=true}; an empty string otherwise, or for a session of another backend.
     */
    public static String profile(TrainingSession session) {
        return session instanceof CompiledSession s ? s.profile() : "";
    }

    /** Starts a compiled session's kernel profile afresh (after a warm-up, say). */
    public static void resetProfile(TrainingSession session) {
        if (session instanceof CompiledSession s) s.resetProfile();
    }
}
