package dev.descent.tfgolden;

import java.util.List;
import java.util.Map;

/**
 * A small pretty JSON writer for the training golden files. Values: Map (ordered), List, String,
 * Boolean, Integer/Long, Double (a Python literal such as a hyperparameter), {@link Num} and {@link Arr}
 * (values printed in their dtype's shortest round-trip form). Objects with no nested object or list
 * and arrays of scalars are printed on one line.
 */
final class JsonW {
  private JsonW() {}

  /** A number of a given dtype. */
  record Num(double v, DType dt) {}

  /** A flat numeric array of a given dtype (data, shapes, indices). */
  record Arr(double[] d, DType dt) {
    static Arr ints(long... v) {
      double[] d = new double[v.length];
      for (int i = 0; i < v.length; i++) d[i] = v[i];
      return new Arr(d, DType.I64);
    }

    static Arr ints(int... v) {
      double[] d = new double[v.length];
      for (int i = 0; i < v.length; i++) d[i] = v[i];
      return new Arr(d, DType.I64);
    }
  }

  static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    value(sb, v, 0);
    return sb.append('\n').toString();
  }

  private static boolean inline(Object v) {
    if (v instanceof Map<?, ?> m) {
      for (Object x : m.values()) if (x instanceof Map || x instanceof List) return false;
      return true;
    }
    if (v instanceof List<?> l) {
      for (Object x : l) if (x instanceof Map || x instanceof List) return false;
      return true;
    }
    return true;
  }

  private static void indent(StringBuilder sb, int n) {
    for (int i = 0; i < n; i++) sb.append("  ");
  }

  private static void value(StringBuilder sb, Object v, int depth) {
    switch (v) {
      case null -> sb.append("null");
      case String s -> sb.append(Json.str(s));
      case Boolean b -> sb.append(b);
      case Integer i -> sb.append(i);
      case Long l -> sb.append(l);
      case Double d -> sb.append(Json.num(DType.F64, d));
      case Num n -> sb.append(Json.num(n.dt(), n.v()));
      case Arr a -> {
        sb.append('[');
        for (int i = 0; i < a.d().length; i++) sb.append(i > 0 ? ", " : "").append(Json.num(a.dt(), a.d()[i]));
        sb.append(']');
      }
      case Map<?, ?> m -> {
        if (m.isEmpty()) {
          sb.append("{}");
          return;
        }
        boolean one = inline(m);
        sb.append('{');
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (i++ > 0) sb.append(',');
          if (one) {
            if (i > 1) sb.append(' ');
          } else {
            sb.append('\n');
            indent(sb, depth + 1);
          }
          sb.append(Json.str((String) e.getKey())).append(": ");
          value(sb, e.getValue(), depth + 1);
        }
        if (!one) {
          sb.append('\n');
          indent(sb, depth);
        }
        sb.append('}');
      }
      case List<?> l -> {
        if (l.isEmpty()) {
          sb.append("[]");
          return;
        }
        boolean one = inline(l);
        sb.append('[');
        int i = 0;
        for (Object x : l) {
          if (i++ > 0) sb.append(',');
          if (one) {
            if (i > 1) sb.append(' ');
          } else {
            sb.append('\n');
            indent(sb, depth + 1);
          }
          value(sb, x, depth + 1);
        }
        if (!one) {
          sb.append('\n');
          indent(sb, depth);
        }
        sb.append(']');
      }
      default -> throw new IllegalArgumentException("cannot write " + v.getClass());
    }
  }
}
