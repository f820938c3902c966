package descent.compiler.backend;

import descent.compiler.emit.SoftmaxEmitter;
import descent.compiler.emit.SoftmaxF64Emitter;
import descent.compiler.emit.SoftmaxF64Kernel;
import descent.compiler.emit.SoftmaxKernel;
import descent.compiler.emit.SoftmaxSparseXentKernel;
import descent.compiler.emit.SoftmaxXentKernel;
import descent.compiler.ir.Node;
import descent.runtime.DType;

/**
 * softmax, log_softmax and the two cross entropies as calls of generated {@link SoftmaxEmitter} kernels:
 * specialised to the class count (which must not be the symbolic dimension), given the row count per call;
 * f64 nodes get scalar kernels bitwise the interpreter's.
 */
final class SoftmaxCalls {
    private SoftmaxCalls() {}

    static void softmax(KernelCalls c, Node n, boolean log) {
        KernelCalls.requireFloating(n);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, n.input(0), -1, log ? SoftmaxF64Emitter.Op.LOG_SOFTMAX : SoftmaxF64Emitter.Op.SOFTMAX);
            return;
        }
        int classes = classes(c, n.id());
        Sz rows = c.size(n.id()).perRow(classes);
        SoftmaxKernel k = Kernels.get("softmax " + classes + log, () -> SoftmaxEmitter.softmax(classes, log));
        int id = n.id(), x = n.input(0);
        c.out(id);
        c.call((buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    static void xent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, z, l, SoftmaxF64Emitter.Op.XENT);
            return;
        }
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        SoftmaxXentKernel kx = Kernels.get("xent " + classes, () -> SoftmaxEmitter.xent(classes));
        c.out(id);
        c.call((buf, step, b) -> kx.run((float[]) buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    static void sparseXent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        if (n.type().dtype() == DType.F64) {
            f64(c, n, z, l, c.isLong(l) ? SoftmaxF64Emitter.Op.SPARSE_XENT_I64 : SoftmaxF64Emitter.Op.SPARSE_XENT_I32);
            return;
        }
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        boolean lng = c.isLong(l);
        int probs = c.softmaxLater(z);
        if (probs >= 0) {
            // The gradient's softmax(logits) comes later in the step: written now from the same exps, one pass less.
            SoftmaxSparseXentKernel kx = Kernels.get("sxent+softmax " + classes + lng, () -> SoftmaxEmitter.sparseXentWithSoftmax(classes, lng));
            c.out(id);
            c.out(probs);
            c.call((buf, step, b) -> kx.run(buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, (float[]) buf[probs], 0, rows.at(b)));
            return;
        }
        SoftmaxSparseXentKernel kx = Kernels.get("sxent " + classes + lng, () -> SoftmaxEmitter.sparseXent(classes, lng));
        c.out(id);
        c.call((buf, step, b) -> kx.run(buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    /** An f64 softmax-family node: a scalar kernel bitwise the interpreter's ({@link SoftmaxF64Emitter}). */
    private static void f64(KernelCalls c, Node n, int logits, int labels, SoftmaxF64Emitter.Op op) {
        int id = n.id(), classes = classes(c, logits);
        Sz rows = c.size(logits).perRow(classes);
        SoftmaxF64Kernel k = Kernels.get("softmax f64 " + op + " " + classes, () -> SoftmaxF64Emitter.emit(op, classes));
        c.out(id);
        c.call((buf, step, b) -> k.run(labels < 0 ? null : buf[labels], (double[]) buf[logits], (double[]) buf[id], rows.at(b)));
    }

    /** The size of the last axis of {@code node}. */
    private static int classes(KernelCalls c, int node) {
        int[] d = c.dims(node);
        return KernelCalls.fixedDim(d[d.length - 1]);
    }
}
