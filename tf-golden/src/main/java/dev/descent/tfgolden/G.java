package dev.descent.tfgolden;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Thin builder over a TensorFlow {@link Graph} that adds raw TF ops by their registered op names
 * (the same op types TF 1's Python front end emits), so that every number comes from TF's own
 * kernel for that op. Type attributes (T, Tidx, Tperm, ...) are inferred by the C API from inputs.
 */
public final class G {
  final Graph graph;
  private int counter;

  public G(Graph graph) {
    this.graph = graph;
  }

  /** Control inputs added to every op built inside {@link #withControl} (TF 1's control_dependencies). */
  private final Deque<List<GraphOperation>> control = new ArrayDeque<>();

  /** Starts an op of the given TF type with a fresh unique name. */
  public GraphOperationBuilder op(String type) {
    return named(type, type + "_" + (counter++));
  }

  /** Starts an op with the given name (must be unique in the graph). */
  public GraphOperationBuilder named(String type, String name) {
    GraphOperationBuilder b = graph.opBuilder(type, name, graph.baseScope());
    for (List<GraphOperation> deps : control) for (GraphOperation d : deps) b.addControlInput(d);
    return b;
  }

  /**
   * Builds {@code body} as TF 1's {@code with ops.control_dependencies(deps):} does: every op created
   * inside (constants included) gets the control inputs; scopes nest and accumulate.
   */
  public <T> T withControl(List<GraphOperation> deps, Supplier<T> body) {
    control.push(new ArrayList<>(deps));
    try {
      return body.get();
    } finally {
      control.pop();
    }
  }

  public static Output<?> out(GraphOperation op) {
    return op.output(0);
  }

  // ---------------------------------------------------------------- leaves

  public Output<?> placeholder(DType dtype, long[] shape) {
    return out(op("Placeholder").setAttr("dtype", dtype.tf).setAttr("shape", shapeOf(shape)).build());
  }

  public static Shape shapeOf(long[] shape) {
    return shape.length == 0 ? Shape.scalar() : Shape.of(shape);
  }

  /** A constant tensor of the given dtype and shape. */
  public Output<?> constant(DType dt, long[] shape, double[] data) {
    return constOp(tensor(dt, shape, data), dt.tf);
  }

  private Output<?> constOp(Tensor t, DataType dt) {
    try (t) {
      return out(op("Const").setAttr("value", t).setAttr("dtype", dt).build());
    }
  }

  /** int32 vector constant (axes, perms, shapes, multiples, begin/size). */
  public Output<?> i32(int... v) {
    return constOp(TInt32.vectorOf(v), DataType.DT_INT32);
  }

  /** int32 scalar constant (a single axis, depth). */
  public Output<?> i32s(int v) {
    return constOp(TInt32.scalarOf(v), DataType.DT_INT32);
  }

  /** Scalar constant of a floating dtype. */
  public Output<?> scalar(DType dt, double v) {
    return switch (dt) {
      case F32 -> constOp(TFloat32.scalarOf((float) v), DataType.DT_FLOAT);
      case F64 -> constOp(TFloat64.scalarOf(v), DataType.DT_DOUBLE);
      case I32 -> constOp(TInt32.scalarOf((int) v), DataType.DT_INT32);
      case I64 -> constOp(TInt64.scalarOf((long) v), DataType.DT_INT64);
    };
  }

  public static Tensor tensor(DType dt, long[] shape, double[] data) {
    Shape s = shapeOf(shape);
    int n = data.length;
    switch (dt) {
      case F32: {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) data[i];
        return TFloat32.tensorOf(s, DataBuffers.of(a, true, true));
      }
      case F64: {
        return TFloat64.tensorOf(s, DataBuffers.of(data.clone(), true, true));
      }
      case I32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = (int) data[i];
        return TInt32.tensorOf(s, DataBuffers.of(a, true, true));
      }
      case I64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = (long) data[i];
        return TInt64.tensorOf(s, DataBuffers.of(a, true, true));
      }
      default:
        throw new AssertionError(dt);
    }
  }

  // ---------------------------------------------------------------- generic ops

  public Output<?> unary(String type, Output<?> x) {
    return out(op(type).addInput(x).build());
  }

  public Output<?> binary(String type, Output<?> a, Output<?> b) {
    return out(op(type).addInput(a).addInput(b).build());
  }

  /** Sum/Mean/Max/Min/Prod. {@code axes == null}: all axes of a rank-{@code rank} input (TF 1's axis=None). */
  public Output<?> reduce(String type, Output<?> x, Axes axes, boolean keepDims) {
    return out(op(type).addInput(x).addInput(axes.constant(this, x)).setAttr("keep_dims", keepDims).build());
  }

  /** How a reduction's axis argument was written: a scalar int, a list, or omitted (all axes). */
  public record Axes(Integer scalar, int[] list) {
    public static Axes of(int a) {
      return new Axes(a, null);
    }

    public static Axes list(int... a) {
      return new Axes(null, a);
    }

    public static Axes all() {
      return new Axes(null, null);
    }

    Output<?> constant(G g, Output<?> x) {
      if (scalar != null) return g.i32s(scalar);
      if (list != null) return g.i32(list);
      // TF 1: _ReductionDims with axis=None and a known rank -> constant np.arange(rank), int32.
      int rank = x.shape().numDimensions();
      int[] all = new int[rank];
      for (int i = 0; i < rank; i++) all[i] = i;
      return g.i32(all);
    }
  }

  public Output<?> matmul(Output<?> a, Output<?> b, boolean ta, boolean tb) {
    return out(op("MatMul").addInput(a).addInput(b).setAttr("transpose_a", ta).setAttr("transpose_b", tb).build());
  }

  public Output<?> reshape(Output<?> x, int... shape) {
    return binary("Reshape", x, i32(shape));
  }

  public Output<?> transpose(Output<?> x, int... perm) {
    return binary("Transpose", x, i32(perm));
  }

  public Output<?> expandDims(Output<?> x, int axis) {
    return binary("ExpandDims", x, i32s(axis));
  }

  public Output<?> squeeze(Output<?> x, long... dims) {
    GraphOperationBuilder b = op("Squeeze").addInput(x);
    if (dims.length > 0) b.setAttr("squeeze_dims", dims);
    return out(b.build());
  }

  public Output<?> concat(int axis, Output<?>... xs) {
    return out(op("ConcatV2").addInputList(xs).addInput(i32s(axis)).build());
  }

  public Output<?> slice(Output<?> x, int[] begin, int[] size) {
    return out(op("Slice").addInput(x).addInput(i32(begin)).addInput(i32(size)).build());
  }

  public Output<?> tile(Output<?> x, int... multiples) {
    return binary("Tile", x, i32(multiples));
  }

  public Output<?> leakyRelu(Output<?> x, float alpha) {
    return out(op("LeakyRelu").addInput(x).setAttr("alpha", alpha).build());
  }

  public Output<?> gather(Output<?> params, Output<?> indices, int axis) {
    return out(op("GatherV2").addInput(params).addInput(indices).addInput(i32s(axis)).build());
  }

  public Output<?> oneHot(Output<?> indices, int depth) {
    // TF 1 one_hot defaults: on_value 1, off_value 0, dtype float32, axis -1.
    return out(op("OneHot").addInput(indices).addInput(i32s(depth))
        .addInput(scalar(DType.F32, 1.0)).addInput(scalar(DType.F32, 0.0)).setAttr("axis", -1L).build());
  }

  public Output<?> cast(Output<?> x, DType to) {
    return out(op("Cast").addInput(x).setAttr("DstT", to.tf).build());
  }

  public Output<?> select(Output<?> cond, Output<?> a, Output<?> b) {
    return out(op("Select").addInput(cond).addInput(a).addInput(b).build());
  }

  public Output<?> shape(Output<?> x) {
    return unary("Shape", x);
  }

  /** TF 1 nn_impl.sigmoid_cross_entropy_with_logits, op for op: relu(z) - z*labels + log1p(exp(-|z|)). */
  public Output<?> sigmoidXent(Output<?> labels, Output<?> logits) {
    Output<?> zeros = unary("ZerosLike", logits);
    Output<?> cond = binary("GreaterEqual", logits, zeros);
    Output<?> reluLogits = select(cond, logits, zeros);
    Output<?> negAbsLogits = select(cond, unary("Neg", logits), logits);
    return binary("Add", binary("Sub", reluLogits, binary("Mul", logits, labels)), unary("Log1p", unary("Exp", negAbsLogits)));
  }
}
