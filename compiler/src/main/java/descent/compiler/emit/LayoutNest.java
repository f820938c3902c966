package descent.compiler.emit;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A strided loop nest, the one shape of code every layout, cast and integer-elementwise kernel takes:
 * <pre>
 * for i0 < ext[0] ... for i(r-1) < ext[r-1]:
 *     out[outOff + outBase + Σ id·outStride[d]] = body(src_j[inOff + srcBase[j] + Σ id·srcStride[j][d]] ...)
 * </pre>
 * Every extent, stride and base is a {@link LayoutPoly} in the runtime batch size. Source {@code j}
 * reads kernel operand {@code operand[j]}.
 */
record LayoutNest(LayoutPoly[] ext, LayoutPoly outBase, LayoutPoly[] outStride, int[] operand,
                  LayoutPoly[] srcBase, LayoutPoly[][] srcStride, LayoutProgram.Body body) implements LayoutProgram.Step {

    int rank() { return ext.length; }
    int sources() { return operand.length; }

    /**
     * Drops extent-1 axes and merges neighbouring axes that every array walks contiguously
     * ({@code stride[d] == stride[d+1]·ext[d+1]} for the output and every source), so a copy of
     * rows becomes one long row and a transpose keeps only the axes that really move. The result has
     * rank ≥ 1.
     */
    LayoutNest simplified() {
        List<LayoutPoly> e = new ArrayList<>();
        List<LayoutPoly> o = new ArrayList<>();
        List<List<LayoutPoly>> s = new ArrayList<>();
        for (int j = 0; j < sources(); j++) s.add(new ArrayList<>());
        for (int d = 0; d < rank(); d++) {
            if (ext[d].isConstant(1)) continue;
            e.add(ext[d]);
            o.add(outStride[d]);
            for (int j = 0; j < sources(); j++) s.get(j).add(srcStride[j][d]);
        }
        for (int d = e.size() - 2; d >= 0; d--) {
            LayoutPoly inner = e.get(d + 1);
            boolean merge = o.get(d).equals(o.get(d + 1).times(inner));
            for (int j = 0; j < sources() && merge; j++) merge = s.get(j).get(d).equals(s.get(j).get(d + 1).times(inner));
            if (!merge) continue;
            e.set(d, e.get(d).times(inner));
            e.remove(d + 1);
            o.set(d, o.get(d + 1));
            o.remove(d + 1);
            for (int j = 0; j < sources(); j++) {
                s.get(j).set(d, s.get(j).get(d + 1));
                s.get(j).remove(d + 1);
            }
        }
        if (e.isEmpty()) {
            e.add(LayoutPoly.ONE);
            o.add(LayoutPoly.ZERO);
            for (int j = 0; j < sources(); j++) s.get(j).add(LayoutPoly.ZERO);
        }
        LayoutPoly[][] ss = new LayoutPoly[sources()][];
        for (int j = 0; j < sources(); j++) ss[j] = s.get(j).toArray(LayoutPoly[]::new);
        return new LayoutNest(e.toArray(LayoutPoly[]::new), outBase, o.toArray(LayoutPoly[]::new), operand, srcBase, ss, body);
    }

    /** Output contiguous over {@code outShape}, source {@code j} read through {@code srcStrides[j]}. */
    static LayoutNest dense(int[] outShape, int[] operand, LayoutPoly[] srcBase, LayoutPoly[][] srcStrides, LayoutProgram.Body body) {
        LayoutPoly[] ext = new LayoutPoly[outShape.length];
        for (int d = 0; d < outShape.length; d++) ext[d] = LayoutPoly.dim(outShape[d]);
        return new LayoutNest(ext, LayoutPoly.ZERO, LayoutPoly.strides(outShape), operand, srcBase, srcStrides, body);
    }

    /** Strides reading a {@code in}-shaped array as NumPy broadcasting to {@code out} does (0 on broadcast axes). */
    static LayoutPoly[] broadcastStrides(int[] in, int[] out) {
        if (in.length > out.length) throw new IllegalArgumentException(Arrays.toString(in) + " does not broadcast to " + Arrays.toString(out));
        LayoutPoly[] inStrides = LayoutPoly.strides(in);
        LayoutPoly[] s = new LayoutPoly[out.length];
        int offset = out.length - in.length;
        for (int i = 0; i < out.length; i++) {
            int j = i - offset;
            if (j < 0 || in[j] == 1) s[i] = LayoutPoly.ZERO;
            else if (in[j] == out[i]) s[i] = inStrides[j];
            else throw new IllegalArgumentException(Arrays.toString(in) + " does not broadcast to " + Arrays.toString(out));
        }
        return s;
    }

    @Override public String toString() {
        return "nest ext=" + Arrays.toString(ext) + " out=" + outBase + Arrays.toString(outStride) + " src="
                + Arrays.toString(srcBase) + Arrays.deepToString(srcStride) + " " + body;
    }
}
