package dev.descent.tfgolden;

import org.tensorflow.proto.DataType;

/** The dtypes the golden file uses, with their JSON names and TF enum values. */
public enum DType {
  F32("f32", DataType.DT_FLOAT),
  F64("f64", DataType.DT_DOUBLE),
  I32("i32", DataType.DT_INT32),
  I64("i64", DataType.DT_INT64);

  final String json;
  final DataType tf;

  DType(String json, DataType tf) {
    this.json = json;
    this.tf = tf;
  }

  boolean isFloat() {
    return this == F32 || this == F64;
  }

  static DType of(DataType dt) {
    for (DType d : values()) if (d.tf == dt) return d;
    throw new IllegalArgumentException("unsupported dtype " + dt);
  }
}
