package descent.runtime;

import java.util.Arrays;

/**
 * An immutable-by-convention dense tensor: a dtype, a concrete shape and row-major data.
 * The data array is typed by the dtype: {@code float[]} for F32, {@code double[]} for F64,
 * {@code int[]} for I32, {@code long[]} for I64. Callers must not mutate arrays they pass in
 * or get back unless they own the tensor.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final Object data;

    private Tensor(DType dtype, int[] shape, Object data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
        long n = elementCount(shape);
        if (n != lengthOf(data)) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the data has " + lengthOf(data));
        }
    }

    public static Tensor of(float[] data, int... shape) { return new Tensor(DType.F32, shape, data); }
    public static Tensor of(double[] data, int... shape) { return new Tensor(DType.F64, shape, data); }
    public static Tensor of(int[] data, int... shape) { return new Tensor(DType.I32, shape, data); }
    public static Tensor of(long[] data, int... shape) { return new Tensor(DType.I64, shape, data); }
    public static Tensor scalar(float v) { return of(new float[] {v}); }

    /** A tensor of the given dtype whose elements are {@code values} converted (rounded for F32, truncated for ints). */
    public static Tensor fromDoubles(DType dtype, int[] shape, double[] values) {
        int n = values.length;
        return switch (dtype) {
            case F32 -> { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) values[i]; yield new Tensor(dtype, shape, a); }
            case F64 -> new Tensor(dtype, shape, values.clone());
            case I32 -> { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = (int) values[i]; yield new Tensor(dtype, shape, a); }
            case I64 -> { long[] a = new long[n]; for (int i = 0; i < n; i++) a[i] = (long) values[i]; yield new Tensor(dtype, shape, a); }
        };
    }

    /** A zero-filled tensor. */
    public static Tensor zeros(DType dtype, int... shape) {
        int n = Math.toIntExact(elementCount(shape));
        return switch (dtype) {
            case F32 -> new Tensor(dtype, shape, new float[n]);
            case F64 -> new Tensor(dtype, shape, new double[n]);
            case I32 -> new Tensor(dtype, shape, new int[n]);
            case I64 -> new Tensor(dtype, shape, new long[n]);
        };
    }

    public DType dtype() { return dtype; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int size() { return lengthOf(data); }
    /** The backing array; its Java type follows {@link #dtype()}. */
    public Object data() { return data; }

    /** The same values (sharing this tensor's array) under another shape of as many elements. */
    public Tensor reshape(int... shape) { return new Tensor(dtype, shape, data); }

    /** The same values in arrays of its own: what a caller may mutate, or keep while the original changes. */
    public Tensor copy() {
        return new Tensor(dtype, shape, switch (data) {
            case float[] f -> f.clone();
            case double[] d -> d.clone();
            case int[] i -> i.clone();
            case long[] l -> l.clone();
            default -> throw new IllegalStateException();
        });
    }

    public float[] floats() { return (float[]) data; }
    public double[] doubles() { return (double[]) data; }
    public int[] ints() { return (int[]) data; }
    public long[] longs() { return (long[]) data; }

    /** Element {@code i} (row-major) as a double, whatever the dtype. */
    public double getDouble(int i) {
        return switch (dtype) {
            case F32 -> ((float[]) data)[i];
            case F64 -> ((double[]) data)[i];
            case I32 -> ((int[]) data)[i];
            case I64 -> ((long[]) data)[i];
        };
    }

    /** All elements as doubles (exact for every dtype except I64 values beyond 2^53). */
    public double[] toDoubles() {
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) out[i] = getDouble(i);
        return out;
    }

    public static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            // Saturates rather than wraps (65536^4 is 2^64, which wrapped to 0 and passed for an empty tensor).
            n = d == 0 || n == 0 ? 0 : n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        }
        return n;
    }

    /** Shape as written in diagnostics: {@code [2, 3]}, {@code []} for a scalar. */
    public static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) { if (i > 0) sb.append(", "); sb.append(shape[i]); }
        return sb.append(']').toString();
    }

    private static int lengthOf(Object data) {
        return switch (data) {
            case float[] a -> a.length;
            case double[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            default -> throw new IllegalArgumentException("unsupported data array " + data.getClass());
        };
    }

    @Override public boolean equals(Object o) {
        if (!(o instanceof Tensor t) || t.dtype != dtype || !Arrays.equals(t.shape, shape)) return false;
        return switch (dtype) {
            case F32 -> Arrays.equals((float[]) data, (float[]) t.data);
            case F64 -> Arrays.equals((double[]) data, (double[]) t.data);
            case I32 -> Arrays.equals((int[]) data, (int[]) t.data);
            case I64 -> Arrays.equals((long[]) data, (long[]) t.data);
        };
    }

    @Override public int hashCode() { return 31 * dtype.hashCode() + Arrays.hashCode(shape); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder().append(dtype).append(shapeString(shape)).append(' ');
        int n = Math.min(size(), 8);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            switch (data) {
                case int[] a -> sb.append(a[i]);
                case long[] a -> sb.append(a[i]);
                default -> sb.append(getDouble(i));
            }
        }
        if (size() > n) sb.append(", ...");
        return sb.append(']').toString();
    }
}
