package descent.compiler.interp;

import java.util.Arrays;

/** The interpreter's value: a concrete shape and row-major elements held as doubles, whatever the dtype. */
record Arr(int[] shape, double[] data) {
    static Arr zeros(int[] shape) { return new Arr(shape, new double[size(shape)]); }

    static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return Math.toIntExact(n);
    }

    int rank() { return shape.length; }
    int dim(int i) { return shape[i]; }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /**
     * For each element of {@code out} (row-major), the index of the element of {@code in} it reads
     * under NumPy broadcasting.
     */
    static int[] broadcastIndex(int[] in, int[] out) {
        int n = size(out);
        int[] idx = new int[n];
        int offset = out.length - in.length;
        int[] inStrides = strides(in);
        int[] eff = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            int j = i - offset;
            eff[i] = j < 0 || in[j] == 1 ? 0 : inStrides[j];
        }
        int[] counter = new int[out.length];
        int pos = 0;
        for (int k = 0; k < n; k++) {
            idx[k] = pos;
            for (int d = out.length - 1; d >= 0; d--) {
                counter[d]++;
                pos += eff[d];
                if (counter[d] < out[d]) break;
                pos -= eff[d] * counter[d];
                counter[d] = 0;
            }
        }
        return idx;
    }

    @Override public String toString() { return Arrays.toString(shape) + Arrays.toString(data); }
}
