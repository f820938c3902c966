package descent.compiler.backend;

import descent.compiler.ir.Model;
import descent.compiler.ir.ModelCodec;
import descent.runtime.DescentException;
import descent.runtime.api.DescentModel;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.TrainingSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import descent.runtime.DType;
import descent.runtime.Tensor;
import descent.runtime.api.TensorSpec;

/**
 * What a model jar's generated class extends: it reads the checked model its jar carries and runs it on the
 * compiled backend. The jar brings the part of the compiler that needs with it, so an application needs only the
 * runtime jar and a class loader for the model jar.
 */
public abstract class JarModel implements DescentModel {
    private final CompiledModel model;

    /**
     * {@code resource}: the model file in the jar (kept for people to read). Beside it, {@code NAME.ir} holds the
     * checked model ({@link ModelCodec}), which this decodes: the jar carries no parser or checker.
     */
    protected JarModel(String resource) {
        ClassLoader loader = getClass().getClassLoader();
        String ir = irResource(resource);
        Model checked;
        byte[] irBytes = read(loader, ir);
        try {
            checked = ModelCodec.decode(irBytes);
        } catch (IllegalArgumentException e) {
            throw new DescentException("the model jar's " + ir + " is damaged: " + e.getMessage() + "; compile it again");
        }
        boolean kernels = KernelArchive.install(loader) > 0;
        this.model = new CompiledModel(checked, kernels ? carried(loader, CarriedExecutables.modelDigest(irBytes)) : CarriedExecutables.NONE);
    }

    /**
     * The executables the jar carries ({@link CarriedExecutables}), read only when its kernels are this build's for
     * this vector length and they are the steps of the checked model it holds (digest {@code model}); none (after one
     * line on stderr) when they cannot be read: its steps are then lowered.
     */
    private static CarriedExecutables carried(ClassLoader loader, String model) {
        try (InputStream in = loader.getResourceAsStream(CarriedExecutables.RESOURCE)) {
            return in == null ? CarriedExecutables.NONE : CarriedExecutables.fromBytes(in.readAllBytes(), model, Kernels::archived);
        } catch (IOException | RuntimeException e) {
            KernelArchive.warn("cannot read the model jar's " + CarriedExecutables.RESOURCE + " (" + e.getMessage() + "); lowering its steps");
            return CarriedExecutables.NONE;
        }
    }

    /** Where a jar keeps the checked model ({@link ModelCodec}) of its model file {@code resource}. */
    static String irResource(String resource) { return resource.replaceFirst("\\.descent$", "") + ".ir"; }

