package descent.bench.tf;

import descent.bench.Step;
import dev.descent.tfgolden.DType;
import dev.descent.tfgolden.G;
import dev.descent.tfgolden.G.Axes;
import dev.descent.tfgolden.Opt;
import dev.descent.tfgolden.Train;
import dev.descent.tfgolden.Train.Slotted;
import dev.descent.tfgolden.Train.Var;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The TensorFlow side of the benchmark cases: each factory builds a TF 1 style graph (raw ops, reference
 * variables, TF's C++ gradients plus TF 1's Python rules, TF 1's optimizer kernels from tf-golden's
 * {@link Opt}) and a {@link Session} once; {@link Step#run()} is then exactly one {@code session.run}.
 *
 * <p>Training steps are {@code minimize(loss, global_step)}: forward, gradients, then (after every gradient:
 * each gradient passes through an {@code Identity} gated on all of them, TF 1's {@code control_flow_ops.tuple})
 * every variable's update, {@code _finish} (Adam's beta powers) under a control dependency on the updates,
 * and {@code global_step += 1} under a control dependency on those; the run fetches the loss and targets the
 * increment. Feeds are tensors made once at build time and fed every run. Variables are initialised from a
 * seeded {@link Random}, their initial values fed once to the initializers (the graph holds no large constants).
 *
 * <p>{@code threads} sets the session's intra- and inter-op thread pools (0: TF's default, one per core), the
 * inter-op pool per session. Sessions with different thread counts in one JVM need
 * TF_OVERRIDE_GLOBAL_THREADPOOL=true in the JVM's environment (see {@link #checkThreads}). Grappler runs with its
 * defaults; oneDNN is TF's default (on) unless TF_ENABLE_ONEDNN_OPTS=0 is in the environment.
 */
public final class TfCases {
    private TfCases() {}

    /** Case d's optimizers, by the bench's names. */
    public static final List<String> OPTIMIZERS = List.of("gradient_descent", "momentum", "nesterov", "adagrad",
            "adagrad_da", "adadelta", "adam", "adamax", "nadam", "lazy_adam", "rmsprop", "centered_rmsprop", "ftrl",
            "proximal_gradient_descent", "proximal_adagrad", "adamw", "momentumw");

    /** Weight decay of adamw and momentumw (TF 1 has no default). */
    public static final double WEIGHT_DECAY = 1e-4;
    /** The momentum of the momentum family where TF 1 has no default. */
    public static final double MOMENTUM = 0.9;

    public static String version() {
        return TensorFlow.version();
    }

    /**
     * A TF 1 optimizer by bench name with its Python constructor's defaults; {@code lr} is the learning rate
     * (TF 1's default 0.001 where it has one, the bench's 0.001 elsewhere).
     */
    static Opt optimizer(String name, double lr) {
        return switch (name) {
            case "gradient_descent" -> new Opt.GradientDescent(lr);
            case "momentum" -> new Opt.Momentum(lr, MOMENTUM, false);
            case "nesterov" -> new Opt.Momentum(lr, MOMENTUM, true);
            case "adagrad" -> new Opt.Adagrad(lr, 0.1);
            case "adagrad_da" -> new Opt.AdagradDA(lr, 0.1, 0, 0);
            case "adadelta" -> new Opt.Adadelta(lr, 0.95, 1e-8);
            case "adam" -> new Opt.Adam(lr, 0.9, 0.999, 1e-8);
            case "adamax" -> new Opt.AdaMax(lr, 0.9, 0.999, 1e-8);
            case "nadam" -> new Opt.Nadam(lr, 0.9, 0.999, 1e-8);
            case "lazy_adam" -> new Opt.LazyAdam(lr, 0.9, 0.999, 1e-8);
            case "rmsprop" -> new Opt.RMSProp(lr, 0.9, 0.0, 1e-10, false);
            case "centered_rmsprop" -> new Opt.RMSProp(lr, 0.9, 0.0, 1e-10, true);
            case "ftrl" -> new Opt.Ftrl(lr, -0.5, 0.1, 0, 0, 0);
            case "proximal_gradient_descent" -> new Opt.ProximalGradientDescent(lr, 0, 0);
            case "proximal_adagrad" -> new Opt.ProximalAdagrad(lr, 0.1, 0, 0);
            case "adamw" -> new Opt.AdamW(WEIGHT_DECAY, lr, 0.9, 0.999, 1e-8);
            case "momentumw" -> new Opt.MomentumW(WEIGHT_DECAY, lr, MOMENTUM, false);
            default -> throw new IllegalArgumentException("unknown optimizer " + name + "; one of " + OPTIMIZERS);
        };
    }

