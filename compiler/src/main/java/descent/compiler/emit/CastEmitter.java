package descent.compiler.emit;

import descent.runtime.DType;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Emits {@code cast} kernels between f32, f64, i32 and i64 as {@link LayoutKernel}s (operand 0 of the
 * source dtype's array type, the result of the target's):
 * <pre>{@code
 * LayoutKernel k = CastEmitter.cast(DType.F32, DType.I32, new int[] {LayoutEmitter.BATCH, 10});
 * k.run(new Object[] {floats}, new int[] {0}, ints, 0, batch);
 * }</pre>
 *
 * <p><b>Numbers: the reference interpreter's, bit for bit.</b> The interpreter holds every value as a
 * double, casts float→int by truncating toward zero ({@code ceil}/{@code floor}), then rounds to the
 * node's dtype: {@code (int)(long) d} for i32, {@code (long) d} for i64, {@code (float) d} for f32.
 * Java's {@code d2l} truncates toward zero, saturates at ±2⁶³ and maps NaN to 0, so:
 * <ul>
 *   <li>f32/f64 → i64: {@code (long) x} — NaN → 0, +inf and x ≥ 2⁶³ → Long.MAX_VALUE, −inf and
 *       x ≤ −2⁶³ → Long.MIN_VALUE;</li>
 *   <li>f32/f64 → i32: {@code (int)(long) x} — the low 32 bits of the saturated long: NaN → 0,
 *       +inf → −1 (the low bits of Long.MAX_VALUE), −inf → 0, 3e9 → −1294967296 (wraps, where a plain
 *       {@code (int) x} would saturate to Integer.MAX_VALUE);</li>
 *   <li>i64 → f32: {@code (float)(double) x} (the interpreter's double rounding; differs from
 *       {@code l2f} only for |x| > 2⁵³);</li>
 *   <li>i64 → i32: {@code (int) x}, the low 32 bits (TF's). The interpreter reads an i64 tensor into
 *       doubles, so it agrees only for |x| ≤ 2⁵³; beyond that it is the interpreter that is lossy;</li>
 *   <li>everything else is exact (i32 → f32 rounds once, as {@code (float)(double) i} does).</li>
 * </ul>
 */
public final class CastEmitter implements Opcodes {
    private CastEmitter() {}

    /** Casts a {@code shape}-shaped tensor (with {@link LayoutEmitter#BATCH} for the runtime axis). */
    public static LayoutKernel cast(DType from, DType to, int[] shape) { return LayoutEmitter.compile(program(from, to, shape)); }

    static LayoutProgram program(DType from, DType to, int[] shape) {
        LayoutProgram.Body body = from == to ? new LayoutProgram.Copy() : new LayoutProgram.Convert(from, to);
        return LayoutEmitter.single("cast_" + from + "_" + to, from, to, shape, LayoutPoly.strides(shape), LayoutPoly.ZERO, body, shape);
    }

    /** Converts the value on top of the stack from {@code from} to {@code to}, as documented above. */
    static void emitConversion(MethodVisitor mv, DType from, DType to) {
        if (from == to) return;
        switch (from) {
            case F32 -> {
                switch (to) {
                    case F64 -> mv.visitInsn(F2D);
                    case I32 -> { mv.visitInsn(F2L); mv.visitInsn(L2I); }
                    case I64 -> mv.visitInsn(F2L);
                    default -> throw new AssertionError();
                }
            }
            case F64 -> {
                switch (to) {
                    case F32 -> mv.visitInsn(D2F);
                    case I32 -> { mv.visitInsn(D2L); mv.visitInsn(L2I); }
                    case I64 -> mv.visitInsn(D2L);
                    default -> throw new AssertionError();
                }
            }
            case I32 -> {
                switch (to) {
                    case F32 -> mv.visitInsn(I2F);
                    case F64 -> mv.visitInsn(I2D);
                    case I64 -> mv.visitInsn(I2L);
                    default -> throw new AssertionError();
                }
            }
            case I64 -> {
                switch (to) {
                    case F32 -> { mv.visitInsn(L2D); mv.visitInsn(D2F); }
                    case F64 -> mv.visitInsn(L2D);
                    case I32 -> mv.visitInsn(L2I);
                    default -> throw new AssertionError();
                }
            }
        }
    }
}
