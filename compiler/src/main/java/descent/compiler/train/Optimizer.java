package descent.compiler.train;

import descent.compiler.autodiff.Autodiff;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.Grad;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.IrException;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.TrainStep.GateMode;
import descent.runtime.DType;
import descent.runtime.Initializer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * TensorFlow 1's {@code tf.train.Optimizer}: the control flow of minimize / compute_gradients /
 * apply_gradients, slots and non-slot variables, and TF's error conditions, with the hooks each optimizer
 * fills in ({@link #createSlots}, {@link #prepare}, {@link #applyDense}, {@link #applySparse},
 * {@link #finish}). Subclasses state only their slots and update rules, written as IR.
 */
public abstract class Optimizer {
    public static final int GATE_NONE = 0, GATE_OP = 1, GATE_GRAPH = 2;

    protected final boolean useLocking;
    protected final String name;
    /** slot name → primary variable name → slot variable (TF's _slots, sorted like get_slot_names). */
    private final Map<String, Map<String, VariableInfo>> slots = new TreeMap<>();
    private final Map<String, VariableInfo> nonSlots = new LinkedHashMap<>();
    private final Map<String, Integer> hyperCache = new HashMap<>();
    private TrainBuilder t;

    protected Optimizer(boolean useLocking, String name) {
        if (name == null || name.isEmpty()) throw new IrException("Must specify the optimizer name", "pass name=\"...\"");
        this.useLocking = useLocking;
        this.name = name;
    }

    public String getName() { return name; }

    /** The options minimize and compute_gradients share, with TF's defaults. */
    public record GradientOptions(List<VariableInfo> varList, GateMode gate, Aggregation aggregation,
                                  boolean colocateGradientsWithOps, int gradLoss) {
        public static GradientOptions defaults() {
            return new GradientOptions(null, GateMode.GATE_OP, Aggregation.DEFAULT, false, -1);
        }
        public GradientOptions varList(List<VariableInfo> v) { return new GradientOptions(v, gate, aggregation, colocateGradientsWithOps, gradLoss); }
        public GradientOptions gate(GateMode g) { return new GradientOptions(varList, g, aggregation, colocateGradientsWithOps, gradLoss); }
        public GradientOptions aggregation(Aggregation a) { return new GradientOptions(varList, gate, a, colocateGradientsWithOps, gradLoss); }
        public GradientOptions colocate(boolean c) { return new GradientOptions(varList, gate, aggregation, c, gradLoss); }
        public GradientOptions gradLoss(int g) { return new GradientOptions(varList, gate, aggregation, colocateGradientsWithOps, g); }
    }

    // ---- the public API (TF's names)

    /** compute_gradients then apply_gradients; TF's "No gradients provided" check between them. */
    public void minimize(TrainBuilder t, int loss, VariableInfo globalStep, GradientOptions o, List<VariableInfo> trainable) {
        List<GradAndVar> gv = computeGradients(t, loss, o, trainable);
        if (gv.stream().allMatch(p -> p.grad() instanceof Grad.None)) {
            throw new IrException("No gradients provided for any variable, check your graph for ops that do not support"
                    + " gradients, between variables " + names(gv) + " and loss " + describe(t.b, loss) + ".",
                    "the loss does not depend on any of these variables");
        }
        applyGradients(t, gv, globalStep);
    }

    /** (gradient, variable) pairs for {@code loss}; gradients are dense, IndexedSlices or None. */
    public List<GradAndVar> computeGradients(TrainBuilder t, int loss, GradientOptions o, List<VariableInfo> trainable) {
        GraphBuilder b = t.b;
        DType lt = b.dtype(loss);
        if (!lt.isFloating()) {
            throw new IrException("Invalid type " + lt + " for " + describe(b, loss) + ", expected: [f32, f64].",
                    "optimize a floating-point loss");
        }
        List<VariableInfo> vars = o.varList() != null ? o.varList() : trainable;
        if (vars.isEmpty()) throw new IrException("No variables to optimize.", "declare a trainable `var`, or pass var_list");
        if (o.gradLoss() >= 0 && !b.type(o.gradLoss()).equals(b.type(loss))) {
            throw new IrException("grad_loss is " + b.type(o.gradLoss()) + " but the loss is " + b.type(loss),
                    "grad_loss has the loss's type");
        }
        List<Integer> xs = vars.stream().map(VariableInfo::node).toList();
        List<Grad> grads = Autodiff.gradients(b, List.of(loss), o.gradLoss() >= 0 ? List.of(o.gradLoss()) : null, xs,
                o.aggregation(), t.groups);
        if (o.gate() == GateMode.GATE_GRAPH && grads.stream().allMatch(g -> g instanceof Grad.None)) {
            // TF: control_flow_ops.tuple(grads) has no tensor to gate, before minimize can check for gradients.
            throw new IrException("Must have at least one Tensor: " + grads.stream().map(g -> "None").toList(),
                    "under GATE_GRAPH, compute_gradients gates every gradient together; the loss does not depend on any of "
                    + vars.stream().map(VariableInfo::name).toList());
        }
        t.loss = loss;
        t.gate = o.gate();
        t.aggregation = o.aggregation();
        List<GradAndVar> out = new ArrayList<>();
        for (int i = 0; i < vars.size(); i++) {
            out.add(new GradAndVar(grads.get(i), vars.get(i)));
            t.computed.add(new TrainStep.GradientEntry(vars.get(i).name(), grads.get(i)));
        }
        return out;
    }

    /** Creates slots, prepares, applies each gradient, finishes, then increments {@code globalStep} (if given). */
    public void applyGradients(TrainBuilder t, List<GradAndVar> gv, VariableInfo globalStep) {
        if (gv.isEmpty()) throw new IrException("No variables provided.", "apply_gradients needs (gradient, variable) pairs");
        GraphBuilder b = t.b;
        List<VariableInfo> withGrad = new ArrayList<>();
        for (GradAndVar p : gv) {
            VariableInfo v = p.var();
            if (v.role() != VariableInfo.Role.VARIABLE) {
                throw new IrException("Trying to optimize unsupported type " + v.name(), "only model variables can be optimized");
            }
            switch (p.grad()) {
                case Grad.None n -> { continue; }
                case Grad.Dense d -> {
                    if (!b.type(d.node()).equals(v.type())) {
                        throw new IrException("var and grad do not have the same shape: gradient for `" + v.name() + "` is "
                                + b.type(d.node()) + " but the variable is " + v.type(),
                                "a processed gradient must keep its variable's dtype and shape");
                    }
                }
                case Grad.Sliced s -> {
                    // TF's sparse kernels check only the rows against var's inner dimensions ("var and grad must
                    // match in dimension"); dense_shape is not validated (rmsprop_test.py testSparse passes [1]
                    // for a [2] variable), so Descent does not check it either.
                    Shape vs = v.type().shape(), gs = b.shape(s.values()), is = b.shape(s.indices());
                    boolean rowsFit = vs.rank() >= 1 && gs.rank() == is.rank() + vs.rank() - 1
                            && gs.dims().subList(is.rank(), gs.rank()).equals(vs.dims().subList(1, vs.rank()));
                    if (!rowsFit || b.dtype(s.values()) != v.type().dtype()) {
                        throw new IrException("var and grad must match in dimension: IndexedSlices values for `" + v.name()
                                + "` are " + b.type(s.values()) + " with indices " + is + " but the variable is " + v.type(),
                                "the values are one row of the variable per index, of its dtype");
                    }
                }
            }
            withGrad.add(v);
        }
        if (withGrad.isEmpty()) {
            throw new IrException("No gradients provided for any variable: " + names(gv) + ".",
                    "no variable in the list has a gradient");
        }
        this.t = t;
        t.optimizers.add(name);
        java.util.Set<String> before = t.writtenState();
        createSlots(withGrad);
        prepare();
        for (GradAndVar p : gv) {
            if (p.grad() instanceof Grad.None) continue;
            VariableInfo v = p.var();
            t.inDType(v.type().dtype());
            t.applied.add(new TrainStep.GradientEntry(v.name(), p.grad()));
            if (p.grad() instanceof Grad.Dense d && t.b.densifiedSlices(d.node()) != null && !denseRuleKeepsRowsWithoutGradient()) {
                throw new IrException("the gradient of `" + v.name() + "` is an IndexedSlices that TensorFlow concatenates from lookups"
                        + " with ids of shapes " + t.b.densifiedSlices(d.node()) + "; Descent has no dimension for that"
                        + " concatenation and sums it into a dense gradient, and " + getClass().getSimpleName()
                        + "Optimizer's dense rule would also change the rows no id names",
                        "give every lookup of `" + v.name() + "` ids of one shape, or ids whose dimensions after the first are fixed"
                        + " (i32[batch, 20] and i32[batch]); GradientDescent, Adagrad and Adam apply such a gradient as TensorFlow does");
            }
            switch (p.grad()) {
                case Grad.Dense d -> applyDense(d.node(), v);
                case Grad.Sliced s -> applySparseDuplicateIndices(s, v);
                case Grad.None n -> { }
            }
        }
        finish();
        if (useLocking) {
            for (String s : t.writtenState()) if (!before.contains(s)) t.locked.add(s);
        }
        if (globalStep != null) {
            t.inDType(globalStep.type().dtype());
            t.assign(globalStep, t.add(t.read(globalStep), t.c(1)));
            t.globalStep = globalStep.name();
        }
        this.t = null;
    }

    public VariableInfo getSlot(VariableInfo var, String slotName) {
        Map<String, VariableInfo> byVar = slots.get(slotName);
        return byVar == null ? null : byVar.get(var.name());
    }

    /** TF: sorted(self._slots.keys()). */
    public List<String> getSlotNames() { return List.copyOf(slots.keySet()); }

    // ---- hooks

    /** Creates the slots of {@code vars} (those with a gradient); called at every apply, slots are reused. */
    protected void createSlots(List<VariableInfo> vars) {}

    /** Converts hyperparameters; called once per apply. */
    protected void prepare() {}

    /** Records the dense update of {@code var} by gradient {@code grad} (a node of the variable's type). */
    protected abstract void applyDense(int grad, VariableInfo var);

    /** Records the sparse update of {@code var}: listed rows only, duplicates already summed. */
    protected abstract void applySparse(SparseGrad grad, VariableInfo var);

    /** TF's default: sum the values of repeated indices, then {@link #applySparse}. */
    protected void applySparseDuplicateIndices(Grad.Sliced g, VariableInfo var) {
        GraphBuilder b = t.b;
        int values = b.dedupSum(g.values(), g.indices());
        int mask = b.firstOccurrence(g.indices(), var.type().dtype());
        applySparse(new SparseGrad(values, g.indices(), mask), var);
    }

    /**
     * Whether the dense rule, given a gradient that is zero on a row, leaves that row of the variable (and its
     * slots, up to rounding) as TF's sparse rule leaves a row no index names, so that an IndexedSlices summed densely
     * ({@link GraphBuilder#densifiedSlices(int)}) updates what TF updates.
     */
    protected boolean denseRuleKeepsRowsWithoutGradient() { return false; }

    /** Runs after every variable's update (Adam's beta powers). */
    protected void finish() {}

    // ---- helpers for subclasses

    protected TrainBuilder t() { return t; }

    /**
     * A hyperparameter as a scalar node of the current variable's dtype. A number becomes a float32 tensor
     * first and is then cast (TF's convert_to_tensor + math_ops.cast), so f64 variables see its float32 value.
     */
    protected int h(Hyper hyper) {
        DType d = t.dtype();
        return switch (hyper) {
            case Hyper.Const c -> hyperCache.computeIfAbsent(d + ":" + c.value() + ":" + System.identityHashCode(t),
                    k -> t.b.scalar((float) c.value(), d));
            case Hyper.Node n -> {
                int node = n.node();
                if (t.b.type(node).rank() != 0) {
                    throw new IrException("a hyperparameter must be a scalar, got " + t.b.type(node), null);
                }
                yield t.b.dtype(node) == d ? node : hyperCache.computeIfAbsent(d + ":node" + node, k -> t.b.cast(node, d));
            }
        };
    }

    /** A number used exactly in the variable's dtype (TF code that multiplies by a Python float). */
    protected int exact(Hyper hyper) {
        return hyper instanceof Hyper.Const c ? t.b.scalar(c.value(), t.dtype()) : h(hyper);
    }

    /** A slot of {@code var} named {@code primary/OptimizerName} (uniquified), created once, initialised to {@code value}. */
    protected VariableInfo slot(VariableInfo var, String slotName, double value) {
        return slot(var, slotName, value, name);
    }

    /** As {@link #slot(VariableInfo, String, double)}, named {@code primary/opName} (Ftrl's accum_name, linear_name). */
    protected VariableInfo slot(VariableInfo var, String slotName, double value, String opName) {
        Map<String, VariableInfo> byVar = slots.computeIfAbsent(slotName, k -> new LinkedHashMap<>());
        VariableInfo s = byVar.get(var.name());
        if (s == null) {
            Initializer init = value == 0 ? new Initializer.Zeros() : new Initializer.Constant(value, null);
            s = t.state.create(var.name() + "/" + opName, var.type(), init, VariableInfo.Role.SLOT, var.name(), slotName);
            byVar.put(var.name(), s);
            t.slots.computeIfAbsent(var.name(), k -> new TreeMap<>()).put(slotName, s.name());
        }
        return s;
    }

    protected VariableInfo zerosSlot(VariableInfo var, String slotName) { return slot(var, slotName, 0.0); }

    /** The slot created by {@link #slot} for {@code var}. */
    protected VariableInfo slotOf(VariableInfo var, String slotName) { return slots.get(slotName).get(var.name()); }

    /** A non-slot variable shared by all of this optimizer's variables (TF keys them per graph). */
    protected VariableInfo nonSlot(String varName, double initial, DType dtype) {
        return nonSlots.computeIfAbsent(varName, k -> t.state.create(varName, TensorType.scalar(dtype),
                new Initializer.Constant(initial, null), VariableInfo.Role.NON_SLOT, null, null));
    }

    protected VariableInfo nonSlotOf(String varName) { return nonSlots.get(varName); }

    /** A hyperparameter that TF requires to be a number here (it becomes an initial value). */
    protected static double constant(Hyper h, String what) {
        if (!(h instanceof Hyper.Const c)) {
            throw new IrException(what + " must be a number here, not a tensor", "it initialises a variable");
        }
        return c.value();
    }

    /** A number as Python's {@code %s} prints a float (1e-05, 0.1, 1e+16), for TF's messages verbatim. */
    public static String py(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return 1 / v < 0 ? "-0.0" : "0.0";
        java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale();
        String sign = v < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        String plain = bd.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    private static List<String> names(List<GradAndVar> gv) { return gv.stream().map(p -> p.var().name()).toList(); }

    private static String describe(GraphBuilder b, int node) {
        String n = b.node(node).name();
        return n != null ? "`" + n + "`" : "%" + node + " (" + b.type(node) + ")";
    }
}
