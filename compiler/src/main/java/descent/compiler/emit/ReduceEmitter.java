package descent.compiler.emit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Emits reduction kernels (SUM, MEAN, MAX, MIN over any axes; SumTo through
 * {@link ReduceShape#sumTo}) as hidden classes implementing {@link ReduceKernel}.
 *
 * <pre>{@code
 * ReduceKernel k = ReduceEmitter.load(ReduceEmitter.classFile(ReduceShape.of(ReduceFn.SUM, new int[] {ReduceShape.BATCH, 10}, 1)));
 * k.run(x, 0, out, 0, batch);
 * }</pre>
 *
 * Order of operations and accuracy: see {@link ReduceRowWriter}. Results are bitwise repeatable run to
 * run for a given variant (vector length). Against the interpreter's double accumulation, a SUM of n
 * terms is within {@code n·2⁻²⁴·Σ|x|} (tests assert it and report the worst ratio seen); MEAN adds
 * half an ulp for the division; MAX/MIN are exact except that a maximum of +0 and −0 is +0 here (the
 * interpreter keeps the first one); NaN propagates; empty reductions give the identity (0, −∞, +∞) and
 * an empty MEAN gives NaN, as in the interpreter.
 */
public final class ReduceEmitter {
    private static final AtomicLong SERIAL = new AtomicLong();

    private ReduceEmitter() {}

    /** The vector class when the Vector API is available, else the scalar one. */
    public static byte[] classFile(ReduceShape shape) {
        return classFile(shape, MatmulEmitter.preferredVectorLength());
    }

    /** {@code vectorLength} 0 gives the scalar variant; otherwise it must match where the class is loaded. */
    public static byte[] classFile(ReduceShape shape, int vectorLength) {
        if (vectorLength < 0 || Integer.bitCount(Math.max(vectorLength, 1)) != 1) throw new IllegalArgumentException("vector length " + vectorLength);
        String name = ReduceEmitter.class.getPackageName().replace('.', '/') + "/GeneratedReduce" + (vectorLength > 0 ? "Vector_" : "Scalar_")
                + shape.tag() + "_" + SERIAL.incrementAndGet();
        return new ReduceClassWriter(shape, name, vectorLength).write();
    }

    public static ReduceKernel emit(ReduceShape shape) { return load(KernelClassFiles.generated(() -> classFile(shape))); }

    /**
     * An f64 reduction ({@link ReduceKernel#run64}): one scalar pass in the input's row-major order, each
     * element combined into its output as the interpreter does ({@code acc + x}; for MAX/MIN {@code x} wins
     * when it is NaN or strictly greater/less), so the result is bitwise the interpreter's.
     */
    public static ReduceKernel emit64(ReduceShape shape) {
        return load(KernelClassFiles.generated(() -> {
            String name = ReduceEmitter.class.getPackageName().replace('.', '/') + "/GeneratedReduceF64_" + shape.tag() + "_" + SERIAL.incrementAndGet();
            return new ReduceClassWriter(shape, name, 0, true).write();
        }));
    }

    public static ReduceKernel load(byte[] classFile) { return (ReduceKernel) instantiate(classFile); }

    /** Defines the bytes as a hidden class in this package and returns a new instance. */
    static Object instantiate(byte[] classFile) { return KernelClassFile.instantiate(classFile, Object.class, "kernel"); }
}
