package descent.compiler.emit;

import java.util.SplittableRandom;

/**
 * Row kernel timings (a main, not a test): the row-copy choice, an embedding lookup and a sparse
 * Adagrad-style dedup + masked scatter, each against a plain Java loop. Run from compiler/:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:$HOME/.m2/repository/org/ow2/asm/asm/9.9.1/asm-9.9.1.jar:../runtime/target/classes descent.compiler.emit.RowsBench
 * </pre>
 */
public final class RowsBench {
    private RowsBench() {}

    private static volatile float sink;

    private static double nsPer(Runnable r, int units, int reps) {
        for (int i = 0; i < reps; i++) r.run();
        double best = Double.MAX_VALUE;
        for (int trial = 0; trial < 5; trial++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) r.run();
            best = Math.min(best, (System.nanoTime() - t0) / (double) reps / units);
        }
        return best;
    }

    public static void main(String[] args) {
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 2048;
        System.out.println("vector length " + MatmulEmitter.preferredVectorLength());
        // 1. Row copies: System.arraycopy vs FloatVector loop, gather from a 100000-row table.
        for (int w : new int[] {8, 64, 256}) {
            int rows = 100_000;
            float[] table = new float[rows * w];
            for (int i = 0; i < table.length; i++) table[i] = (float) rnd.nextDouble();
            int[] ids = new int[n];
            for (int j = 0; j < n; j++) ids[j] = rnd.nextInt(rows);
            float[] out = new float[n * w];
            RowsKernel ac = RowsEmitter.emitVector(RowsSpec.gather(1, rows, w, false), RowsClassWriter.Copy.ARRAYCOPY).kernel();
            RowsKernel lp = RowsEmitter.emitVector(RowsSpec.gather(1, rows, w, false), RowsClassWriter.Copy.LOOP).kernel();
            RowsKernel sc = RowsEmitter.emitScalar(RowsSpec.gather(1, rows, w, false), RowsClassWriter.Copy.LOOP).kernel();
            final int fw = w;
            Runnable plain = () -> {
                for (int j = 0; j < n; j++) {
                    int id = ids[j];
                    if (id < 0 || id >= rows) throw new IllegalArgumentException();
                    for (int k = 0; k < fw; k++) out[j * fw + k] = table[id * fw + k];
                }
            };
            int reps = 20_000 / Math.max(1, w / 8);
            System.out.printf("gather [100000, %d] x %d: arraycopy %.2f  vector loop %.2f  scalar loop %.2f  plain Java loop %.2f ns/row%n", w, n,
                    nsPer(() -> ac.run(table, 0, ids, 0, n, null, out, 0, null), n, reps),
                    nsPer(() -> lp.run(table, 0, ids, 0, n, null, out, 0, null), n, reps),
                    nsPer(() -> sc.run(table, 0, ids, 0, n, null, out, 0, null), n, reps),
                    nsPer(plain, n, reps));
        }
        // 2. Sparse Adagrad-style update of a [100000, 64] table from 2048 ids (Zipf-ish: many repeats):
        //    dedup_sum + first_occurrence, the row update (a plain loop here, fused elementwise in the model), scatter_update.
        int rows = 100_000, w = 64;
        float[] table = new float[rows * w], grads = new float[n * w], summed = new float[n * w], mask = new float[n], newRows = new float[n * w];
        for (int i = 0; i < grads.length; i++) grads[i] = (float) rnd.nextDouble(-1, 1);
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) ids[j] = (int) Math.min(rows - 1, Math.floor(Math.pow(rnd.nextDouble(), 3) * rows));
        RowsEmitter.Emitted dedup = RowsEmitter.emit(RowsSpec.dedupSum(rows, w, false));
        RowsEmitter.Emitted first = RowsEmitter.emit(RowsSpec.firstOccurrence(rows, false));
        RowsEmitter.Emitted upd = RowsEmitter.emit(RowsSpec.scatterUpdate(rows, w, false));
        int[] s1 = dedup.newScratch(n), s2 = first.newScratch(n);
        Runnable update = () -> {
            for (int j = 0; j < n; j++) {
                if (mask[j] == 0) continue;
                int base = ids[j] * w;
                for (int k = 0; k < w; k++) newRows[j * w + k] = table[base + k] - 0.01f * summed[j * w + k];
            }
        };
        Runnable generated = () -> {
            dedup.kernel().run(grads, 0, ids, 0, n, null, summed, 0, s1);
            first.kernel().run(null, 0, ids, 0, n, null, mask, 0, s2);
            update.run();
            upd.kernel().run(newRows, 0, ids, 0, n, mask, table, 0, null);
        };
        int[] marks = new int[rows];
        Runnable plain = () -> {
            // The same algorithm by hand: first-occurrence marks, float sums, masked row writes.
            for (int j = 0; j < n; j++) if (ids[j] < 0 || ids[j] >= rows) throw new IllegalArgumentException();
            for (int j = 0; j < n; j++) {
                int id = ids[j], m = marks[id];
                if (m == 0) {
                    marks[id] = j + 1;
                    mask[j] = 1;
                    for (int k = 0; k < w; k++) summed[j * w + k] = grads[j * w + k];
                } else {
                    mask[j] = 0;
                    int at = (m - 1) * w;
                    for (int k = 0; k < w; k++) { summed[at + k] += grads[j * w + k]; summed[j * w + k] = 0; }
                }
            }
            for (int j = 0; j < n; j++) marks[ids[j]] = 0;
            update.run();
            for (int j = 0; j < n; j++) if (mask[j] != 0) System.arraycopy(newRows, j * w, table, ids[j] * w, w);
        };
        java.util.HashMap<Integer, Integer> map = new java.util.HashMap<>();
        Runnable hashed = () -> {
            // The interpreter's way: a HashMap from id to first position.
            map.clear();
            java.util.Arrays.fill(summed, 0f);
            for (int j = 0; j < n; j++) {
                Integer f = map.putIfAbsent(ids[j], j);
                int at = f == null ? j : f;
                mask[j] = f == null ? 1 : 0;
                for (int k = 0; k < w; k++) summed[at * w + k] += grads[j * w + k];
            }
            update.run();
            for (int j = 0; j < n; j++) if (mask[j] != 0) System.arraycopy(newRows, j * w, table, ids[j] * w, w);
        };
        int distinct = (int) java.util.Arrays.stream(ids).distinct().count();
        System.out.printf("sparse adagrad-style step [100000, 64] x %d ids (%d distinct): generated %.2f  plain loop %.2f  HashMap %.2f  row update alone %.2f ns/row%n",
                n, distinct, nsPer(generated, n, 5000), nsPer(plain, n, 5000), nsPer(hashed, n, 5000), nsPer(update, n, 5000));
        Runnable dedupOnly = () -> dedup.kernel().run(grads, 0, ids, 0, n, null, summed, 0, s1);
        System.out.printf("dedup_sum alone: %.2f ns/row%n", nsPer(dedupOnly, n, 5000));
        sink = table[0] + summed[0];
    }
}