    // ---------------------------------------------------------------- cases

    /** Case a: logits = x @ w + b; loss = mean(sigmoid_cross_entropy_with_logits(y, logits)); GradientDescent(0.1). */
    public static Step logreg(float[] x, float[] y, int threads) {
        int batch = y.length, features = x.length / batch;
        return build(b -> {
            Output<?> xIn = b.feed(floats(x, batch, features), DType.F32, batch, features);
            Output<?> yIn = b.feed(floats(y, batch, 1), DType.F32, batch, 1);
            Var w = b.glorot("w", features, 1);
            Var bias = b.zeros("b", 1);
            Output<?> logits = b.tf.binary("AddV2", b.tf.matmul(xIn, w.read(), false, false), bias.read());
            Output<?> loss = b.tf.reduce("Mean", b.tf.sigmoidXent(yIn, logits), Axes.all(), false);
            Output<?>[] grads = b.g.addGradients("grad", new Output<?>[] {loss}, new Output<?>[] {w.read(), bias.read()}, null);
            GraphOperation train = b.minimize(new Opt.GradientDescent(0.1), List.of(new Grad(w, grads[0]), new Grad(bias, grads[1])));
            return b.step(threads, loss, train);
        });
    }

    /**
     * Cases b and c: {@code sizes} = {inputs, hidden..., classes}; hidden layers relu(h @ w + b), the last layer
     * linear; loss = mean(sparse_softmax_cross_entropy_with_logits(labels, logits)); {@code optimizer} "adam"
     * (Adam(0.001)) or "momentum" (Momentum(0.01, 0.9)).
     */
    public static Step mlp(int[] sizes, int batch, float[] x, int[] labels, String optimizer, int threads) {
        Opt opt = switch (optimizer) {
            case "adam" -> optimizer("adam", 0.001);
            case "momentum" -> optimizer("momentum", 0.01);
            default -> throw new IllegalArgumentException("mlp optimizer is adam or momentum, not " + optimizer);
        };
        return build(b -> {
            Output<?> h = b.feed(floats(x, batch, sizes[0]), DType.F32, batch, sizes[0]);
            Output<?> lab = b.feed(TInt32.tensorOf(Shape.of(batch), DataBuffers.of(labels, true, false)), DType.I32, batch);
            List<Var> vars = new ArrayList<>();
            for (int l = 1; l < sizes.length; l++) {
                Var w = b.glorot("w" + l, sizes[l - 1], sizes[l]);
                Var bias = b.zeros("b" + l, sizes[l]);
                vars.add(w);
                vars.add(bias);
                h = b.tf.binary("AddV2", b.tf.matmul(h, w.read(), false, false), bias.read());
                if (l < sizes.length - 1) h = b.tf.unary("Relu", h);
            }
            GraphOperation xent = b.tf.op("SparseSoftmaxCrossEntropyWithLogits").addInput(h).addInput(lab).build();
            Output<?> loss = b.tf.reduce("Mean", xent.output(0), Axes.all(), false);
            // TF 1's Python gradient of the fused op (nn_grad.py): expand_dims(grad_loss, -1) * prevent_gradient(backprop);
            // TF's C++ gradients before and after it.
            Output<?> gLoss = b.g.addGradients("grad_loss", new Output<?>[] {loss}, new Output<?>[] {xent.output(0)}, null)[0];
            Output<?> backprop = G.out(b.tf.op("PreventGradient").addInput(xent.output(1)).build());
            Output<?> gLogits = b.tf.binary("Mul", b.tf.expandDims(gLoss, -1), backprop);
            Output<?>[] xs = vars.stream().map(Var::read).toArray(Output<?>[]::new);
            Output<?>[] gs = b.g.addGradients("grad", new Output<?>[] {h}, xs, new Output<?>[] {gLogits});
            List<Grad> grads = new ArrayList<>();
            for (int i = 0; i < gs.length; i++) grads.add(new Grad(vars.get(i), gs[i]));
            return b.step(threads, loss, b.minimize(opt, grads));
        });
    }

