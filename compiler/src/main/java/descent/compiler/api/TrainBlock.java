package descent.compiler.api;

import descent.compiler.ir.Aggregation;
import descent.compiler.ir.Grad;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.TrainStep.GateMode;
import descent.compiler.train.GradAndVar;
import descent.compiler.train.GradientTransforms;
import descent.compiler.train.Optimizer;
import descent.compiler.train.TrainBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One train block of a {@link ModelBuilder}: tf.train's minimize / compute_gradients / apply_gradients
 * with TF's defaults, and fluent {@link Options} for the optional arguments.
 * <pre>{@code
 * t.minimize(opt, loss, Options.defaults().globalStep(gs).gate(GateMode.GATE_GRAPH));
 * List<GradAndVar> gv = t.computeGradients(opt, loss, Options.defaults());
 * t.applyGradients(opt, t.clipByGlobalNorm(gv, 5.0).pairs(), gs);
 * }</pre>
 */
public final class TrainBlock {
    private final ModelBuilder g;
    private final String name;
    private final TrainBuilder tb;

    TrainBlock(ModelBuilder g, String name) {
        this.g = g;
        this.name = name;
        this.tb = new TrainBuilder(g.b, g.stateRegistry());
    }

    /** minimize's and compute_gradients' optional arguments, TF's defaults first. */
    public record Options(List<Operand> varList, Operand globalStep, GateMode gate, Aggregation aggregation,
                          boolean colocateGradientsWithOps, Operand gradLoss) {
        public static Options defaults() { return new Options(null, null, GateMode.GATE_OP, Aggregation.DEFAULT, false, null); }
        public Options varList(List<Operand> v) { return new Options(v, globalStep, gate, aggregation, colocateGradientsWithOps, gradLoss); }
        public Options globalStep(Operand s) { return new Options(varList, s, gate, aggregation, colocateGradientsWithOps, gradLoss); }
        public Options gate(GateMode m) { return new Options(varList, globalStep, m, aggregation, colocateGradientsWithOps, gradLoss); }
        public Options aggregation(Aggregation a) { return new Options(varList, globalStep, gate, a, colocateGradientsWithOps, gradLoss); }
        public Options colocateGradientsWithOps(boolean c) { return new Options(varList, globalStep, gate, aggregation, c, gradLoss); }
        public Options gradLoss(Operand l) { return new Options(varList, globalStep, gate, aggregation, colocateGradientsWithOps, l); }
    }

    public void minimize(Optimizer opt, Operand loss) { minimize(opt, loss, Options.defaults()); }

    public void minimize(Optimizer opt, Operand loss, Options o) {
        opt.minimize(tb, g.n(loss), o.globalStep() == null ? null : g.variableOf(o.globalStep()), options(o), g.trainable());
    }

    public List<GradAndVar> computeGradients(Optimizer opt, Operand loss, Options o) {
        return opt.computeGradients(tb, g.n(loss), options(o), g.trainable());
    }

    public void applyGradients(Optimizer opt, List<GradAndVar> gradsAndVars, Operand globalStep) {
        opt.applyGradients(tb, gradsAndVars, globalStep == null ? null : g.variableOf(globalStep));
    }

    /** The clipped pairs and the global norm they were clipped by. */
    public record Clipped(List<GradAndVar> pairs, Operand norm) {}

    /** tf.clip_by_global_norm over (gradient, variable) pairs. */
    public Clipped clipByGlobalNorm(List<GradAndVar> gv, double clipNorm) {
        List<Grad> grads = gv.stream().map(GradAndVar::grad).toList();
        for (Grad gr : grads) {
            // As the language: TF measures an IndexedSlices slice by slice, which one summed densely no longer can be.
            if (gr instanceof Grad.Dense d && g.b.densifiedSlices(d.node()) != null) {
                throw new descent.compiler.ir.IrException("clip_by_global_norm of an IndexedSlices that TensorFlow concatenates from lookups"
                        + " with ids of shapes " + g.b.densifiedSlices(d.node()) + ": Descent holds it summed densely and cannot measure"
                        + " each slice as TensorFlow does", "give every lookup of the table ids of one shape");
            }
        }
        GradientTransforms.Clipped c = GradientTransforms.clipByGlobalNorm(g.b, grads, g.b.scalar(clipNorm, descent.runtime.DType.F32), -1);
        List<GradAndVar> out = new ArrayList<>();
        for (int i = 0; i < gv.size(); i++) out.add(new GradAndVar(c.list().get(i), gv.get(i).var()));
        return new Clipped(out, g.t(c.norm()));
    }

    /**
     * Each dense gradient replaced by an expression of the language over it, {@code g}, and its variable, {@code v}: what a
     * model file's {@code [(EXPRESSION, v) for (g, v) in gv]} does, e.g. {@code t.map(gv, "clip_by_norm(g, 1.0)")}. A None
     * gradient stays None. An IndexedSlices gradient is refused: a model file's comprehension keeps clip functions
     * sparse, as TF does, and this does not.
     */
    public List<GradAndVar> map(List<GradAndVar> gv, String expression) {
        List<GradAndVar> out = new ArrayList<>();
        for (GradAndVar p : gv) {
            switch (p.grad()) {
                case Grad.None none -> out.add(p);
                case Grad.Sliced s -> throw new descent.compiler.ir.IrException("map over the IndexedSlices gradient of `" + p.var().name()
                        + "`", "write this train block in a model file: its comprehensions keep IndexedSlices sparse, as TensorFlow does");
                case Grad.Dense d -> {
                    if (g.b.densifiedSlices(d.node()) != null) {
                        throw new descent.compiler.ir.IrException("map over the gradient of `" + p.var().name() + "`, an IndexedSlices"
                                + " Descent holds summed densely (lookups with ids of shapes " + g.b.densifiedSlices(d.node()) + ")",
                                "give every lookup of the table ids of one shape");
                    }
                    List<Operand> r = g.evaluate(expression, Map.of("g", g.t(d.node()), "v", g.t(p.var().node())), true);
                    if (r.size() != 1) {
                        throw new descent.compiler.ir.IrException("`" + expression + "` gives " + r.size() + " tensors for one gradient", null);
                    }
                    out.add(new GradAndVar(new Grad.Dense(r.getFirst().node()), p.var()));
                }
            }
        }
        return out;
    }

    private Optimizer.GradientOptions options(Options o) {
        Optimizer.GradientOptions go = Optimizer.GradientOptions.defaults().gate(o.gate()).aggregation(o.aggregation())
                .colocate(o.colocateGradientsWithOps());
        if (o.varList() != null) go = go.varList(o.varList().stream().map(g::variableOf).toList());
        if (o.gradLoss() != null) go = go.gradLoss(g.n(o.gradLoss()));
        return go;
    }

    TrainStep finish() { return tb.build(name, descent.compiler.diag.Span.NONE, Map.of()); }

}
