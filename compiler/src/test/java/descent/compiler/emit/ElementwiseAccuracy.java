package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import descent.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Measures (not a test) how far C2-compiled vector kernels are from the interpreter, per op and style:
 * the numbers behind {@link ElementwiseTestSupport#ulpBound}. Each kernel is first run cold on a sample
 * (the Vector API then falls back to {@code Math}), then warmed until C2 has compiled it, then compared
 * element by element with the interpreter on 2^20 mixed inputs (every edge value and every pair of edge
 * values, uniform, log-uniform over the float range, arbitrary bit patterns) and on 2^20 "typical" inputs
 * (uniform in [-20, 20]). Also reports how many results changed between the cold and the warm kernel.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp compiler/target/test-classes:compiler/target/classes:... \
 *     descent.compiler.emit.ElementwiseAccuracy [op ...]
 * </pre>
 */
public final class ElementwiseAccuracy {
    private static final int N = 1 << 20, COLD = 1 << 14;

    public static void main(String[] args) {
        List<String> only = List.of(args);
        System.out.printf("%-16s %-19s %10s %10s %10s %12s %9s%n", "op", "style", "maxUlpMix", "maxUlpTyp", "diffs/2^21",
                "cold->warm", "ns/elem");
        for (UnaryFn fn : UnaryFn.values()) {
            if (!only.isEmpty() && !only.contains(fn.name())) continue;
            var b = FusedExpr.builder();
            measure(fn.name(), b.build(b.unary(fn, b.input(InputKind.FULL))), fn, null);
        }
        for (BinaryFn fn : BinaryFn.values()) {
            if (!only.isEmpty() && !only.contains(fn.name())) continue;
            var b = FusedExpr.builder();
            measure(fn.name(), b.build(b.binary(fn, b.input(InputKind.FULL), b.input(InputKind.FULL))), null, fn);
        }
    }

    private static void measure(String name, FusedExpr e, UnaryFn u, BinaryFn bf) {
        float[] mixA = ElementwiseTestSupport.inputs(1, N), mixB = ElementwiseTestSupport.pairedInputs(mixA, 2);
        float[] typA = new float[N], typB = new float[N];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < N; i++) {
            typA[i] = (float) r.nextDouble(-20, 20);
            typB[i] = (float) r.nextDouble(-20, 20);
        }
        if (bf == BinaryFn.POW) for (int i = 0; i < N; i++) typA[i] = Math.abs(typA[i]);   // a real-valued pow
        float[] mixRef = oracle(u, bf, mixA, mixB), typRef = oracle(u, bf, typA, typB);
        for (ElementwiseStyle style : List.of(ElementwiseStyle.VECTOR, ElementwiseStyle.VECTOR_DOUBLE_MATH, ElementwiseStyle.SCALAR)) {
            ElementwiseKernel k = ElementwiseEmitter.compile(e, style);
            float[][] in = {mixA, mixB};
            int[] offs = new int[2];
            float[] cold = new float[COLD];
            k.run(in, offs, new float[][] {cold}, new int[1], COLD, 0);
            float[] small = new float[4096];
            for (int i = 0; i < 20_000; i++) k.run(in, offs, new float[][] {small}, new int[1], small.length, 0);
            float[] mix = new float[N], typ = new float[N];
            k.run(in, offs, new float[][] {mix}, new int[1], N, 0);
            long t0 = System.nanoTime();
            for (int rep = 0; rep < 10; rep++) k.run(new float[][] {typA, typB}, offs, new float[][] {typ}, new int[1], N, 0);
            double ns = (System.nanoTime() - t0) / 10.0 / N;
            long maxMix = 0, maxTyp = 0, diffs = 0, changed = 0;
            for (int i = 0; i < N; i++) {
                long d = ElementwiseTestSupport.ulps(mixRef[i], mix[i]);
                long t = ElementwiseTestSupport.ulps(typRef[i], typ[i]);
                maxMix = Math.max(maxMix, d);
                maxTyp = Math.max(maxTyp, t);
                if (d != 0) diffs++;
                if (t != 0) diffs++;
                if (i < COLD && Float.floatToIntBits(cold[i]) != Float.floatToIntBits(mix[i])) changed++;
            }
            System.out.printf("%-16s %-19s %10s %10s %10d %12s %9.3f%n", name, style, show(maxMix), show(maxTyp), diffs,
                    changed + "/" + COLD, ns);
        }
    }

    private static String show(long ulps) { return ulps == Long.MAX_VALUE ? "NaN!" : String.valueOf(ulps); }

    /** The interpreter's values of the op over the inputs (binary ops read both). */
    private static float[] oracle(UnaryFn u, BinaryFn bf, float[] a, float[] b) {
        GraphBuilder g = new GraphBuilder();
        TensorType t = new TensorType(DType.F32, Shape.of(a.length));
        int x = g.input("a", t);
        int y = u != null ? g.unaryAnyNumber(u, x) : g.binary(bf, x, g.input("b", t));
        Map<String, Tensor> feeds = u != null ? Map.of("a", Tensor.of(a, a.length))
                : Map.of("a", Tensor.of(a, a.length), "b", Tensor.of(b, b.length));
        return ElementwiseTestSupport.interpret(g.build(), feeds, y);
    }

    private ElementwiseAccuracy() {}
}
