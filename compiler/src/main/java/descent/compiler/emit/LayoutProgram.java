package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;

import java.util.List;

/** A whole layout kernel: its dtypes and its statements, run in order (see {@link LayoutClassWriter}). */
record LayoutProgram(String tag, DType outType, DType[] operandTypes, List<Step> steps, boolean usesBatch) {
    /** One statement of a kernel: a nest, or zero-filling a range of the output. */
    sealed interface Step permits LayoutNest, Fill {}

    /** {@code out[outOff + base ..< outOff + base + length] = 0}. */
    record Fill(LayoutPoly base, LayoutPoly length) implements Step {}

    /** What the innermost statement computes from the sources' elements. */
    sealed interface Body {}
    /** Copies source 0 (same dtype as the output). */
    record Copy() implements Body {}
    /** Converts source 0 from one dtype to another (see {@link CastEmitter} for the rounding). */
    record Convert(DType from, DType to) implements Body {}
    /** An integer function of source 0. */
    record IntUnary(UnaryFn fn, DType dtype) implements Body {}
    /** An integer function of sources 0 and 1. */
    record IntBinary(BinaryFn fn, DType dtype) implements Body {}


}