    /**
     * Case d: one variable of {@code n} floats (uniform in [-1, 1)) and a dense gradient of {@code n} floats held in
     * the graph (a second variable, read through its {@code var/read} snapshot: no copy); a run is the optimizer's dense update once, plus its {@code _finish} (Adam's beta
     * powers). No global step is incremented; AdagradDA reads one that stays 0.
     */
    public static Step update(String optimizer, int n, int threads) {
        Opt opt = optimizer(optimizer, 0.001);
        return build(b -> {
            Var var = b.variable("var", b.uniform(n, 1.0), n);
            Output<?> grad = b.variable("grad", b.uniform(n, 1.0), n).read();
            if (opt.needsGlobalStep()) b.t.globalStep = b.t.variable("global_step", DType.I64, new long[0], new double[] {0});
            Slotted s = opt.createSlots(b.t, var);
            GraphOperation update = opt.dense(b.t, s, grad);
            List<GraphOperation> targets = new ArrayList<>(List.of(update));
            targets.addAll(b.tf.withControl(List.of(update), () -> opt.finish(b.t)));
            return b.step(threads, null, targets.toArray(GraphOperation[]::new));
        });
    }

    /**
     * Case e: e = gather(emb, ids) [batch, k, dim]; h = reduce_mean(e, axis=1); pred = reduce_sum(h, axis=1);
     * loss = mean(square(pred - y)). emb (normal, stddev 0.1) gets TF 1's IndexedSlices gradient (values = the
     * gather output's gradient reshaped to [batch*k, dim], indices = ids flattened), de-duplicated by Unique +
     * UnsortedSegmentSum and applied by {@code optimizer}'s sparse update ("adagrad": SparseApplyAdagrad; "lazy_adam":
     * contrib's gather/scatter_update composition), at learning rate 0.001.
     */
    public static Step embedding(int rows, int dim, int[] ids, float[] y, String optimizer, int threads) {
        if (!optimizer.equals("adagrad") && !optimizer.equals("lazy_adam"))
            throw new IllegalArgumentException("embedding optimizer is adagrad or lazy_adam, not " + optimizer);
        Opt opt = optimizer(optimizer, 0.001);
        int batch = y.length, k = ids.length / batch;
        return build(b -> {
            Output<?> idsIn = b.feed(TInt32.tensorOf(Shape.of(batch, k), DataBuffers.of(ids, true, false)), DType.I32, batch, k);
            Output<?> yIn = b.feed(floats(y, batch), DType.F32, batch);
            float[] init = new float[rows * dim];
            for (int i = 0; i < init.length; i++) init[i] = (float) (0.1 * b.random.nextGaussian());
            Var emb = b.variable("emb", init, rows, dim);
            Output<?> e = b.tf.gather(emb.read(), idsIn, 0);
            Output<?> h = b.tf.reduce("Mean", e, Axes.of(1), false);
            Output<?> pred = b.tf.reduce("Sum", h, Axes.of(1), false);
            Output<?> loss = b.tf.reduce("Mean", b.tf.unary("Square", b.tf.binary("Sub", pred, yIn)), Axes.all(), false);
            Output<?> dE = b.g.addGradients("grad", new Output<?>[] {loss}, new Output<?>[] {e}, null)[0];
            Output<?> values = b.tf.reshape(dE, batch * k, dim);
            Output<?> indices = b.tf.reshape(idsIn, batch * k);
            return b.step(threads, loss, b.minimize(opt, List.of(new Grad(emb, values, indices))));
        });
    }

