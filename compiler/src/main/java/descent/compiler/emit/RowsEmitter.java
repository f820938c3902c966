package descent.compiler.emit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Emits the row kernels behind embedding lookups, their IndexedSlices gradients and the sparse
 * optimizer updates (gather, scatter_add, dedup_sum, first_occurrence, scatter_update,
 * scatter_accumulate, one_hot) as hidden classes implementing {@link RowsKernel}.
 *
 * <pre>{@code
 * RowsEmitter.Emitted g = RowsEmitter.emit(RowsSpec.gather(1, 100_000, 64, false));
 * g.kernel().run(table, 0, ids, 0, ids.length, null, out, 0, null);     // out[n, 64] = table[ids]
 *
 * RowsEmitter.Emitted d = RowsEmitter.emit(RowsSpec.dedupSum(100_000, 64, false));
 * int[] scratch = d.newScratch(maxBatch);                                 // once; zero between calls
 * d.kernel().run(grads, 0, ids, 0, n, null, summed, 0, scratch);
 * }</pre>
 *
 * <p>Results are bitwise equal to the reference interpreter's ({@code interp/Kernels}) in both the
 * vector and the scalar variant, and identical run to run. A call allocates nothing: the ops that
 * merge repeated indices use a caller-owned {@code int[]} scratch of {@code rows + 2·n} ints (one mark
 * per table row, left zero on return, plus two ints per index), so steady state is allocation-free and
 * only a larger batch needs a larger scratch. For a table of R rows of W floats the marks cost R ints,
 * 1/W of the table.
 *
 * <p>Row copies in GATHER and SCATTER_UPDATE: a {@code FloatVector} loop for rows up to 128 floats,
 * {@link System#arraycopy} for longer ones ({@code RowsBench}, random rows of a 100000-row table on this
 * VM: 8 floats 2.8 vs 2.8 ns/row, 64 floats 9.1 vs 11.4, 256 floats 43 vs 38); the scalar variant
 * always uses arraycopy. Sums use {@code FloatVector} lanes when the Vector API is available.
 */
public final class RowsEmitter {
    private static final AtomicLong SERIAL = new AtomicLong();

    private RowsEmitter() {}

    /**
     * One loaded kernel.
     *
     * @param vectorLength floats per vector it was specialised to; 0 for the scalar variant
     */
    public record Emitted(RowsSpec spec, int vectorLength, byte[] classFile, Class<?> kernelClass, RowsKernel kernel) {
        /** Ints of scratch a call with n indices needs (0: pass null). */
        public int scratchInts(int n) { return spec.op().usesScratch ? spec.rows() + 2 * n : 0; }

        /** A zeroed scratch for up to {@code maxN} indices, or null when the op needs none; allocate once, reuse. */
        public int[] newScratch(int maxN) { return spec.op().usesScratch ? new int[scratchInts(maxN)] : null; }
    }

    /** The vector variant when the Vector API is available, else (and for f64) the scalar one. */
    public static Emitted emit(RowsSpec spec) {
        return MatmulEmitter.vectorApiAvailable() && !spec.f64() ? emitVector(spec) : emitScalar(spec);
    }

    public static Emitted emitVector(RowsSpec spec) {
        return emitVector(spec, spec.inner() <= 128 ? RowsClassWriter.Copy.LOOP : RowsClassWriter.Copy.ARRAYCOPY);
    }

    static Emitted emitVector(RowsSpec spec, RowsClassWriter.Copy copy) {
        int vl = MatmulEmitter.preferredVectorLength();
        if (vl == 0) throw new IllegalStateException("jdk.incubator.vector is not available");
        return load(spec, vl, KernelClassFiles.generated(() -> classFile(spec, vl, copy)));
    }

    public static Emitted emitScalar(RowsSpec spec) { return emitScalar(spec, RowsClassWriter.Copy.ARRAYCOPY); }

    static Emitted emitScalar(RowsSpec spec, RowsClassWriter.Copy copy) {
        return load(spec, 0, KernelClassFiles.generated(() -> classFile(spec, 0, copy)));
    }

    /** The class bytes; a vector length > 0 must match FloatVector.SPECIES_PREFERRED where the class is loaded. */
    public static byte[] classFile(RowsSpec spec, int vectorLength) {
        return classFile(spec, vectorLength, vectorLength > 0 && spec.inner() <= 128 ? RowsClassWriter.Copy.LOOP : RowsClassWriter.Copy.ARRAYCOPY);
    }

    static byte[] classFile(RowsSpec spec, int vectorLength, RowsClassWriter.Copy copy) {
        String name = RowsEmitter.class.getPackageName().replace('.', '/') + "/Generated" + (vectorLength > 0 ? "Vector" : "Scalar")
                + "Rows_" + spec.tag() + "_" + SERIAL.incrementAndGet();
        return new RowsClassWriter(spec, name, vectorLength, copy).write();
    }

    private static Emitted load(RowsSpec spec, int vectorLength, byte[] bytes) {
        try {
            MethodHandles.Lookup lookup = KernelClassFile.define(bytes);
            Class<?> cls = lookup.lookupClass();
            RowsKernel kernel = (RowsKernel) lookup.findConstructor(cls, MethodType.methodType(void.class)).invoke();
            return new Emitted(spec, vectorLength, bytes, cls, kernel);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load generated row kernel " + spec.tag(), e);
        }
    }
}
