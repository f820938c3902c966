package descent.compiler.ir;

import descent.runtime.DType;
import java.util.List;

/**
 * What an IR node computes. Every op's output type is fixed when the node is built ({@link GraphBuilder});
 * ops whose output shape needs no attribute (Reshape, BroadcastTo, SumTo, Pad, ScatterAdd) take it from
 * the node's type. Elementwise ops broadcast their inputs NumPy-style.
 */
public sealed interface Op {
    /** The name printed in IR dumps. */
    String mnemonic();

    record Input(String name) implements Op { public String mnemonic() { return "input"; } }
    record Variable(String name) implements Op { public String mnemonic() { return "variable"; } }
    /** A tensor of the node's type filled with {@code value}. */
    record Const(double value) implements Op { public String mnemonic() { return "const"; } }

    record Unary(UnaryFn fn) implements Op { public String mnemonic() { return fn.name().toLowerCase(); } }
    record LeakyRelu(double alpha) implements Op { public String mnemonic() { return "leaky_relu"; } }
    record Binary(BinaryFn fn) implements Op { public String mnemonic() { return fn.name().toLowerCase(); } }
    /** TF's LeakyReluGrad(gradients, features). */
    record LeakyReluGrad(double alpha) implements Op { public String mnemonic() { return "leaky_relu_grad"; } }
    /** {@code cond != 0 ? a : b}, elementwise with broadcasting (TF's where/select). */
    record Select() implements Op { public String mnemonic() { return "select"; } }

    record MatMul(boolean transposeA, boolean transposeB) implements Op { public String mnemonic() { return "matmul"; } }
    /** {@code axes} sorted, non-negative. */
    record Reduce(ReduceFn fn, List<Integer> axes, boolean keepDims) implements Op {
        public String mnemonic() { return "reduce_" + fn.name().toLowerCase(); }
    }
    record Reshape() implements Op { public String mnemonic() { return "reshape"; } }
    record Transpose(List<Integer> perm) implements Op { public String mnemonic() { return "transpose"; } }
    record Concat(int axis) implements Op { public String mnemonic() { return "concat"; } }
    /** Output element i is input element {@code begin + i}; sizes from the node's type. */
    record Slice(List<Integer> begin) implements Op { public String mnemonic() { return "slice"; } }
    /** Zero padding: {@code before} elements in front on each axis; the rest of the output is zero. */
    record Pad(List<Integer> before) implements Op { public String mnemonic() { return "pad"; } }
    record Tile(List<Integer> multiples) implements Op { public String mnemonic() { return "tile"; } }
    /** Broadcasts the input to the node's shape. */
    record BroadcastTo() implements Op { public String mnemonic() { return "broadcast_to"; } }
    /** Sums the input down to the node's shape: the adjoint of broadcasting (TF's reduce_sum + reshape in BroadcastGradientArgs). */
    record SumTo() implements Op { public String mnemonic() { return "sum_to"; } }

    /** Over the last axis. */
    record Softmax() implements Op { public String mnemonic() { return "softmax"; } }
    record LogSoftmax() implements Op { public String mnemonic() { return "log_softmax"; } }
    /** (labels, logits) -> per-example loss over the last axis, TF's SoftmaxCrossEntropyWithLogits. */
    record SoftmaxXent() implements Op { public String mnemonic() { return "softmax_xent"; } }
    /** (integer labels, logits) -> per-example loss, TF's SparseSoftmaxCrossEntropyWithLogits. */
    record SparseSoftmaxXent() implements Op { public String mnemonic() { return "sparse_softmax_xent"; } }

    /** (params, integer indices) -> params' slices along {@code axis}. */
    record Gather(int axis) implements Op { public String mnemonic() { return "gather"; } }
    /**
     * (updates, integer indices) -> a zero tensor of the node's type into which updates are summed along
     * {@code axis} at the indices: the dense form of an IndexedSlices gradient (TF's UnsortedSegmentSum).
     */
    record ScatterAdd(int axis) implements Op { public String mnemonic() { return "scatter_add"; } }
    /**
     * (values, integer indices) -> values with duplicates summed: each first occurrence of an index holds
     * the sum of all values at that index (in order), later occurrences hold zeros (TF's unique +
     * unsorted_segment_sum, kept at the indices' static shape).
     */
    record DedupSum() implements Op { public String mnemonic() { return "dedup_sum"; } }
    /** Integer indices -> 1 where an index occurs for the first time, 0 at its repeats (same dtype as the node). */
    record FirstOccurrence() implements Op { public String mnemonic() { return "first_occurrence"; } }
    /** (var, indices, rows, mask) -> var with row indices[i] replaced by rows[i] wherever mask[i] != 0. */
    record ScatterUpdate() implements Op { public String mnemonic() { return "scatter_update"; } }
    /** (var, indices, rows) -> var with rows[i] added to row indices[i], one after another (TF's scatter_add). */
    record ScatterAccumulate() implements Op { public String mnemonic() { return "scatter_accumulate"; } }
    /** Normal noise of the node's type, a fresh draw every train step from a stream fixed by {@code seed}. */
    record RandomNormal(long seed, double mean, double stddev) implements Op { public String mnemonic() { return "random_normal"; } }
    /** Integer indices -> one-hot on a new last axis. */
    record OneHot(int depth, double onValue, double offValue) implements Op { public String mnemonic() { return "one_hot"; } }
    /** The number of elements of the input along {@code axes}, as a scalar of the node's dtype (run-time for symbolic dimensions). */
    record DimSize(List<Integer> axes) implements Op { public String mnemonic() { return "dim_size"; } }
    record Cast(DType to) implements Op { public String mnemonic() { return "cast"; } }
    record Identity() implements Op { public String mnemonic() { return "identity"; } }
    record StopGradient() implements Op { public String mnemonic() { return "stop_gradient"; } }
    /** The sum of several gradient contributions, in the order and manner of {@code method}. */
    record AddN(Aggregation method) implements Op { public String mnemonic() { return "add_n"; } }
}
