package descent.compiler.emit;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.UnaryFn;
import descent.runtime.DType;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.Set;

/**
 * Emits integer elementwise kernels for i32 and i64 tensors, with NumPy broadcasting, as
 * {@link LayoutKernel}s: {@code neg abs sign square} and {@code add sub mul max min squared_difference
 * greater greater_equal less less_equal equal} (comparisons give 1 or 0 in the operands' dtype).
 * <pre>{@code
 * LayoutKernel inc = IntOpsEmitter.binary(BinaryFn.ADD, DType.I64, new int[0], new int[0]);   // global_step + 1
 * inc.run(new Object[] {step, one}, new int[] {0, 0}, step2, 0, 0);
 * }</pre>
 *
 * <p><b>Numbers.</b> Two's-complement arithmetic that wraps, as TF's integer kernels do. The reference
 * interpreter computes in doubles and then rounds ({@code (int)(long) d} for i32, {@code (long) d} for
 * i64); the two agree bit for bit whenever every exact result has magnitude ≤ 2⁵³, which covers every
 * i32 op except {@code mul}/{@code square}/{@code squared_difference} of large operands, and i64 values
 * such as a global step. Beyond that the interpreter loses low bits (and saturates i64 at ±2⁶³ where
 * these kernels wrap); {@code abs}/{@code neg} of the minimum value give the minimum value, as Java and
 * TF do.
 */
public final class IntOpsEmitter implements Opcodes {
    static final Set<UnaryFn> UNARY = Set.of(UnaryFn.NEG, UnaryFn.ABS, UnaryFn.SIGN, UnaryFn.SQUARE);
    static final Set<BinaryFn> BINARY = Set.of(BinaryFn.ADD, BinaryFn.SUB, BinaryFn.MUL, BinaryFn.MAX, BinaryFn.MIN,
            BinaryFn.SQUARED_DIFFERENCE, BinaryFn.GREATER, BinaryFn.GREATER_EQUAL, BinaryFn.LESS, BinaryFn.LESS_EQUAL,
            BinaryFn.EQUAL);

    private IntOpsEmitter() {}

    public static LayoutKernel unary(UnaryFn fn, DType dtype, int[] shape) { return LayoutEmitter.compile(unaryProgram(fn, dtype, shape)); }

    /** {@code fn(a, b)} over the broadcast of the two shapes (see {@link #broadcastShape}). */
    public static LayoutKernel binary(BinaryFn fn, DType dtype, int[] aShape, int[] bShape) {
        return LayoutEmitter.compile(binaryProgram(fn, dtype, aShape, bShape));
    }

    static LayoutProgram unaryProgram(UnaryFn fn, DType dtype, int[] shape) {
        check(dtype);
        if (!UNARY.contains(fn)) throw new IllegalArgumentException("no integer kernel for " + fn);
        return LayoutEmitter.single(fn + "_" + dtype, dtype, dtype, shape, LayoutPoly.strides(shape), LayoutPoly.ZERO,
                new LayoutProgram.IntUnary(fn, dtype), shape);
    }

    static LayoutProgram binaryProgram(BinaryFn fn, DType dtype, int[] a, int[] b) {
        check(dtype);
        if (!BINARY.contains(fn)) throw new IllegalArgumentException("no integer kernel for " + fn);
        int[] out = broadcastShape(a, b);
        LayoutNest nest = LayoutNest.dense(out, new int[] {0, 1}, new LayoutPoly[] {LayoutPoly.ZERO, LayoutPoly.ZERO},
                new LayoutPoly[][] {LayoutNest.broadcastStrides(a, out), LayoutNest.broadcastStrides(b, out)},
                new LayoutProgram.IntBinary(fn, dtype));
        boolean batch = LayoutEmitter.hasBatch(a) || LayoutEmitter.hasBatch(b);
        return new LayoutProgram(fn + "_" + dtype, dtype, new DType[] {dtype, dtype}, java.util.List.of(nest), batch);
    }

    /** NumPy's: aligned from the right, a missing or size-1 axis stretches; the runtime axis matches only itself or 1. */
    public static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int x = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int y = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (x == y || y == 1) out[i] = x;
            else if (x == 1) out[i] = y;
            else throw new IllegalArgumentException(java.util.Arrays.toString(a) + " and " + java.util.Arrays.toString(b) + " do not broadcast");
        }
        return out;
    }

    private static void check(DType dtype) {
        if (dtype != DType.I32 && dtype != DType.I64) throw new IllegalArgumentException("integer kernels take i32 or i64, not " + dtype);
    }

    /** Replaces the operand on top of the stack by {@code fn} of it. */
    static void emitUnary(MethodVisitor mv, UnaryFn fn, DType t) {
        boolean wide = t == DType.I64;
        switch (fn) {
            case NEG -> mv.visitInsn(wide ? LNEG : INEG);
            case ABS -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "abs", wide ? "(J)J" : "(I)I", false);
            case SIGN -> {
                mv.visitMethodInsn(INVOKESTATIC, wide ? "java/lang/Long" : "java/lang/Integer", "signum", wide ? "(J)I" : "(I)I", false);
                if (wide) mv.visitInsn(I2L);
            }
            case SQUARE -> { mv.visitInsn(wide ? DUP2 : DUP); mv.visitInsn(wide ? LMUL : IMUL); }
            default -> throw new IllegalArgumentException("no integer kernel for " + fn);
        }
    }

    /** Replaces the two operands on top of the stack ({@code a} below {@code b}) by {@code fn(a, b)}. */
    static void emitBinary(MethodVisitor mv, BinaryFn fn, DType t) {
        boolean wide = t == DType.I64;
        switch (fn) {
            case ADD -> mv.visitInsn(wide ? LADD : IADD);
            case SUB -> mv.visitInsn(wide ? LSUB : ISUB);
            case MUL -> mv.visitInsn(wide ? LMUL : IMUL);
            case MAX -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "max", wide ? "(JJ)J" : "(II)I", false);
            case MIN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "min", wide ? "(JJ)J" : "(II)I", false);
            case SQUARED_DIFFERENCE -> {
                mv.visitInsn(wide ? LSUB : ISUB);
                mv.visitInsn(wide ? DUP2 : DUP);
                mv.visitInsn(wide ? LMUL : IMUL);
            }
            case GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL -> {
                Label yes = new Label(), done = new Label();
                if (wide) {
                    mv.visitInsn(LCMP);
                    mv.visitJumpInsn(switch (fn) {
                        case GREATER -> IFGT; case GREATER_EQUAL -> IFGE; case LESS -> IFLT; case LESS_EQUAL -> IFLE;
                        default -> IFEQ;
                    }, yes);
                    mv.visitInsn(LCONST_0);
                    mv.visitJumpInsn(GOTO, done);
                    mv.visitLabel(yes);
                    mv.visitInsn(LCONST_1);
                } else {
                    mv.visitJumpInsn(switch (fn) {
                        case GREATER -> IF_ICMPGT; case GREATER_EQUAL -> IF_ICMPGE; case LESS -> IF_ICMPLT;
                        case LESS_EQUAL -> IF_ICMPLE; default -> IF_ICMPEQ;
                    }, yes);
                    mv.visitInsn(ICONST_0);
                    mv.visitJumpInsn(GOTO, done);
                    mv.visitLabel(yes);
                    mv.visitInsn(ICONST_1);
                }
                mv.visitLabel(done);
            }
            default -> throw new IllegalArgumentException("no integer kernel for " + fn);
        }
    }
}
