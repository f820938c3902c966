package descent.compiler.emit;

import descent.runtime.DescentException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Emits softmax, log-softmax and both softmax cross entropies over the last axis (static class count,
 * any number of rows given per call) as hidden classes. Results equal the reference interpreter's bit
 * for bit (see {@link SoftmaxClassWriter} for the order of operations), NaN and infinities included.
 *
 * <pre>{@code
 * SoftmaxXentKernel xent = SoftmaxEmitter.xent(1000);
 * xent.run(labels, 0, logits, 0, loss, 0, batch);
 * }</pre>
 */
public final class SoftmaxEmitter {
    private static final AtomicLong SERIAL = new AtomicLong();

    private SoftmaxEmitter() {}

    public static byte[] classFile(SoftmaxOp op, int classes) {
        return classFile(op, classes, MatmulEmitter.preferredVectorLength());
    }

    /** {@code vectorLength} 0 gives the scalar variant (bitwise the same results). */
    public static byte[] classFile(SoftmaxOp op, int classes, int vectorLength) {
        if (vectorLength < 0 || Integer.bitCount(Math.max(vectorLength, 1)) != 1) throw new IllegalArgumentException("vector length " + vectorLength);
        String name = SoftmaxEmitter.class.getPackageName().replace('.', '/') + "/GeneratedSoftmax" + (vectorLength > 0 ? "Vector_" : "Scalar_")
                + op.name() + "_" + classes + "_" + SERIAL.incrementAndGet();
        return new SoftmaxClassWriter(op, classes, name, vectorLength).write();
    }

    /** Loads class bytes from {@link #classFile}; the result implements the op's kernel interface. */
    public static Object load(byte[] classFile) { return ReduceEmitter.instantiate(classFile); }

    public static SoftmaxKernel softmax(int classes, boolean log) {
        return (SoftmaxKernel) load(KernelClassFiles.generated(() -> classFile(log ? SoftmaxOp.LOG_SOFTMAX : SoftmaxOp.SOFTMAX, classes)));
    }

    public static SoftmaxXentKernel xent(int classes) {
        return (SoftmaxXentKernel) load(KernelClassFiles.generated(() -> classFile(SoftmaxOp.XENT, classes)));
    }

    /** {@code longLabels}: the labels are {@code long[]} (i64), else {@code int[]} (i32). */
    public static SoftmaxSparseXentKernel sparseXent(int classes, boolean longLabels) {
        return (SoftmaxSparseXentKernel) load(KernelClassFiles.generated(
                () -> classFile(longLabels ? SoftmaxOp.SPARSE_XENT_I64 : SoftmaxOp.SPARSE_XENT_I32, classes)));
    }

    /** A sparse cross entropy that also writes softmax(logits), from the exps the loss needs anyway. */
    public static SoftmaxSparseXentKernel sparseXentWithSoftmax(int classes, boolean longLabels) {
        SoftmaxOp op = longLabels ? SoftmaxOp.SPARSE_XENT_I64 : SoftmaxOp.SPARSE_XENT_I32;
        return (SoftmaxSparseXentKernel) load(KernelClassFiles.generated(() -> {
            String name = SoftmaxEmitter.class.getPackageName().replace('.', '/') + "/GeneratedSoftmaxWithXent_" + op.name() + "_" + classes
                    + "_" + SERIAL.incrementAndGet();
            return new SoftmaxClassWriter(op, classes, name, MatmulEmitter.preferredVectorLength(), true).write();
        }));
    }

        /** The interpreter's error for a class id outside {@code [0, classes)}; called by generated code. */
    public static DescentException labelOutOfRange(int label, int position, int classes) {
        return new DescentException("sparse_softmax_cross_entropy_with_logits: label " + label
                + " at position " + position + " is outside [0, " + classes + ")");
    }
}
