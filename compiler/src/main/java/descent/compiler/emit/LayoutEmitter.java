package descent.compiler.emit;

import descent.runtime.DType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Emits data-movement kernels (transpose, concat, slice, pad, tile, broadcast_to) specialised to static
 * shapes with at most one runtime dimension, as hidden classes implementing {@link LayoutKernel}.
 * Shapes are {@code int[]}s in which {@link #BATCH} marks the runtime dimension (it may occur more than
 * once, e.g. {@code [BATCH, BATCH]}); its size is the kernel's {@code batch} argument.
 *
 * <pre>{@code
 * LayoutKernel t = LayoutEmitter.transpose(DType.F32, new int[] {BATCH, 3, 4}, new int[] {2, 0, 1});
 * t.run(new Object[] {x}, new int[] {0}, y, 0, batch);          // y: f32[4, batch, 3]
 * LayoutKernel c = LayoutEmitter.concat(DType.I64, List.of(new int[] {BATCH, 2}, new int[] {BATCH, 5}), 1);
 * c.run(new Object[] {a, b}, new int[] {0, 0}, out, 0, batch);  // out: i64[batch, 7]
 * }</pre>
 *
 * Every kernel is a few strided loop nests ({@link LayoutNest}); results are the interpreter's
 * ({@code interp.Kernels}, {@code Interpreter}'s BroadcastTo) element for element, bit for bit: the
 * kernels only move elements. See {@link LayoutClassWriter} for the loop shapes (arraycopy rows,
 * tiled 2-D transposes).
 */
public final class LayoutEmitter {
    /** Marks the runtime (batch) dimension in a shape. */
    public static final int BATCH = -1;
    /**
     * Tile edge of the blocked transpose. Measured with {@code LayoutBench} (f32, ns/element, best tile
     * per size): 1024² 8 → 0.80, 16 → 1.11, 32 → 1.92, untiled 3.28; 1000² 16 → 0.56, 64 → 0.36, untiled
     * 0.68; 2048² 16 → 1.86, 32 → 2.16, untiled 5.81. Power-of-two row strides put a tile's column in one
     * L1 set, so large tiles thrash there; 16 is the robust compromise.
     */
    public static final int DEFAULT_TILE = 16;
    private static final AtomicLong SERIAL = new AtomicLong();

    private LayoutEmitter() {}

    // ---- public kernels

    /** Result axis {@code d} is input axis {@code perm[d]}. */
    public static LayoutKernel transpose(DType t, int[] inShape, int[] perm) { return compile(transposeProgram(t, inShape, perm)); }

    /** Joins inputs (same rank, equal except on {@code axis}) along {@code axis}. */
    public static LayoutKernel concat(DType t, List<int[]> inShapes, int axis) { return compile(concatProgram(t, inShapes, axis)); }

    /** The block of shape {@code outShape} at {@code begin}; a runtime axis must be taken whole. */
    public static LayoutKernel slice(DType t, int[] inShape, int[] begin, int[] outShape) {
        return compile(sliceProgram(t, inShape, begin, outShape));
    }

    /** The input at {@code before} in a zero tensor of {@code outShape}; a runtime axis cannot be padded. */
    public static LayoutKernel pad(DType t, int[] inShape, int[] before, int[] outShape) {
        return compile(padProgram(t, inShape, before, outShape));
    }

    /** The input repeated {@code multiples[d]} times along axis d; a runtime axis must have multiple 1. */
    public static LayoutKernel tile(DType t, int[] inShape, int[] multiples) { return compile(tileProgram(t, inShape, multiples)); }

    /** NumPy broadcasting of the input to {@code outShape}, materialised. */
    public static LayoutKernel broadcastTo(DType t, int[] inShape, int[] outShape) {
        return compile(broadcastProgram(t, inShape, outShape));
    }

    // ---- programs

    static LayoutProgram transposeProgram(DType t, int[] in, int[] perm) {
        int r = in.length;
        if (perm.length != r) throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " for rank " + r);
        boolean[] seen = new boolean[r];
        int[] out = new int[r];
        LayoutPoly[] inStrides = LayoutPoly.strides(in), src = new LayoutPoly[r];
        for (int d = 0; d < r; d++) {
            int p = perm[d];
            if (p < 0 || p >= r || seen[p]) throw new IllegalArgumentException("not a permutation: " + Arrays.toString(perm));
            seen[p] = true;
            out[d] = in[p];
            src[d] = inStrides[p];
        }
        return single("transpose", t, t, out, src, LayoutPoly.ZERO, new LayoutProgram.Copy(), in);
    }

    static LayoutProgram concatProgram(DType t, List<int[]> ins, int axis) {
        if (ins.isEmpty()) throw new IllegalArgumentException("concat of nothing");
        int r = ins.get(0).length;
        if (axis < 0 || axis >= r) throw new IllegalArgumentException("axis " + axis + " of rank " + r);
        int[] outShape = ins.get(0).clone();
        LayoutPoly along = LayoutPoly.ZERO;
        for (int[] s : ins) {
            if (s.length != r) throw new IllegalArgumentException("concat of ranks " + r + " and " + s.length);
            for (int d = 0; d < r; d++)
                if (d != axis && s[d] != outShape[d]) throw new IllegalArgumentException("concat shapes differ off axis " + axis);
            along = along.plus(LayoutPoly.dim(s[axis]));
        }
        if (ins.size() > 1 && ins.stream().anyMatch(s -> s[axis] == BATCH))
            throw new IllegalArgumentException("concat along the runtime axis");
        if (ins.size() == 1) outShape[axis] = ins.get(0)[axis];
        else outShape[axis] = toInt(along.constant());
        LayoutPoly[] outStrides = LayoutPoly.strides(outShape);
        List<LayoutProgram.Step> steps = new ArrayList<>();
        LayoutPoly offset = LayoutPoly.ZERO;
        for (int k = 0; k < ins.size(); k++) {
            int[] s = ins.get(k);
            LayoutPoly[] ext = new LayoutPoly[r];
            for (int d = 0; d < r; d++) ext[d] = LayoutPoly.dim(s[d]);
            steps.add(new LayoutNest(ext, offset.times(outStrides[axis]), outStrides, new int[] {k},
                    new LayoutPoly[] {LayoutPoly.ZERO}, new LayoutPoly[][] {LayoutPoly.strides(s)}, new LayoutProgram.Copy()));
            offset = offset.plus(LayoutPoly.dim(s[axis]));
        }
        DType[] types = new DType[ins.size()];
        Arrays.fill(types, t);
        boolean batch = ins.stream().anyMatch(LayoutEmitter::hasBatch);
        return new LayoutProgram("concat" + ins.size() + "_" + axis, t, types, steps, batch);
    }

    static LayoutProgram sliceProgram(DType t, int[] in, int[] begin, int[] out) {
        int r = in.length;
        if (begin.length != r || out.length != r) throw new IllegalArgumentException("slice ranks differ");
        LayoutPoly[] inStrides = LayoutPoly.strides(in);
        LayoutPoly base = LayoutPoly.ZERO;
        for (int d = 0; d < r; d++) {
            if (in[d] == BATCH || out[d] == BATCH) {
                if (in[d] != out[d] || begin[d] != 0) throw new IllegalArgumentException("slice must take all of the runtime axis " + d);
            } else if (begin[d] < 0 || out[d] < 0 || begin[d] + out[d] > in[d]) {
                throw new IllegalArgumentException("slice " + Arrays.toString(begin) + " " + Arrays.toString(out) + " of " + Arrays.toString(in));
            }
            base = base.plus(inStrides[d].times(begin[d]));
        }
        return single("slice", t, t, out, inStrides, base, new LayoutProgram.Copy(), in);
    }

    static LayoutProgram padProgram(DType t, int[] in, int[] before, int[] out) {
        int r = in.length;
        if (before.length != r || out.length != r) throw new IllegalArgumentException("pad ranks differ");
        LayoutPoly[] outStrides = LayoutPoly.strides(out);
        LayoutPoly base = LayoutPoly.ZERO;
        LayoutPoly[] ext = new LayoutPoly[r];
        for (int d = 0; d < r; d++) {
            if (in[d] == BATCH || out[d] == BATCH) {
                if (in[d] != out[d] || before[d] != 0) throw new IllegalArgumentException("cannot pad the runtime axis " + d);
            } else if (before[d] < 0 || in[d] < 0 || before[d] + in[d] > out[d]) {
                throw new IllegalArgumentException("pad " + Arrays.toString(in) + " at " + Arrays.toString(before) + " into " + Arrays.toString(out));
            }
            base = base.plus(outStrides[d].times(before[d]));
            ext[d] = LayoutPoly.dim(in[d]);
        }
        List<LayoutProgram.Step> steps = new ArrayList<>();
        if (!LayoutPoly.size(out).equals(LayoutPoly.size(in))) steps.add(new LayoutProgram.Fill(LayoutPoly.ZERO, LayoutPoly.size(out)));
        steps.add(new LayoutNest(ext, base, outStrides, new int[] {0}, new LayoutPoly[] {LayoutPoly.ZERO},
                new LayoutPoly[][] {LayoutPoly.strides(in)}, new LayoutProgram.Copy()));
        return new LayoutProgram("pad", t, new DType[] {t}, steps, hasBatch(in));
    }

    static LayoutProgram tileProgram(DType t, int[] in, int[] multiples) {
        int r = in.length;
        if (multiples.length != r) throw new IllegalArgumentException("tile multiples " + Arrays.toString(multiples) + " for rank " + r);
        int[] out = new int[r];
        for (int d = 0; d < r; d++) {
            if (multiples[d] < 0) throw new IllegalArgumentException("negative multiple");
            if (in[d] == BATCH && multiples[d] != 1) throw new IllegalArgumentException("tile must use multiple 1 on the runtime axis");
            out[d] = in[d] == BATCH ? BATCH : toInt((long) in[d] * multiples[d]);
        }
        LayoutPoly[] inStrides = LayoutPoly.strides(in), outStrides = LayoutPoly.strides(out);
        LayoutPoly[] ext = new LayoutPoly[2 * r], os = new LayoutPoly[2 * r], ss = new LayoutPoly[2 * r];
        for (int d = 0; d < r; d++) {
            LayoutPoly n = LayoutPoly.dim(in[d]);
            ext[2 * d] = LayoutPoly.of(multiples[d]);
            os[2 * d] = outStrides[d].times(n);
            ss[2 * d] = LayoutPoly.ZERO;
            ext[2 * d + 1] = n;
            os[2 * d + 1] = outStrides[d];
            ss[2 * d + 1] = inStrides[d];
        }
        LayoutNest nest = new LayoutNest(ext, LayoutPoly.ZERO, os, new int[] {0}, new LayoutPoly[] {LayoutPoly.ZERO},
                new LayoutPoly[][] {ss}, new LayoutProgram.Copy());
        return new LayoutProgram("tile", t, new DType[] {t}, List.of(nest), hasBatch(in));
    }

    static LayoutProgram broadcastProgram(DType t, int[] in, int[] out) {
        return single("broadcast", t, t, out, LayoutNest.broadcastStrides(in, out), LayoutPoly.ZERO, new LayoutProgram.Copy(), in, out);
    }

    /** One nest writing {@code out} densely from operand 0 read through {@code srcStrides}. */
    static LayoutProgram single(String tag, DType from, DType to, int[] out, LayoutPoly[] srcStrides, LayoutPoly srcBase,
                                     LayoutProgram.Body body, int[]... shapes) {
        LayoutNest nest = LayoutNest.dense(out, new int[] {0}, new LayoutPoly[] {srcBase}, new LayoutPoly[][] {srcStrides}, body);
        boolean batch = hasBatch(out) || Arrays.stream(shapes).anyMatch(LayoutEmitter::hasBatch);
        return new LayoutProgram(tag, to, new DType[] {from}, List.of(nest), batch);
    }

    static boolean hasBatch(int[] shape) { return Arrays.stream(shape).anyMatch(d -> d == BATCH); }

    private static int toInt(long v) {
        if (v != (int) v) throw new IllegalArgumentException(v + " elements along one axis");
        return (int) v;
    }

    // ---- class files

    /** The hidden-class bytes of {@code program} (tiling transposes {@code tile}×{@code tile}; 0 for none). */
    static byte[] classFile(LayoutProgram program, int tile) {
        String tag = program.tag().replaceAll("[^A-Za-z0-9_]", "_");
        String name = LayoutEmitter.class.getPackageName().replace('.', '/') + "/GeneratedLayout_" + tag + "_"
                + SERIAL.incrementAndGet();
        return LayoutClassWriter.write(program, name, tile);
    }

    static LayoutKernel compile(LayoutProgram program) { return load(KernelClassFiles.generated(() -> classFile(program, DEFAULT_TILE))); }

    /** Defines {@code classBytes} as a hidden class and instantiates it. */
    static LayoutKernel load(byte[] classBytes) {
        return KernelClassFile.instantiate(classBytes, LayoutKernel.class, "layout kernel");
    }
}
