package descent.compiler.backend;

import descent.compiler.emit.CastEmitter;
import descent.compiler.emit.IntOpsEmitter;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.LayoutEmitter;
import descent.compiler.emit.LayoutKernel;
import descent.compiler.ir.Node;
import descent.compiler.ir.Op;
import descent.runtime.DType;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move or convert elements without arithmetic on floats — transpose, concat, slice, pad, tile,
 * broadcast_to, casts and integer elementwise ops — as calls of {@link LayoutKernel}s, which all take their
 * inputs as an array and the batch size per call.
 */
final class LayoutCalls {
    private LayoutCalls() {}

    static void transpose(KernelCalls c, Node n, Op.Transpose t) {
        DType dt = n.type().dtype();
        int[] from = c.dims(n.input(0));
        call(c, n, List.of(n.input(0)), Kernels.get("transpose " + dt + Arrays.toString(from) + t.perm(),
                () -> LayoutEmitter.transpose(dt, c.dims(n.input(0)), t.perm().stream().mapToInt(Integer::intValue).toArray())));
    }

    static void concat(KernelCalls c, Node n, Op.Concat cc) {
        DType dt = n.type().dtype();
        List<int[]> shapes = n.inputs().stream().map(c::dims).toList();
        String key = "concat " + dt + cc.axis() + shapes.stream().map(Arrays::toString).toList();
        call(c, n, n.inputs(), Kernels.get(key, () -> LayoutEmitter.concat(dt, shapes, cc.axis())));
    }

    static void slice(KernelCalls c, Node n, Op.Slice s) {
        DType dt = n.type().dtype();
        int[] begin = s.begin().stream().mapToInt(Integer::intValue).toArray();
        String key = "slice " + dt + Arrays.toString(c.dims(n.input(0))) + Arrays.toString(begin) + Arrays.toString(c.dims(n.id()));
        call(c, n, List.of(n.input(0)), Kernels.get(key, () -> LayoutEmitter.slice(dt, c.dims(n.input(0)), begin, c.dims(n.id()))));
    }

    static void pad(KernelCalls c, Node n, Op.Pad p) {
        DType dt = n.type().dtype();
        int[] before = p.before().stream().mapToInt(Integer::intValue).toArray();
        String key = "pad " + dt + Arrays.toString(c.dims(n.input(0))) + Arrays.toString(before) + Arrays.toString(c.dims(n.id()));
        call(c, n, List.of(n.input(0)), Kernels.get(key, () -> LayoutEmitter.pad(dt, c.dims(n.input(0)), before, c.dims(n.id()))));
    }

    static void tile(KernelCalls c, Node n, Op.Tile t) {
        DType dt = n.type().dtype();
        int[] mult = t.multiples().stream().mapToInt(Integer::intValue).toArray();
        String key = "tile " + dt + Arrays.toString(c.dims(n.input(0))) + Arrays.toString(mult);
        call(c, n, List.of(n.input(0)), Kernels.get(key, () -> LayoutEmitter.tile(dt, c.dims(n.input(0)), mult)));
    }

    static void broadcastTo(KernelCalls c, Node n) {
        DType dt = n.type().dtype();
        String key = "bcast " + dt + Arrays.toString(c.dims(n.input(0))) + Arrays.toString(c.dims(n.id()));
        call(c, n, List.of(n.input(0)), Kernels.get(key, () -> LayoutEmitter.broadcastTo(dt, c.dims(n.input(0)), c.dims(n.id()))));
    }

    static void cast(KernelCalls c, Node n, Op.Cast cast) {
        DType from = c.g.type(n.input(0)).dtype();
        String key = "cast " + from + cast.to() + Arrays.toString(c.dims(n.id()));
        call(c, n, List.of(n.input(0)), Kernels.get(key, () -> CastEmitter.cast(from, cast.to(), c.dims(n.id()))));
    }

    static void intUnary(KernelCalls c, Node n, Op.Unary u) {
        DType dt = n.type().dtype();
        call(c, n, List.of(n.input(0)), Kernels.get("int " + u.fn() + dt + Arrays.toString(c.dims(n.id())),
                () -> IntOpsEmitter.unary(u.fn(), dt, c.dims(n.id()))));
    }

    static void intBinary(KernelCalls c, Node n, Op.Binary bi) {
        DType dt = n.type().dtype();
        DType operands = c.g.type(n.input(0)).dtype();
        if (operands != dt) throw KernelCalls.unsupported(n, "an integer comparison with a float result");
        String key = "int " + bi.fn() + dt + Arrays.toString(c.dims(n.input(0))) + Arrays.toString(c.dims(n.input(1)));
        call(c, n, n.inputs(), Kernels.get(key, () -> IntOpsEmitter.binary(bi.fn(), dt, c.dims(n.input(0)), c.dims(n.input(1)))));
    }

    private static void call(KernelCalls c, Node n, List<Integer> inputs, LayoutKernel k) {
        int id = n.id();
        c.out(id);
        int[] ins = inputs.stream().mapToInt(Integer::intValue).toArray();
        int argSlot = c.buffers.holder(ins.length, false);
        c.invoke(new Invocation(k, LayoutKernel.class, "run", new Arg.Gathered(argSlot, ins, Object[].class),
                new Arg.Ints(new int[ins.length]), new Arg.Slot(id, Object.class), Arg.constant(0), Arg.batch()));
    }
}
