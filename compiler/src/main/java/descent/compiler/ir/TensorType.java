package descent.compiler.ir;

import descent.runtime.DType;

/** The static type of an IR value: element type and shape. */
public record TensorType(DType dtype, Shape shape) {
    public static TensorType scalar(DType dtype) { return new TensorType(dtype, Shape.SCALAR); }
    public int rank() { return shape.rank(); }
    @Override public String toString() { return dtype + "" + shape; }
    @Override public boolean equals(Object o) { return o instanceof TensorType t && t.dtype == dtype && t.shape.equals(shape); }
    @Override public int hashCode() { return dtype.hashCode() * 31 + shape.hashCode(); }
}
