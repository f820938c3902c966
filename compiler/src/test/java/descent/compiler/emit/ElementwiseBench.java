package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures (not a test) fused elementwise kernels over 2^20 floats: an Adam update (reads g, m, v, var and
 * writes m, v, var in place: 28 bytes per element) as the VECTOR kernel, the SCALAR kernel and a
 * hand-written Java loop, with each tensor in its own array and all in one arena at offsets, next to
 * System.arraycopy and STREAM's triad as bandwidth references; then a few
 * other fused kernels in every style, to show where C2's auto-vectorization of the scalar loops keeps up.
 * Variants alternate within each round (the machine is shared and noisy); each is warmed for at least 2 s
 * first; the reported figure is the median over rounds.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp compiler/target/test-classes:compiler/target/classes:... \
 *     descent.compiler.emit.ElementwiseBench [rounds]
 * </pre>
 */
public final class ElementwiseBench {
    private static final int N = 1 << 20;
    private static final float LR = 0.001f, BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    /** One measured thing: what one call does, and how many bytes it moves. */
    private record Variant(String name, Runnable call, double bytesPerElement) {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " cpus, vector API " + ElementwiseEmitter.vectorApiAvailable() + ", n = " + N);
        SplittableRandom r = new SplittableRandom(1);
        float[] g = new float[N], m = new float[N], v = new float[N], w = new float[N], x = new float[N], y = new float[N];
        float[] out = new float[N], out2 = new float[N], bias = new float[1000];
        for (int i = 0; i < N; i++) {
            g[i] = (float) r.nextDouble(-1, 1);
            w[i] = (float) r.nextDouble(-1, 1);
            x[i] = (float) r.nextDouble(-8, 8);
            y[i] = (float) r.nextDouble(-1, 1);
        }
        for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextDouble(-1, 1);
        float[] hyper = {LR, BETA1, BETA2, EPS, 0.9f * 0.9f, 0.999f * 0.999f};   // lr, β1, β2, ε, β1ᵗ, β2ᵗ

        checkHandLoopMatchesKernel(hyper);

        List<Variant> adam = new ArrayList<>();
        FusedExpr adamExpr = adam();
        float[][] adamIn = {g, m, v, w, {hyper[0]}, {hyper[1]}, {hyper[2]}, {hyper[3]}, {hyper[4]}, {hyper[5]}};
        float[][] adamOut = {m, v, w};
        int[] adamInOff = new int[adamIn.length], adamOutOff = new int[3];
        for (ElementwiseStyle style : List.of(ElementwiseStyle.VECTOR, ElementwiseStyle.SCALAR)) {
            ElementwiseKernel k = ElementwiseEmitter.compile(adamExpr, style);
            adam.add(new Variant("adam " + style, () -> k.run(adamIn, adamInOff, adamOut, adamOutOff, N, 0), 28));
        }
        adam.add(new Variant("adam hand-written loop", () -> handAdam(g, m, v, w, hyper, N), 28));
        // The same update with all four tensors in one arena at (odd) offsets, as a buffer planner may lay them out.
        float[] arena = new float[4 * N + 64];
        int[] at = {3, N + 19, 2 * N + 35, 3 * N + 51};
        for (int k = 0; k < 4; k++) System.arraycopy(new float[][] {g, m, v, w}[k], 0, arena, at[k], N);
        float[][] arenaIn = {arena, arena, arena, arena, {hyper[0]}, {hyper[1]}, {hyper[2]}, {hyper[3]}, {hyper[4]}, {hyper[5]}};
        int[] arenaInOff = {at[0], at[1], at[2], at[3], 0, 0, 0, 0, 0, 0}, arenaOutOff = {at[1], at[2], at[3]};
        for (ElementwiseStyle style : List.of(ElementwiseStyle.VECTOR, ElementwiseStyle.SCALAR)) {
            ElementwiseKernel k = ElementwiseEmitter.compile(adamExpr, style);
            float[][] o = {arena, arena, arena};
            adam.add(new Variant("adam " + style + ", arena offsets", () -> k.run(arenaIn, arenaInOff, o, arenaOutOff, N, 0), 28));
        }
        adam.add(new Variant("System.arraycopy", () -> System.arraycopy(x, 0, out, 0, N), 8));
        adam.add(new Variant("triad a[i] = b[i] + s*c[i] (hand loop)", () -> triad(out, x, y, 0.5f, N), 12));
        report(adam, rounds);

