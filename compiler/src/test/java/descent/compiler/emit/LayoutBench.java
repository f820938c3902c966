package descent.compiler.emit;

import descent.runtime.DType;

import java.util.List;

/**
 * Transpose and concat throughput of the emitted kernels against plain Java loops (not a test).
 * <pre>
 * java -cp compiler/target/classes:compiler/target/test-classes:runtime/target/classes:$ASM descent.compiler.emit.LayoutBench [n] [reps]
 * </pre>
 * Prints ns per element (best of {@code reps} timed rounds after warm-up); all kernels move f32.
 */
public final class LayoutBench {
    private LayoutBench() {}

    interface Body { void run(); }

    static double time(Body b, int elements, int reps) {
        for (int i = 0; i < 30; i++) b.run();   // warm-up: C2
        double best = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            int inner = 10;
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) b.run();
            best = Math.min(best, (System.nanoTime() - t0) / (double) inner / elements);
        }
        return best;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        float[] a = new float[n * n], t = new float[n * n];
        for (int i = 0; i < a.length; i++) a[i] = i;
        int e = n * n;
        System.out.printf("transpose %dx%d f32 (ns/element; 8 bytes moved per element)%n", n, n);
        System.out.printf("  plain Java loop (row-major writes)   %.3f%n", time(() -> {
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[i * n + j] = a[j * n + i];
        }, e, reps));
        System.out.printf("  plain Java loop (row-major reads)    %.3f%n", time(() -> {
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        }, e, reps));
        for (int tile : new int[] {0, 8, 16, 32, 64, 128}) {
            LayoutKernel k = LayoutEmitter.load(LayoutEmitter.classFile(
                    LayoutEmitter.transposeProgram(DType.F32, new int[] {n, n}, new int[] {1, 0}), tile));
            Object[] in = {a};
            int[] off = {0};
            System.out.printf("  emitted, %-28s %.3f%n", tile == 0 ? "untiled" : "tile " + tile, time(() -> k.run(in, off, t, 0, 0), e, reps));
        }
        LayoutKernel kb = LayoutEmitter.transpose(DType.F32, new int[] {LayoutEmitter.BATCH, n}, new int[] {1, 0});
        System.out.printf("  emitted, tile 32, runtime batch=%d     %.3f%n", n, time(() -> kb.run(new Object[] {a}, new int[] {0}, t, 0, n), e, reps));

        // concat along the last axis of [rows, w_k] pieces: rows of a few hundred floats each
        int rows = 256;
        int[] w = {n, n / 2, n / 4, n / 4};
        int total = 0;
        for (int x : w) total += x;
        float[][] parts = new float[w.length][];
        for (int k = 0; k < w.length; k++) parts[k] = new float[rows * w[k]];
        float[] c = new float[rows * total];
        int tot = total;
        int ce = rows * total;
        System.out.printf("concat of [%d, %s] f32 along axis 1 (ns/element)%n", rows, java.util.Arrays.toString(w));
        System.out.printf("  plain Java element loop              %.3f%n", time(() -> {
            int pos = 0;
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < w.length; k++) { float[] p = parts[k]; int wk = w[k]; for (int j = 0; j < wk; j++) c[pos++] = p[r * wk + j]; }
        }, ce, reps));
        System.out.printf("  plain Java System.arraycopy per row  %.3f%n", time(() -> {
            int pos = 0;
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < w.length; k++) { System.arraycopy(parts[k], r * w[k], c, pos, w[k]); pos += w[k]; }
        }, ce, reps));
        LayoutKernel kc = LayoutEmitter.concat(DType.F32, List.of(new int[] {rows, w[0]}, new int[] {rows, w[1]}, new int[] {rows, w[2]},
                new int[] {rows, w[3]}), 1);
        Object[] in = parts.clone();
        int[] off = new int[w.length];
        System.out.printf("  emitted                              %.3f%n", time(() -> kc.run(in, off, c, 0, 0), ce, reps));
        // narrow pieces: many short rows, where arraycopy's call cost shows
        int rows2 = 65536;
        float[] p1 = new float[rows2 * 3], p2 = new float[rows2 * 5], c2 = new float[rows2 * 8];
        System.out.printf("concat of [%d, 3] and [%d, 5] f32 along axis 1 (ns/element)%n", rows2, rows2);
        System.out.printf("  plain Java element loop              %.3f%n", time(() -> {
            int pos = 0;
            for (int r = 0; r < rows2; r++) {
                for (int j = 0; j < 3; j++) c2[pos++] = p1[r * 3 + j];
                for (int j = 0; j < 5; j++) c2[pos++] = p2[r * 5 + j];
            }
        }, rows2 * 8, reps));
        LayoutKernel k2 = LayoutEmitter.concat(DType.F32, List.of(new int[] {LayoutEmitter.BATCH, 3}, new int[] {LayoutEmitter.BATCH, 5}), 1);
        System.out.printf("  emitted (runtime batch)              %.3f%n",
                time(() -> k2.run(new Object[] {p1, p2}, new int[] {0, 0}, c2, 0, rows2), rows2 * 8, reps));
    }
}