    /** Case f: C = A @ B, A [m, k] and B [k, n] variables (uniform in [-1, 1)); a run targets the MatMul, fetching nothing. */
    public static Step matmul(int m, int k, int n, int threads) {
        return build(b -> {
            // Variables, not constants: Grappler would fold a MatMul of two constants away.
            Var a = b.variable("a", b.uniform(m * k, 1.0), m, k);
            Var bb = b.variable("b", b.uniform(k * n, 1.0), k, n);
            Output<?> c = b.tf.matmul(a.read(), bb.read(), false, false);
            return b.step(threads, null, (GraphOperation) c.op());
        });
    }

    // ---------------------------------------------------------------- building

    private static Integer firstThreads;

    /**
     * TF sizes the CPU device's intra-op pool once per process, from the first session's options, unless
     * TF_OVERRIDE_GLOBAL_THREADPOOL=true is in the environment (read by the native library; set it before the JVM
     * starts). Without it a later session asking for a different thread count would silently get the first one's,
     * so that is refused.
     */
    private static synchronized void checkThreads(int threads) {
        if (firstThreads == null) firstThreads = threads;
        String env = System.getenv("TF_OVERRIDE_GLOBAL_THREADPOOL");
        boolean perSession = env != null && (env.equalsIgnoreCase("true") || env.equals("1"));
        if (!perSession && threads != firstThreads) {
            throw new IllegalStateException("TensorFlow session with " + threads + " threads after one with " + firstThreads
                    + " in this JVM: TF would reuse the first session's intra-op pool. Set TF_OVERRIDE_GLOBAL_THREADPOOL=true"
                    + " in the JVM's environment, or use one thread setting per JVM.");
        }
    }

    /** A variable's gradient: dense ({@code indices} null) or TF 1's IndexedSlices. */
    record Grad(Var var, Output<?> values, Output<?> indices) {
        Grad(Var var, Output<?> dense) {
            this(var, dense, null);
        }
    }

    private static Step build(Function<Builder, Step> body) {
        Builder b = new Builder();
        try {
            return body.apply(b);
        } catch (RuntimeException | Error e) {
            b.feeds.forEach(Tensor::close);
            b.initialValues.values().forEach(Tensor::close);
            b.g.close();
            throw e;
        }
    }

