package descent.compiler.interp;

import descent.compiler.ir.BinaryFn;
import descent.compiler.ir.Op;
import descent.compiler.ir.ReduceFn;
import descent.compiler.ir.UnaryFn;
import java.util.List;

/** The interpreter's scalar kernels: one obvious loop per op, in double. Formulas are TF's kernels'. */
final class Kernels {
    private Kernels() {}

    /** {@code f32}: the node's values are f32 (selu's constants are then floats, as in TF's f32 kernel). */
    static double unary(UnaryFn fn, double x, boolean f32) {
        return switch (fn) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Double.isNaN(x) ? x : Math.signum(x);
            case SQUARE -> x * x;
            case HALF_SQUARE -> x * 0.5 * x;
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case LOG1P -> Math.log1p(x);
            case RECIPROCAL -> 1.0 / x;
            // TF: features.cwiseMax(0) (then .cwiseMin(6)); in Eigen's scalar form (x < 0 ? 0 : x): relu(-0.0) is -0.0, NaN
            // stays NaN. TF's vectorised kernel gives +0.0 for -0.0 (measured 2026-11-29; docs/language.md §15).
            case RELU -> x < 0 ? 0.0 : x;
            case RELU6 -> x < 0 ? 0.0 : 6.0 < x ? 6.0 : x;
            case ELU -> x < 0 ? Math.expm1(x) : x;
            case SELU -> x < 0 ? UnaryFn.seluScaleAlpha(f32) * Math.expm1(x) : UnaryFn.seluScale(f32) * x;
            case SOFTPLUS -> x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
            case SOFTSIGN -> x / (1.0 + Math.abs(x));
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case IS_FINITE -> Double.isFinite(x) ? 1 : 0;
            case COS -> Math.cos(x);
            case SIN -> Math.sin(x);
        };
    }

    static double binary(BinaryFn fn, double a, double b, boolean f32) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> cPow(a, b);
            case SQUARED_DIFFERENCE -> (a - b) * (a - b);
            // TF: gradients * (features > 0) (and < 6): a product, so a NaN or infinite gradient stays NaN.
            case RELU_GRAD -> a * (b > 0 ? 1.0 : 0.0);
            case RELU6_GRAD -> a * (b > 0 && b < 6 ? 1.0 : 0.0);
            case ELU_GRAD -> b < 0 ? a * (b + 1) : a;
            case SELU_GRAD -> b < 0 ? a * (b + UnaryFn.seluScaleAlpha(f32)) : a * UnaryFn.seluScale(f32);
            case SOFTPLUS_GRAD -> a / (1.0 + Math.exp(-b));
            case SOFTSIGN_GRAD -> a / ((1.0 + Math.abs(b)) * (1.0 + Math.abs(b)));
            case SIGMOID_GRAD -> b * a * (1.0 - a);
            case TANH_GRAD -> b * (1.0 - a * a);
            // TF's sqrt_grad, rsqrt_grad and inverse_grad return 0 for a zero upstream gradient (no 0·∞ = NaN where
            // the output is infinite or zero: a branch masked away, sqrt at 0).
            case SQRT_GRAD -> b == 0 ? 0 : b * 0.5 / a;
            case RSQRT_GRAD -> b == 0 ? 0 : -0.5 * b * a * a * a;
            case RECIPROCAL_GRAD -> b == 0 ? 0 : -b * a * a;
            case GREATER -> a > b ? 1 : 0;
            case GREATER_EQUAL -> a >= b ? 1 : 0;
            case LESS -> a < b ? 1 : 0;
            case LESS_EQUAL -> a <= b ? 1 : 0;
            case EQUAL -> a == b ? 1 : 0;
        };
    }

    /**
     * {@link #unary} of an i32 value, wrapping as TF's int32 arithmetic does: a square past 2^53 is not exact in a
     * double, so it is taken in long arithmetic, whose low 32 bits are int32's.
     */
    static double unaryI32(UnaryFn fn, double x) {
        long v = (long) x;
        return switch (fn) {
            case NEG -> (int) -v;
            case ABS -> (int) Math.abs(v);
            case SQUARE -> (int) (v * v);
            default -> unary(fn, x, false);
        };
    }

    /** {@link #binary} of i32 values, wrapping as TF's int32 arithmetic does (products in long arithmetic). */
    static double binaryI32(BinaryFn fn, double a, double b) {
        long x = (long) a, y = (long) b;
        return switch (fn) {
            case ADD -> (int) (x + y);
            case SUB -> (int) (x - y);
            case MUL -> (int) (x * y);
            case SQUARED_DIFFERENCE -> (int) ((x - y) * (x - y));
            default -> binary(fn, a, b, false);
        };
    }

    static Arr matmul(Arr a, Arr b, boolean ta, boolean tb) {
        int m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), n = tb ? b.dim(0) : b.dim(1);
        int ar = a.dim(1), br = b.dim(1);
        Arr out = Arr.zeros(new int[] {m, n});
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a.data()[p * ar + i] : a.data()[i * ar + p];
                    double bv = tb ? b.data()[j * br + p] : b.data()[p * br + j];
                    s += av * bv;
                }
                out.data()[i * n + j] = s;
            }
        }
        return out;
    }

    /** Reduces over {@code axes}; {@code outShape} may keep them as 1s or drop them (same element order). */
    static Arr reduce(Arr x, ReduceFn fn, List<Integer> axes, int[] outShape, descent.runtime.DType dtype) {
        int[] kept = x.shape().clone();
        for (int a : axes) kept[a] = 1;
        int[] oi = Arr.broadcastIndex(kept, x.shape());
        int n = Arr.size(kept);
        double[] acc = new double[n];
        double init = switch (fn) {
            case SUM, MEAN -> 0.0;
            // An empty reduction gives the type's lowest (max) or highest (min) value, as TF's kernels.
            case MAX -> switch (dtype) {
                case I32 -> Integer.MIN_VALUE;
                case I64 -> Long.MIN_VALUE;
                default -> Double.NEGATIVE_INFINITY;
            };
            case MIN -> switch (dtype) {
                case I32 -> Integer.MAX_VALUE;
                case I64 -> Long.MAX_VALUE;   // 2⁶³ as a double, which rounds back to Long.MAX_VALUE
                default -> Double.POSITIVE_INFINITY;
            };
        };
        java.util.Arrays.fill(acc, init);
        double[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            int o = oi[i];
            acc[o] = switch (fn) {
                case SUM, MEAN -> acc[o] + d[i];
                case MAX -> Double.isNaN(d[i]) || d[i] > acc[o] ? d[i] : acc[o];
                case MIN -> Double.isNaN(d[i]) || d[i] < acc[o] ? d[i] : acc[o];
            };
        }
        if (fn == ReduceFn.MEAN) {
            double count = d.length == 0 ? 0 : (double) d.length / n;
            for (int i = 0; i < n; i++) acc[i] /= count;
        }
        return new Arr(outShape, acc);
    }

    static Arr transpose(Arr x, List<Integer> perm, int[] outShape) {
        int[] inStrides = Arr.strides(x.shape());
        int[] permStrides = new int[perm.size()];
        for (int i = 0; i < permStrides.length; i++) permStrides[i] = inStrides[perm.get(i)];
        Arr out = Arr.zeros(outShape);
        gather(x.data(), out.data(), outShape, permStrides, 0);
        return out;
    }

    /** out[k] = in[offset + sum(counter[d] * strides[d])] over out's row-major order. */
    private static void gather(double[] in, double[] out, int[] shape, int[] strides, int offset) {
        int[] counter = new int[shape.length];
        int pos = offset;
        for (int k = 0; k < out.length; k++) {
            out[k] = in[pos];
            for (int d = shape.length - 1; d >= 0; d--) {
                counter[d]++;
                pos += strides[d];
                if (counter[d] < shape[d]) break;
                pos -= strides[d] * counter[d];
                counter[d] = 0;
            }
        }
    }

    static Arr concat(List<Arr> xs, int axis, int[] outShape) {
        Arr out = Arr.zeros(outShape);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= outShape[i];
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (Arr x : xs) {
                int chunk = x.data().length / Math.max(1, outer);
                if (outer == 0) break;
                System.arraycopy(x.data(), o * chunk, out.data(), pos, chunk);
                pos += chunk;
            }
        }
        return out;
    }

    static Arr slice(Arr x, List<Integer> begin, int[] outShape) {
        int[] strides = Arr.strides(x.shape());
        int offset = 0;
        for (int i = 0; i < begin.size(); i++) offset += begin.get(i) * strides[i];
        Arr out = Arr.zeros(outShape);
        if (out.data().length > 0) gather(x.data(), out.data(), outShape, strides, offset);
        return out;
    }

    static Arr pad(Arr x, List<Integer> before, int[] outShape) {
        int[] outStrides = Arr.strides(outShape);
        Arr out = Arr.zeros(outShape);
        int[] counter = new int[x.rank()];
        for (int k = 0; k < x.data().length; k++) {
            int pos = 0;
            for (int d = 0; d < counter.length; d++) pos += (counter[d] + before.get(d)) * outStrides[d];
            out.data()[pos] = x.data()[k];
            for (int d = counter.length - 1; d >= 0; d--) {
                if (++counter[d] < x.dim(d)) break;
                counter[d] = 0;
            }
        }
        return out;
    }

    static Arr tile(Arr x, int[] outShape) {
        int[] inStrides = Arr.strides(x.shape());
        Arr out = Arr.zeros(outShape);
        int[] counter = new int[outShape.length];
        for (int k = 0; k < out.data().length; k++) {
            int pos = 0;
            for (int d = 0; d < counter.length; d++) pos += (counter[d] % x.dim(d)) * inStrides[d];
            out.data()[k] = x.data()[pos];
            for (int d = counter.length - 1; d >= 0; d--) {
                if (++counter[d] < outShape[d]) break;
                counter[d] = 0;
            }
        }
        return out;
    }

    /** Softmax or log-softmax over the last axis, shifted by the row maximum as TF's kernel does. */
    static Arr softmax(Arr x, boolean log) {
        int c = x.dim(x.rank() - 1);
        Arr out = Arr.zeros(x.shape());
        for (int r = 0; c > 0 && r < x.data().length / c; r++) {
            int base = r * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, x.data()[base + j]);
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp(x.data()[base + j] - max);
            for (int j = 0; j < c; j++) {
                double shifted = x.data()[base + j] - max;
                out.data()[base + j] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
            }
        }
        return out;
    }

    /** TF's SoftmaxCrossEntropyWithLogits loss: sum(labels * (log(sum(exp(shifted))) - shifted)). */
    static Arr softmaxXent(Arr labels, Arr logits, int[] outShape) {
        int c = logits.dim(logits.rank() - 1);
        Arr out = Arr.zeros(outShape);
        Arr logp = softmax(logits, true);
        for (int r = 0; r < out.data().length; r++) {
            double s = 0;
            for (int j = 0; j < c; j++) s -= labels.data()[r * c + j] * logp.data()[r * c + j];
            out.data()[r] = s;
        }
        return out;
    }

    static Arr sparseSoftmaxXent(Arr labels, Arr logits, int[] outShape) {
        int c = logits.dim(logits.rank() - 1);
        Arr out = Arr.zeros(outShape);
        Arr logp = softmax(logits, true);
        for (int r = 0; r < out.data().length; r++) {
            int label = (int) labels.data()[r];
            if (label < 0 || label >= c) {
                throw new descent.runtime.DescentException("sparse_softmax_cross_entropy_with_logits: label " + label
                        + " at position " + r + " is outside [0, " + c + ")");
            }
            out.data()[r] = -logp.data()[r * c + label];
        }
        return out;
    }

    static Arr gather(Arr params, Arr indices, int axis, int[] outShape) {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= params.dim(i);
        for (int i = axis + 1; i < params.rank(); i++) inner *= params.dim(i);
        int rows = params.dim(axis), n = indices.data().length;
        Arr out = Arr.zeros(outShape);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < n; j++) {
                int idx = checkIndex(indices.data()[j], rows, j, "gather");
                System.arraycopy(params.data(), (o * rows + idx) * inner, out.data(), (o * n + j) * inner, inner);
            }
        }
        return out;
    }

    static Arr scatterAdd(Arr updates, Arr indices, int axis, int[] outShape) {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= outShape[i];
        for (int i = axis + 1; i < outShape.length; i++) inner *= outShape[i];
        int rows = outShape[axis], n = indices.data().length;
        Arr out = Arr.zeros(outShape);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < n; j++) {
                int idx = checkIndex(indices.data()[j], rows, j, "scatter_add");
                int src = (o * n + j) * inner, dst = (o * rows + idx) * inner;
                for (int k = 0; k < inner; k++) out.data()[dst + k] += updates.data()[src + k];
            }
        }
        return out;
    }

    private static int checkIndex(double v, int rows, int position, String op) {
        long idx = (long) v;
        if (idx < 0 || idx >= rows) {
            throw new descent.runtime.DescentException(op + ": index " + idx + " at position " + position
                    + " is outside [0, " + rows + ")");
        }
        return (int) idx;
    }

    /** Row length of a [indices..., rest...] tensor: its size divided by the number of indices. */
    private static int rowLength(Arr rows, Arr indices) {
        int n = indices.data().length;
        return n == 0 ? 0 : rows.data().length / n;
    }

    static Arr dedupSum(Arr values, Arr indices) {
        int n = indices.data().length, row = rowLength(values, indices);
        Arr out = Arr.zeros(values.shape());
        java.util.Map<Integer, Integer> first = new java.util.HashMap<>();
        for (int j = 0; j < n; j++) {
            int f = first.computeIfAbsent((int) indices.data()[j], k -> -1);
            int at = f < 0 ? j : f;
            if (f < 0) first.put((int) indices.data()[j], j);
            for (int k = 0; k < row; k++) out.data()[at * row + k] += values.data()[j * row + k];
        }
        return out;
    }

    static Arr firstOccurrence(Arr indices) {
        Arr out = Arr.zeros(indices.shape());
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int j = 0; j < indices.data().length; j++) out.data()[j] = seen.add((int) indices.data()[j]) ? 1 : 0;
        return out;
    }

    static Arr scatterUpdate(Arr var, Arr indices, Arr rows, Arr mask) {
        Arr out = new Arr(var.shape(), var.data().clone());
        int rowsTotal = var.dim(0), row = rowLength(rows, indices);
        for (int j = 0; j < indices.data().length; j++) {
            if (mask.data()[j] == 0) continue;
            int idx = checkIndex(indices.data()[j], rowsTotal, j, "scatter_update");
            System.arraycopy(rows.data(), j * row, out.data(), idx * row, row);
        }
        return out;
    }

    static Arr scatterAccumulate(Arr var, Arr indices, Arr rows) {
        Arr out = new Arr(var.shape(), var.data().clone());
        int rowsTotal = var.dim(0), row = rowLength(rows, indices);
        for (int j = 0; j < indices.data().length; j++) {
            int idx = checkIndex(indices.data()[j], rowsTotal, j, "scatter_add");
            for (int k = 0; k < row; k++) out.data()[idx * row + k] += rows.data()[j * row + k];
        }
        return out;
    }

    static Arr oneHot(Arr indices, Op.OneHot o, int[] outShape) {
        Arr out = Arr.zeros(outShape);
        java.util.Arrays.fill(out.data(), o.offValue());
        for (int i = 0; i < indices.data().length; i++) {
            int idx = (int) indices.data()[i];
            // TF: an index outside [0, depth) gives an all-off row.
            if (idx >= 0 && idx < o.depth()) out.data()[i * o.depth() + idx] = o.onValue();
        }
        return out;
    }

    /**
     * C's pow, which TF's Pow kernel calls: Java's Math.pow but for pow(1, y) = 1 for every y (NaN included) and
     * pow(-1, ±∞) = 1, where Math.pow gives NaN.
     */
    static double cPow(double a, double b) {
        if (a == 1 || a == -1 && Double.isInfinite(b)) return 1;
        return Math.pow(a, b);
    }
}
