package descent.compiler.emit;

import descent.compiler.ir.ReduceFn;
import java.util.SplittableRandom;

/**
 * GB/s (input bytes read per second) of reduce_sum over the last axis of [4096, 1024] and of softmax
 * cross entropy over [256, 1000] (labels + logits), generated vector and scalar kernels against plain
 * Java loops. Not a test. Run from compiler/ after {@code mvn -o test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:../runtime/target/classes:$HOME/.m2/repository/org/ow2/asm/asm/9.9.1/asm-9.9.1.jar \
 *      descent.compiler.emit.ReduceBench [seconds per measurement, default 2]
 * </pre>
 */
public final class ReduceBench {
    private ReduceBench() {}

    static volatile float sink;

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        int vl = MatmulEmitter.preferredVectorLength();
        System.out.println("vector length " + vl);
        int rows = 4096, cols = 1024;
        float[] x = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
        float[] out = new float[rows];
        ReduceShape shape = ReduceShape.of(ReduceFn.SUM, new int[] {ReduceShape.BATCH, cols}, 1);
        long bytes = 4L * x.length;
        double plain = gbps(bytes, seconds, () -> plainRowSums(x, out, rows, cols));
        System.out.printf("reduce_sum [4096,1024] last axis: plain Java loop %.2f GB/s%n", plain);
        if (vl > 0) {
            ReduceKernel v = ReduceEmitter.load(ReduceEmitter.classFile(shape, vl));
            double g = gbps(bytes, seconds, () -> v.run(x, 0, out, 0, rows));
            System.out.printf("reduce_sum [4096,1024] last axis: generated vector %.2f GB/s (%.1fx plain)%n", g, g / plain);
        }
        ReduceKernel s = ReduceEmitter.load(ReduceEmitter.classFile(shape, 0));
        double gs = gbps(bytes, seconds, () -> s.run(x, 0, out, 0, rows));
        System.out.printf("reduce_sum [4096,1024] last axis: generated scalar %.2f GB/s (%.1fx plain)%n", gs, gs / plain);

        int n = 256, c = 1000;
        float[] logits = new float[n * c], labels = new float[n * c], loss = new float[n];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) r.nextDouble(-5, 5);
        for (int i = 0; i < n; i++) labels[i * c + r.nextInt(c)] = 1f;
        long xbytes = 8L * n * c;
        double px = gbps(xbytes, seconds, () -> plainXent(labels, logits, loss, n, c));
        System.out.printf("softmax xent [256,1000]: plain Java loop %.2f GB/s%n", px);
        if (vl > 0) {
            SoftmaxXentKernel v = (SoftmaxXentKernel) SoftmaxEmitter.load(SoftmaxEmitter.classFile(SoftmaxOp.XENT, c, vl));
            double g = gbps(xbytes, seconds, () -> v.run(labels, 0, logits, 0, loss, 0, n));
            System.out.printf("softmax xent [256,1000]: generated vector %.2f GB/s (%.2fx plain)%n", g, g / px);
        }
        SoftmaxXentKernel sx = (SoftmaxXentKernel) SoftmaxEmitter.load(SoftmaxEmitter.classFile(SoftmaxOp.XENT, c, 0));
        double g = gbps(xbytes, seconds, () -> sx.run(labels, 0, logits, 0, loss, 0, n));
        System.out.printf("softmax xent [256,1000]: generated scalar %.2f GB/s (%.2fx plain)%n", g, g / px);
    }

    static void plainRowSums(float[] x, float[] out, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            float s = 0;
            for (int j = 0; j < cols; j++) s += x[i * cols + j];
            out[i] = s;
        }
        sink = out[0];
    }

    /** The interpreter's arithmetic (double, Math.exp) on float arrays. */
    static void plainXent(float[] labels, float[] logits, float[] loss, int n, int c) {
        for (int i = 0; i < n; i++) {
            int b = i * c;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, logits[b + j]);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp((double) logits[b + j] - max);
            double ls = Math.log(sum), s = 0;
            for (int j = 0; j < c; j++) s -= labels[b + j] * (((double) logits[b + j] - max) - ls);
            loss[i] = (float) s;
        }
        sink = loss[0];
    }

    /** Best of repeated timings after a warm-up of the same length. */
    static double gbps(long bytes, double seconds, Runnable body) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) body.run();
        double best = Double.MAX_VALUE;
        end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return bytes / best;
    }
}