    private static Tensor floats(float[] data, long... shape) {
        return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false));
    }

    /** One graph under construction, its feeds and its seeded initial values. */
    private static final class Builder {
        final Graph g = new Graph();
        final G tf = new G(g);
        final Train t = new Train(tf);
        final Random random = new Random(42);
        final List<Output<?>> placeholders = new ArrayList<>();
        final List<Tensor> feeds = new ArrayList<>();
        /** Initial values fed once to the initializers (no large constants in the graph), closed after. */
        final Map<Output<?>, Tensor> initialValues = new LinkedHashMap<>();

        /** A placeholder fed {@code value} (owned by the step from now on) every run. */
        Output<?> feed(Tensor value, DType dt, long... shape) {
            feeds.add(value);
            Output<?> p = tf.placeholder(dt, shape);
            placeholders.add(p);
            return p;
        }

        float[] uniform(int n, double limit) {
            float[] d = new float[n];
            for (int i = 0; i < n; i++) d[i] = (float) (limit * (2 * random.nextDouble() - 1));
            return d;
        }

        /** A float32 variable initialised to {@code values}, fed to its initializer through a placeholder. */
        Var variable(String name, float[] values, long... shape) {
            Output<?> p = tf.placeholder(DType.F32, shape);
            initialValues.put(p, floats(values, shape));
            return t.variable(name, DType.F32, shape, p);
        }

        Var glorot(String name, long fanIn, long fanOut) {
            return variable(name, uniform((int) (fanIn * fanOut), Math.sqrt(6.0 / (fanIn + fanOut))), fanIn, fanOut);
        }

        Var zeros(String name, long n) {
            return t.variable(name, DType.F32, new long[] {n}, new double[] {0});
        }

        /**
         * TF 1's {@code apply_gradients(grads_and_vars, global_step)} after {@code compute_gradients}: slots for every
         * variable, then the gradients gated on one another ({@code control_flow_ops.tuple}), the updates, {@code _finish}
         * after the updates, {@code global_step += 1} after that. Returns the increment (the train op).
         */
        GraphOperation minimize(Opt opt, List<Grad> grads) {
            t.globalStep = t.variable("global_step", DType.I64, new long[0], new double[] {0});
            List<Slotted> slotted = new ArrayList<>();
            for (Grad gr : grads) slotted.add(opt.createSlots(t, gr.var()));
            List<GraphOperation> gradOps = new ArrayList<>();
            for (Grad gr : grads) {
                gradOps.add((GraphOperation) gr.values().op());
                if (gr.indices() != null) gradOps.add((GraphOperation) gr.indices().op());
            }
            GraphOperation gate = tf.withControl(gradOps, () -> tf.op("NoOp").build());
            List<GraphOperation> updates = new ArrayList<>();
            for (int i = 0; i < grads.size(); i++) {
                Grad gr = grads.get(i);
                Output<?> values = tf.withControl(List.of(gate), () -> tf.unary("Identity", gr.values()));
                if (gr.indices() == null) {
                    updates.add(opt.dense(t, slotted.get(i), values));
                } else {
                    Output<?> indices = tf.withControl(List.of(gate), () -> tf.unary("Identity", gr.indices()));
                    updates.add(opt.sparseWithDuplicates(t, slotted.get(i), values, indices));
                }
            }
            List<GraphOperation> finish = tf.withControl(updates, () -> opt.finish(t));
            return tf.withControl(finish.isEmpty() ? updates : finish, () -> tf.op("AssignAdd").addInput(t.globalStep.ref())
                    .addInput(tf.scalar(DType.I64, 1)).setAttr("use_locking", false).build());
        }

        /** Opens the session, runs the initializers, and hands the graph, session and feeds to the step. */
        Step step(int threads, Output<?> fetch, GraphOperation... targets) {
            checkThreads(threads);
            // Per-session inter-op pool: without it every session shares the pool the process's first session sized.
            ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads)
                    .setInterOpParallelismThreads(threads).setUsePerSessionThreads(true).build();
            Session s = new Session(g, config);
            try {
                t.initialize(s, initialValues);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            } finally {
                initialValues.values().forEach(Tensor::close);
                initialValues.clear();
            }
            return new TfStep(g, s, placeholders.toArray(Output<?>[]::new), feeds.toArray(Tensor[]::new), fetch, targets);
        }
    }

    /** One built case: a run is one {@code session.run} feeding the build-time tensors. */
    private static final class TfStep implements Step {
        private final Graph graph;
        private final Session session;
        private final Output<?>[] placeholders;
        private final Tensor[] feeds;
        private final Output<?> fetch;
        private final GraphOperation[] targets;
        private float loss = Float.NaN;

        TfStep(Graph graph, Session session, Output<?>[] placeholders, Tensor[] feeds, Output<?> fetch,
               GraphOperation[] targets) {
            this.graph = graph;
            this.session = session;
            this.placeholders = placeholders;
            this.feeds = feeds;
            this.fetch = fetch;
            this.targets = targets;
        }

        @Override public void run() {
            Session.Runner r = session.runner();
            for (int i = 0; i < feeds.length; i++) r.feed(placeholders[i], feeds[i]);
            if (fetch != null) r.fetch(fetch);
            for (GraphOperation op : targets) r.addTarget(op);
            try (Result res = r.run()) {
                if (fetch != null) loss = ((TFloat32) res.get(0)).getFloat();
            }
        }

        @Override public float loss() {
            return loss;
        }

        @Override public void close() {
            session.close();
            for (Tensor f : feeds) f.close();
            graph.close();
        }
    }
}