    private static byte[] read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) throw new DescentException("the model jar has no " + resource + "; compile it again with descent compile");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DescentException("cannot read " + resource + " from the model jar: " + e.getMessage());
        }
    }

    /**
     * How many kernels this copy of the compiler has defined from class files a model jar carries, and how many it
     * generated (a thread count or batch binding the jar's kernels do not cover): {@code {carried, generated}}.
     */
    public static long[] kernelCounts() { return new long[] {Kernels.replayed(), Kernels.emitted()}; }

    /**
     * How many executables (a train step or evaluation with its fetch list, on a thread count) this copy of the compiler
     * has built from a model jar's data, and how many it lowered: {@code {carried, lowered}}.
     */
    public static long[] executableCounts() { return new long[] {CarriedExecutables.used(), CompiledSession.lowered()}; }

    /**
     * The same for the steps that run the kernels in plan order: {@code {carried, generated}}; carried counts the
     * executables whose step is a segment of the jar's model class ({@link ModelSteps}, once per session that builds
     * one) or a step class the jar holds, generated the step classes made at run time.
     */
    public static long[] stepClassCounts() { return Kernels.stepClasses(); }

    @Override public ModelSignature signature() { return model.signature(); }

    /** The checked model the jar carries (what {@code descent run MODEL.jar} plans and reports with). */
    public Model model() { return model.model(); }

    @Override public TrainingSession newSession(long seed) { return model.newSession(seed); }

    @Override public TrainingSession newSession(long seed, int threads) { return model.newSession(seed, threads); }

    // ---- what the generated typed methods call

    /**
     * One typed method's last call on this thread: the arrays it was given, the feeds wrapping them, and where
     * its fetch goes. A loop that passes the same arrays again (refilled or not) reuses all of it, so a warm typed
     * train call, or an output's call with an array to fill, allocates nothing.
     */
    private static final class Call {
        Object[] arrays;
        final Map<String, Tensor> feeds = new HashMap<>();
        final List<String> fetches;
        final Object[] into;

        Call(List<String> fetches, Object[] into) {
            this.fetches = fetches;
            this.into = into;
        }
    }

    /** Keyed by the generated method's own (static, final) array of input names. */
    private final ThreadLocal<Map<String[], Call>> calls = ThreadLocal.withInitial(IdentityHashMap::new);

    /** Each generated method's array of its arguments, on this thread: filled and passed on by every call. */
    private final ThreadLocal<Map<String[], Object[]>> arguments = ThreadLocal.withInitial(IdentityHashMap::new);

    /**
     * The array a generated method with input names {@code inputs} puts its array arguments in before it calls
     * {@link #trainTyped} and the like: this thread's own, the same every call, so the call allocates nothing.
     */
    protected final Object[] arguments(String[] inputs) {
        Map<String[], Object[]> mine = arguments.get();
        Object[] a = mine.get(inputs);
        if (a == null) mine.put(inputs, a = new Object[inputs.length]);
        return a;
    }

    /** Runs train step {@code train} on {@code session} with the arrays as its inputs; returns its loss (NaN if none). */
    protected final float trainTyped(TrainingSession session, String train, String[] inputs, Object[] arrays, String loss) {
        Call c = trainCall(inputs, arrays, loss);
        session.trainInto(train, c.feeds, c.fetches, c.into);
        if (loss == null) return Float.NaN;
        return c.into[0] instanceof float[] f ? f[0] : (float) ((double[]) c.into[0])[0];
    }

    /** {@link #trainTyped} for a train step whose loss is f64: the loss as a double. */
    protected final double trainTyped64(TrainingSession session, String train, String[] inputs, Object[] arrays, String loss) {
        Call c = trainCall(inputs, arrays, loss);
        session.trainInto(train, c.feeds, c.fetches, c.into);
        return loss == null ? Double.NaN : ((double[]) c.into[0])[0];
    }

    /** Evaluates {@code output} with the arrays as its inputs; returns its values row-major. */
    protected final Object evaluateTyped(TrainingSession session, String output, String[] inputs, Object[] arrays) {
        Call c = calls.get().get(inputs);
        if (c == null) c = first(inputs, new Call(List.of(), new Object[0]));
        return session.evaluate(fed(c, inputs, arrays).feeds, List.of(output)).get(output).data();
    }

    /** Evaluates {@code output} with the arrays as its inputs into {@code into} (row-major; at least as long as the value). */
    protected final void evaluateTypedInto(TrainingSession session, String output, String[] inputs, Object[] arrays, Object into) {
        if (into == null) throw new DescentException("`into`, the array for `" + output + "`, is null");
        Call c = calls.get().get(inputs);
        if (c == null) c = first(inputs, new Call(List.of(output), new Object[1]));
        fed(c, inputs, arrays).into[0] = into;
        try {
            session.evaluateInto(c.feeds, c.fetches, c.into);
        } finally {
            c.into[0] = null;   // the application's array is not kept
        }
    }

    private Call trainCall(String[] inputs, Object[] arrays, String loss) {
        Call c = calls.get().get(inputs);
        if (c == null) {
            Integer lossNode = loss == null ? null : model.model().names().get(loss);
            DType type = lossNode == null ? DType.F32 : model.model().graph().type(lossNode).dtype();
            c = first(inputs, loss == null ? new Call(List.of(), new Object[0])
                    : new Call(List.of(loss), new Object[] {type == DType.F64 ? new double[1] : new float[1]}));
        }
        return fed(c, inputs, arrays);
    }

    /** {@code c}, kept as this thread's call of the method with input names {@code inputs}. */
    private Call first(String[] inputs, Call c) {
        calls.get().put(inputs, c);
        return c;
    }

    /** {@code c} with feeds wrapping {@code arrays}: those of its last call when the arrays are the same ones. */
    private Call fed(Call c, String[] inputs, Object[] arrays) {
        if (!sameArrays(c.arrays, arrays)) {
            Map<String, Tensor> fresh = feeds(inputs, arrays);   // may throw: the cached call stays as it was
            c.feeds.clear();
            c.feeds.putAll(fresh);
            c.arrays = arrays.clone();
        }
        return c;
    }

    private static boolean sameArrays(Object[] last, Object[] now) {
        if (last == null || last.length != now.length) return false;
        for (int i = 0; i < now.length; i++) if (last[i] != now[i]) return false;
        return true;
    }

    /**
     * Arrays to tensors of the inputs' shapes. Symbolic dimensions take whatever the array's length leaves: one
     * symbol per input (it may size several dimensions, as in {@code f32[n, n]}); an input with two different
     * symbols cannot be read from a flat array, and says so.
     */
    private Map<String, Tensor> feeds(String[] inputs, Object[] arrays) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            String name = inputs[i];
            TensorSpec spec = signature().inputs().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
            if (arrays[i] == null) throw new DescentException("`" + name + "` is null");
            int length = java.lang.reflect.Array.getLength(arrays[i]);
            long fixed = 1;
            String symbol = null;
            int symbolic = 0;
            int[] shape = new int[spec.dims().size()];
            for (int d = 0; d < shape.length; d++) {
                String dim = spec.dims().get(d);
                if (dim.chars().allMatch(Character::isDigit)) {
                    shape[d] = Integer.parseInt(dim);
                    fixed *= shape[d];
                } else if (symbol == null || symbol.equals(dim)) {
                    symbol = dim;
                    symbolic++;
                } else {
                    throw new DescentException("`" + name + "` is " + spec.dtype().languageName() + spec.dims() + ": a typed method cannot"
                            + " tell " + symbol + " from " + dim + " in a flat array; feed it through the session's train or evaluate"
                            + " with a Tensor of its shape");
                }
            }
            String shapeText = spec.dtype().languageName() + spec.dims();
            if (symbol == null && length != fixed) {
                throw new DescentException("`" + name + "` is " + shapeText + ", " + fixed + " values; the array has " + length);
            }
            if (symbol != null) {
                long size = fixed == 0 ? 0 : sizeOf(length / fixed, symbolic);
                if (fixed == 0 ? length != 0 : length % fixed != 0 || size < 0) {
                    throw new DescentException("`" + name + "` is " + shapeText + (symbolic == 1 ? ": rows of " + fixed + " values; "
                            + length + " is not a multiple" : ": " + length + " values is not " + fixed + " × " + symbol + "^" + symbolic));
                }
                for (int d = 0; d < shape.length; d++) if (spec.dims().get(d).equals(symbol)) shape[d] = (int) size;
            }
            out.put(inputs[i], switch (arrays[i]) {
                case float[] f -> Tensor.of(f, shape);
                case int[] n -> Tensor.of(n, shape);
                case long[] l -> Tensor.of(l, shape);
                case double[] d -> Tensor.of(d, shape);
                default -> throw new DescentException("`" + inputs[i] + "` must be a primitive array");
            });
        }
        return out;
    }

    /** The n with n^k = count, or -1 when there is none. */
    private static long sizeOf(long count, int k) {
        if (k == 1) return count;
        long n = Math.round(Math.pow(count, 1.0 / k));
        for (long c = Math.max(0, n - 1); c <= n + 1; c++) {
            long p = 1;
            for (int j = 0; j < k; j++) {
                p *= c;
                if (p > count) break;   // past it (and no overflow)
            }
            if (p == count) return c;
        }
        return -1;
    }
}
