package descent.compiler.backend;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import descent.compiler.emit.MatmulEmitter;
import descent.compiler.emit.MatmulShape;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.compiler.ir.UnaryFn;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A matmul as a call of a generated {@link MatmulEmitter} kernel: one kernel with a runtime M when only the
 * rows depend on the batch; a kernel per batch size, made when first seen, when the batch is contracted
 * (a weight gradient) or is C's column count.
 */
final class MatmulCalls {
    private MatmulCalls() {}

    static void matmul(KernelCalls c, Node n, Op.MatMul m) {
        matmul(c, n, m, MatmulEpilogue.NONE, -1, n.id());
    }

    /** A matmul with its bias add (and relu) applied to C's tiles: writes only the chain's result. */
    static void matmulEpilogue(KernelCalls c, Kernel.MatmulEpilogue e) {
        Node n = c.g.node(e.matmul());
        boolean relu = e.nodes().size() == 2;
        if (relu && !(c.g.node(e.nodes().get(1)).op() instanceof Op.Unary u && u.fn() == UnaryFn.RELU))
            throw new IllegalStateException("unsupported matmul epilogue " + e);
        matmul(c, n, (Op.MatMul) n.op(), new MatmulEpilogue(true, relu), e.bias(), e.result());
    }

    private static void matmul(KernelCalls c, Node n, Op.MatMul m, MatmulEpilogue epi, int bias, int id) {
        int[] a = c.dims(n.input(0)), bd = c.dims(n.input(1));
        int rows = m.transposeA() ? a[1] : a[0], k = m.transposeA() ? a[0] : a[1], cols = m.transposeB() ? bd[0] : bd[1];
        c.out(id);
        int x = n.input(0), y = n.input(1);
        if (k >= 0 && cols >= 0) {
            MatmulShape shape = new MatmulShape(rows < 0 ? MatmulShape.RUNTIME_M : rows, k, cols, m.transposeA(), m.transposeB(), DType.F32);
            EmittedMatmul e = Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi));
            int scratch = e.scratchFloats() > 0 ? c.buffers.scratch(DType.F32, new Sz(e.scratchFloats(), 0)) : -1;
            if (bias < 0) {
                c.call((buf, step, b) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0,
                        rows < 0 ? b : rows, scratch < 0 ? null : (float[]) buf[scratch]));
            } else {
                c.call((buf, step, b) -> e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0,
                        rows < 0 ? b : rows, scratch < 0 ? null : (float[]) buf[scratch], (float[]) buf[bias], 0));
            }
            return;
        }
        if (c.symbol == null) throw new IllegalStateException();
        boolean ta = m.transposeA(), tb = m.transposeB();
        int scratch = c.buffers.lazy();
        // The last batch size and its kernel, swapped as one array so threads never see a mismatched pair.
        AtomicReference<Object[]> lastKernel = new AtomicReference<>();
        c.call((buf, step, b) -> {
            Object[] lk = lastKernel.get();
            if (lk == null || (int) lk[0] != b) {
                MatmulShape shape = new MatmulShape(rows < 0 ? b : rows, k < 0 ? b : k, cols < 0 ? b : cols, ta, tb, DType.F32);
                lk = new Object[] {b, Kernels.get("matmul " + shape + epi.tag(), () -> MatmulEmitter.emit(shape, epi))};
                lastKernel.set(lk);
            }
            EmittedMatmul e = (EmittedMatmul) lk[1];
            float[] s = null;
            if (e.scratchFloats() > 0) {
                s = (float[]) buf[scratch];
                if (s == null || s.length < e.scratchFloats()) buf[scratch] = s = new float[e.scratchFloats()];
            }
            e.kernel().run((float[]) buf[x], 0, (float[]) buf[y], 0, (float[]) buf[id], 0, rows < 0 ? b : rows, s,
                    bias < 0 ? null : (float[]) buf[bias], 0);
        });
    }
}
