package descent.compiler.ir;

import descent.runtime.DType;

/** The static type of an IR value: element type and shape. */
public record TensorType(DType dtype, Shape shape) {
    public static TensorType scalar(DType dtype) { return new TensorType(dtype, Shape.SCALAR); }
    public int rank() { return shape.rank(); }
    @Override public String toString() { return dtype + "" + shape; }
}
