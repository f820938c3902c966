package descent.compiler.backend;

import descent.compiler.emit.SoftmaxEmitter;
import descent.compiler.emit.SoftmaxKernel;
import descent.compiler.emit.SoftmaxSparseXentKernel;
import descent.compiler.emit.SoftmaxXentKernel;
import descent.compiler.ir.Node;

/**
 * softmax, log_softmax and the two cross entropies as calls of generated {@link SoftmaxEmitter} kernels:
 * specialised to the class count (which must not be the symbolic dimension), given the row count per call.
 */
final class SoftmaxCalls {
    private SoftmaxCalls() {}

    static void softmax(KernelCalls c, Node n, boolean log) {
        KernelCalls.requireF32(n);
        int classes = classes(c, n.id());
        Sz rows = c.size(n.id()).perRow(classes);
        SoftmaxKernel k = Kernels.get("softmax " + classes + log, () -> SoftmaxEmitter.softmax(classes, log));
        int id = n.id(), x = n.input(0);
        c.out(id);
        c.call((buf, step, b) -> k.run((float[]) buf[x], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    static void xent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        SoftmaxXentKernel kx = Kernels.get("xent " + classes, () -> SoftmaxEmitter.xent(classes));
        c.out(id);
        c.call((buf, step, b) -> kx.run((float[]) buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    static void sparseXent(KernelCalls c, Node n) {
        int id = n.id(), l = n.input(0), z = n.input(1);
        int classes = classes(c, z);
        Sz rows = c.size(z).perRow(classes);
        boolean lng = c.isLong(l);
        SoftmaxSparseXentKernel kx = Kernels.get("sxent " + classes + lng, () -> SoftmaxEmitter.sparseXent(classes, lng));
        c.out(id);
        c.call((buf, step, b) -> kx.run(buf[l], 0, (float[]) buf[z], 0, (float[]) buf[id], 0, rows.at(b)));
    }

    /** The size of the last axis of {@code node}. */
    private static int classes(KernelCalls c, int node) {
        int[] d = c.dims(node);
        return KernelCalls.fixedDim(d[d.length - 1]);
    }
}