        List<Variant> others = new ArrayList<>();
        Map<String, FusedExpr> exprs = new LinkedHashMap<>();
        var b1 = FusedExpr.builder();   // dense layer epilogue: relu(x * s + bias[col]), and the relu gradient
        int bx = b1.input(InputKind.FULL), bs = b1.input(InputKind.SCALAR), bb = b1.input(InputKind.ROW), by = b1.input(InputKind.FULL);
        int pre = b1.binary(BinaryFn.ADD, b1.binary(BinaryFn.MUL, bx, bs), bb);
        exprs.put("relu(x*s+b), relu_grad", b1.build(b1.unary(UnaryFn.RELU, pre), b1.binary(BinaryFn.RELU_GRAD, by, pre)));
        var b2 = FusedExpr.builder();
        exprs.put("tanh_grad(y, g)", b2.build(b2.binary(BinaryFn.TANH_GRAD, b2.input(InputKind.FULL), b2.input(InputKind.FULL))));
        var b3 = FusedExpr.builder();
        exprs.put("sigmoid(x)", b3.build(b3.unary(UnaryFn.SIGMOID, b3.input(InputKind.FULL))));
        var b4 = FusedExpr.builder();
        exprs.put("softplus(x)", b4.build(b4.unary(UnaryFn.SOFTPLUS, b4.input(InputKind.FULL))));
        float[][][] ins = {{x, {0.5f}, bias, y}, {y, x}, {x}, {x}};
        float[][][] outs = {{out, out2}, {out}, {out}, {out}};
        double[] bytes = {16, 12, 8, 8};
        int e = 0;
        for (var entry : exprs.entrySet()) {
            float[][] in = ins[e], o = outs[e];
            int rowLength = e == 0 ? bias.length : 0;
            double by0 = bytes[e];
            for (ElementwiseStyle style : ElementwiseStyle.values()) {
                ElementwiseKernel k = ElementwiseEmitter.compile(entry.getValue(), style);
                int[] inOff = new int[in.length], outOff = new int[o.length];
                int n = N - N % 1000;   // whole rows for the row-broadcast kernel
                others.add(new Variant(entry.getKey() + " " + style, () -> k.run(in, inOff, o, outOff, n, rowLength), by0));
            }
            e++;
        }
        report(others, rounds);
    }

    /** Warms every variant for 2 s (interleaved), then times them alternately; prints medians. */
    private static void report(List<Variant> variants, int rounds) {
        long warmEnd = System.nanoTime() + 2_000_000_000L * variants.size();
        while (System.nanoTime() < warmEnd) for (Variant v : variants) timeFor(v, 50_000_000L);
        double[][] perCall = new double[variants.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < variants.size(); i++) perCall[i][round] = timeFor(variants.get(i), 200_000_000L);
        }
        System.out.printf("%n%-44s %10s %10s %10s%n", "variant (median of " + rounds + " rounds)", "µs/call", "ns/elem", "GB/s");
        for (int i = 0; i < variants.size(); i++) {
            double[] t = perCall[i].clone();
            Arrays.sort(t);
            double med = t[rounds / 2];
            System.out.printf("%-44s %10.1f %10.3f %10.1f%n", variants.get(i).name(), med / 1e3, med / N,
                    variants.get(i).bytesPerElement() * N / med);
        }
    }

    /** Nanoseconds per call, over as many calls as fit in {@code budget} ns. */
    private static double timeFor(Variant v, long budget) {
        long start = System.nanoTime(), calls = 0, now;
        do {
            v.call().run();
            calls++;
            now = System.nanoTime();
        } while (now - start < budget);
        return (double) (now - start) / calls;
    }

    /** The Adam update as TF's ApplyAdam and the IR write it (every step rounded to float, no FMA). */
    static FusedExpr adam() {
        var b = FusedExpr.builder();
        int g = b.input(InputKind.FULL), m = b.input(InputKind.FULL), v = b.input(InputKind.FULL), w = b.input(InputKind.FULL);
        int lr = b.input(InputKind.SCALAR), beta1 = b.input(InputKind.SCALAR), beta2 = b.input(InputKind.SCALAR);
        int eps = b.input(InputKind.SCALAR), b1p = b.input(InputKind.SCALAR), b2p = b.input(InputKind.SCALAR);
        int one = b.constant(1);
        int alpha = b.binary(BinaryFn.DIV, b.binary(BinaryFn.MUL, lr, b.unary(UnaryFn.SQRT, b.binary(BinaryFn.SUB, one, b2p))),
                b.binary(BinaryFn.SUB, one, b1p));
        int mNew = b.binary(BinaryFn.ADD, m, b.binary(BinaryFn.MUL, b.binary(BinaryFn.SUB, g, m), b.binary(BinaryFn.SUB, one, beta1)));
        int vNew = b.binary(BinaryFn.ADD, v, b.binary(BinaryFn.MUL, b.binary(BinaryFn.SUB, b.unary(UnaryFn.SQUARE, g), v),
                b.binary(BinaryFn.SUB, one, beta2)));
        int wNew = b.binary(BinaryFn.SUB, w, b.binary(BinaryFn.DIV, b.binary(BinaryFn.MUL, mNew, alpha),
                b.binary(BinaryFn.ADD, b.unary(UnaryFn.SQRT, vNew), eps)));
        return b.build(mNew, vNew, wNew);
    }

    /** The same update written by hand, the way a Java programmer would (and C2 auto-vectorizes). */
    static void handAdam(float[] g, float[] m, float[] v, float[] w, float[] h, int n) {
        float lr = h[0], beta1 = h[1], beta2 = h[2], eps = h[3], b1p = h[4], b2p = h[5];
        float alpha = lr * (float) Math.sqrt(1 - b2p) / (1 - b1p);
        float c1 = 1 - beta1, c2 = 1 - beta2;
        for (int i = 0; i < n; i++) {
            float gi = g[i];
            float mi = m[i] + (gi - m[i]) * c1;
            float vi = v[i] + (gi * gi - v[i]) * c2;
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] - mi * alpha / ((float) Math.sqrt(vi) + eps);
        }
    }

    /** STREAM's triad: a bandwidth reference C2 vectorizes. */
    static void triad(float[] a, float[] b, float[] c, float s, int n) {
        for (int i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    }

    /** The comparison is only fair if all three compute the same thing: check bit for bit on a sample. */
    private static void checkHandLoopMatchesKernel(float[] h) {
        int n = 10_007;
        SplittableRandom r = new SplittableRandom(2);
        float[][] state = new float[4][n];
        for (float[] a : state) for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < n; i++) state[2][i] = Math.abs(state[2][i]);
        float[][] hand = Arrays.stream(state).map(float[]::clone).toArray(float[][]::new);
        handAdam(hand[0], hand[1], hand[2], hand[3], h, n);
        for (ElementwiseStyle style : ElementwiseStyle.values()) {
            float[][] k = Arrays.stream(state).map(float[]::clone).toArray(float[][]::new);
            ElementwiseEmitter.compile(adam(), style).run(new float[][] {k[0], k[1], k[2], k[3], {h[0]}, {h[1]}, {h[2]}, {h[3]}, {h[4]}, {h[5]}},
                    new int[10], new float[][] {k[1], k[2], k[3]}, new int[3], n, 0);
            for (int j = 1; j < 4; j++) {
                if (!Arrays.equals(hand[j], k[j])) throw new AssertionError(style + " kernel and hand-written Adam differ in array " + j);
            }
        }
    }

    private ElementwiseBench() {}
}
