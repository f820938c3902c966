package descent.compiler.emit;

import descent.compiler.interp.Interpreter;
import descent.compiler.interp.Precision;
import descent.compiler.ir.Dim;
import descent.compiler.ir.GraphBuilder;
import descent.compiler.ir.Op;
import descent.compiler.ir.Shape;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.Tensor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** What the Layout*, Cast* and IntOps* tests share: the interpreter oracle, verified loading, guarded runs, bitwise comparison. */
final class LayoutTestSupport {
    private LayoutTestSupport() {}

    static final int BATCH = LayoutEmitter.BATCH;
    static final int IN_OFF = 3, OUT_OFF = 5, GUARD = 7;

    /** Emits, verifies with ASM's CheckClassAdapter, loads. */
    static LayoutKernel compile(LayoutProgram p) { return compile(p, LayoutEmitter.DEFAULT_TILE); }

    static LayoutKernel compile(LayoutProgram p, int tile) {
        byte[] bytes = LayoutEmitter.classFile(p, tile);
        verify(bytes);
        return LayoutEmitter.load(bytes);
    }

    static void verify(byte[] bytes) {
        StringWriter report = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(bytes), LayoutTestSupport.class.getClassLoader(), false, new PrintWriter(report));
        assertEquals("", report.toString(), "CheckClassAdapter.verify");
    }

    static Shape irShape(int[] s) {
        List<Dim> dims = new ArrayList<>();
        for (int d : s) dims.add(d == BATCH ? Dim.sym("batch") : Dim.of(d));
        return new Shape(dims);
    }

    static int[] concrete(int[] s, int batch) {
        int[] c = s.clone();
        for (int i = 0; i < c.length; i++) if (c[i] == BATCH) c[i] = batch;
        return c;
    }

    /** Random values of a dtype: ints across their whole range now and then, floats with signed zeros. */
    static Tensor random(DType t, int[] shape, SplittableRandom r) {
        int n = 1;
        for (int d : shape) n *= d;
        return switch (t) {
            case F32 -> { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-100, 100); yield Tensor.of(a, shape); }
            case F64 -> { double[] a = new double[n]; for (int i = 0; i < n; i++) a[i] = r.nextDouble(-100, 100); yield Tensor.of(a, shape); }
            case I32 -> { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = r.nextInt(-1000, 1000); yield Tensor.of(a, shape); }
            case I64 -> { long[] a = new long[n]; for (int i = 0; i < n; i++) a[i] = r.nextLong(-100000, 100000); yield Tensor.of(a, shape); }
        };
    }

    /**
     * The interpreter's value of {@code op} (output type {@code outType}/{@code outShape}) on inputs
     * {@code x0, x1, ...} of the given dtypes and shapes.
     */
    static Tensor interpret(Op op, DType outType, int[] outShape, List<DType> inTypes, List<int[]> inShapes, List<Tensor> values) {
        GraphBuilder g = new GraphBuilder();
        int[] ids = new int[inShapes.size()];
        Map<String, Tensor> feeds = new HashMap<>();
        for (int k = 0; k < ids.length; k++) {
            ids[k] = g.input("x" + k, new TensorType(inTypes.get(k), irShape(inShapes.get(k))));
            feeds.put("x" + k, values.get(k));
        }
        int y = g.add(op, new TensorType(outType, irShape(outShape)), ids);
        return new Interpreter(g.build(), Precision.F32).run(feeds, Map.of(), List.of(y)).get(y);
    }

    /** An array of {@code t} holding {@code n} elements at {@code off}, surrounded by sentinels. */
    static Object guarded(DType t, int off, int n) {
        Object a = Array.newInstance(elementClass(t), off + n + GUARD);
        for (int i = 0; i < Array.getLength(a); i++) setSentinel(a, i);
        return a;
    }

    static Class<?> elementClass(DType t) {
        return switch (t) { case F32 -> float.class; case F64 -> double.class; case I32 -> int.class; case I64 -> long.class; };
    }

    private static void setSentinel(Object a, int i) {
        switch (a) {
            case float[] f -> f[i] = -7777.25f;
            case double[] d -> d[i] = -7777.25;
            case int[] x -> x[i] = -7777;
            case long[] x -> x[i] = -7777;
            default -> throw new AssertionError();
        }
    }

    /** Copies tensor data into a guarded array at {@code off}. */
    static Object place(Tensor t, int off) {
        int n = t.size();
        Object a = guarded(t.dtype(), off, n);
        System.arraycopy(data(t), 0, a, off, n);
        return a;
    }

    static Object data(Tensor t) {
        return switch (t.dtype()) { case F32 -> t.floats(); case F64 -> t.doubles(); case I32 -> t.ints(); case I64 -> t.longs(); };
    }

    /** Runs {@code k} on {@code inputs} at odd offsets and returns the guarded output, checking the guards. */
    static Object run(LayoutKernel k, List<Tensor> inputs, DType outType, int outSize, int batch) {
        Object[] in = new Object[inputs.size()];
        int[] off = new int[inputs.size()];
        for (int i = 0; i < in.length; i++) {
            off[i] = IN_OFF + i;
            in[i] = place(inputs.get(i), off[i]);
        }
        Object out = guarded(outType, OUT_OFF, outSize);
        k.run(in, off, out, OUT_OFF, batch);
        Object ref = guarded(outType, OUT_OFF, outSize);
        for (int i = 0; i < OUT_OFF; i++) assertBits(ref, i, out, i, "guard before the output");
        for (int i = OUT_OFF + outSize; i < Array.getLength(out); i++) assertBits(ref, i, out, i, "guard after the output");
        return out;
    }

    /** Bitwise equality of the interpreter's tensor and the kernel's output. */
    static void assertSame(Tensor expected, Object out, String what) {
        Object e = data(expected);
        for (int i = 0; i < expected.size(); i++) assertBits(e, i, out, OUT_OFF + i, what + " element " + i);
    }

    static void assertBits(Object a, int i, Object b, int j, String what) {
        long x = bits(a, i), y = bits(b, j);
        if (x != y) fail(what + ": expected " + Array.get(a, i) + " but was " + Array.get(b, j));
    }

    static long bits(Object a, int i) {
        return switch (a) {
            case float[] f -> Float.floatToRawIntBits(f[i]);
            case double[] d -> Double.doubleToRawLongBits(d[i]);
            case int[] x -> x[i];
            case long[] x -> x[i];
            default -> throw new AssertionError();
        };
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
