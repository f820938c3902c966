package descent.compiler.train;

import descent.compiler.diag.Span;
import descent.compiler.ir.Aggregation;
import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.ir.TrainStep;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The train step under construction: the graph, the state it may create, and the updates recorded so far.
 * Optimizers read state with {@link #read} (the value as updated so far in this step, so AdamW's decay
 * feeds Adam's update) and record new values with {@link #assign}. The arithmetic helpers keep update
 * rules as short as the kernels they transcribe; each builds one IR node in the given operand order,
 * so rounding follows the kernel's expression.
 */
public final class TrainBuilder {
    final GraphBuilder b;
    final StateRegistry state;
    private final Map<Integer, Integer> current = new LinkedHashMap<>();
    private final Map<String, Integer> updates = new LinkedHashMap<>();
    private final Map<Integer, String> stateNames = new LinkedHashMap<>();
    final List<TrainStep.GradGroup> groups = new ArrayList<>();
    final List<TrainStep.GradientEntry> applied = new ArrayList<>();
    final List<TrainStep.GradientEntry> computed = new ArrayList<>();
    final Map<String, Map<String, String>> slots = new TreeMap<>();
    final LinkedHashSet<String> optimizers = new LinkedHashSet<>();
    final java.util.Set<String> locked = new java.util.TreeSet<>();
    TrainStep.GateMode gate = TrainStep.GateMode.GATE_OP;
    Aggregation aggregation = Aggregation.DEFAULT;
    int loss = -1;
    String globalStep;
    private DType dtype = DType.F32;

    private final int firstNode;

    public TrainBuilder(GraphBuilder b, StateRegistry state) {
        this.b = b;
        this.state = state;
        this.firstNode = b.size();
    }

    public GraphBuilder graph() { return b; }

    /** Finishes the step: one update per changed state variable, in the order first assigned. */
    public TrainStep build(String name, Span span, Map<String, Integer> locals) {
        List<TrainStep.Update> ups = new ArrayList<>();
        updates.forEach((s, v) -> ups.add(new TrainStep.Update(s, v)));
        // With use_locking the global step's increment is atomic too: TF's assign_add of a ref variable is not, and
        // a lost increment makes global_step (and the schedules that read it) drift from the steps taken.
        java.util.Set<String> lockedState = new java.util.TreeSet<>(locked);
        if (!locked.isEmpty() && globalStep != null) lockedState.add(globalStep);
        return new TrainStep(name, span, loss, gate, aggregation, ups, applied, computed, groups, slots,
                List.copyOf(optimizers), globalStep, locals, firstNode, java.util.Set.copyOf(lockedState));
    }

    // ---- state

    /** The current value of a state variable in this step: its pre-step value until assigned. */
    public int read(VariableInfo v) { return current.getOrDefault(v.node(), v.node()); }

    public void assign(VariableInfo v, int value) {
        current.put(v.node(), value);
        stateNames.put(v.node(), v.name());
        updates.put(v.name(), value);
    }

    /** The state written so far (to find what one optimizer's apply wrote). */
    java.util.Set<String> writtenState() { return java.util.Set.copyOf(updates.keySet()); }

    // ---- arithmetic in the dtype set by {@link #inDType}

    /** Sets the dtype that {@link #c} constants get: the variable's, as TF casts hyperparameters to it. */
    public void inDType(DType d) { this.dtype = d; }
    public DType dtype() { return dtype; }

    public int c(double v) { return b.scalar(v, dtype); }
    public int add(int x, int y) { return b.binary(BinaryFn.ADD, x, y); }
    public int sub(int x, int y) { return b.binary(BinaryFn.SUB, x, y); }
    public int mul(int x, int y) { return b.binary(BinaryFn.MUL, x, y); }
    public int div(int x, int y) { return b.binary(BinaryFn.DIV, x, y); }
    public int max(int x, int y) { return b.binary(BinaryFn.MAX, x, y); }
    public int min(int x, int y) { return b.binary(BinaryFn.MIN, x, y); }
    /**
     * Eigen's {@code cwiseMax} in TF's apply kernels: {@code x < y ? y : x}, so a NaN {@code y} is dropped and a NaN
     * {@code x} kept ({@link #max}, TF's Maximum op, propagates either).
     */
    public int cwiseMax(int x, int y) { return b.select(b.binary(BinaryFn.LESS, x, y), y, x); }
    public int pow(int x, int y) { return b.binary(BinaryFn.POW, x, y); }
    public int gt(int x, int y) { return b.binary(BinaryFn.GREATER, x, y); }
    public int neg(int x) { return b.unaryAnyNumber(UnaryFn.NEG, x); }
    public int abs(int x) { return b.unaryAnyNumber(UnaryFn.ABS, x); }
    public int sign(int x) { return b.unaryAnyNumber(UnaryFn.SIGN, x); }
    public int square(int x) { return b.unaryAnyNumber(UnaryFn.SQUARE, x); }
    public int sqrt(int x) { return b.unary(UnaryFn.SQRT, x); }
    /**
     * An update rule's {@code rsqrt}: {@code 1 / sqrt(x)} as two operations, each rounded — Eigen's
     * scalar {@code numext::rsqrt} (what TF's float apply kernels are defined by). Two float operations
     * run in float lanes in the compiled kernel, where the exactly rounded {@code rsqrt} op (the model
     * language's, double inside) costs ~4× as much and made Adagrad's update compute-bound.
     */
    public int rsqrt(int x) { return b.unary(UnaryFn.RECIPROCAL, b.unary(UnaryFn.SQRT, x)); }
    public int select(int cond, int x, int y) { return b.select(cond, x, y); }

    // ---- sparse rows

    /** Rows {@code g.indices} of a state value (e.g. {@code rows(read(m), g)}). */
    public int rows(int value, SparseGrad g) { return b.gather(value, g.indices(), 0); }

    /** Writes {@code newRows} into the rows of {@code v} that {@code g} lists (once per distinct index). */
    public void scatter(VariableInfo v, SparseGrad g, int newRows) {
        assign(v, b.scatterUpdate(read(v), g.indices(), newRows, g.mask()));
    }

    /** Adds {@code rows} into the listed rows of {@code v} one after another (TF's scatter_add). */
    public void scatterAdd(VariableInfo v, int indices, int rows) {
        assign(v, b.scatterAccumulate(read(v), indices, rows));
    }
}
