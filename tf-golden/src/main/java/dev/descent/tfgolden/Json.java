package dev.descent.tfgolden;

import java.util.Map;

/** Writes the golden file: pretty-printed, one case per few lines, data arrays on one line. */
final class Json {
  private Json() {}

  static String write(String generator, java.util.List<TfGolden.CaseResult> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n");
    sb.append("  \"generator\": ").append(str(generator)).append(",\n");
    sb.append("  \"cases\": [\n");
    for (int k = 0; k < results.size(); k++) {
      TfGolden.CaseResult r = results.get(k);
      sb.append("    {\n");
      sb.append("      \"name\": ").append(str(r.c().name)).append(",\n");
      sb.append("      \"expr\": ").append(str(r.c().expr)).append(",\n");
      sb.append("      \"inputs\": {");
      appendTensorMap(sb, r.inputs(), true);
      sb.append("},\n");
      sb.append("      \"output\": ").append(tensor(r.output(), true)).append(",\n");
      sb.append("      \"upstream\": ").append(tensor(r.upstream(), false)).append(",\n");
      sb.append("      \"grads\": {");
      appendTensorMap(sb, r.grads(), false);
      sb.append("},\n");
      sb.append("      \"grad_source\": ").append(str(r.gradSource())).append(",\n");
      sb.append("      \"tolerance\": ").append(Double.toString(r.c().tolerance)).append("\n");
      sb.append("    }").append(k + 1 < results.size() ? "," : "").append("\n");
    }
    sb.append("  ]\n");
    sb.append("}\n");
    return sb.toString();
  }

  private static void appendTensorMap(StringBuilder sb, Map<String, TfGolden.Tensorish> m, boolean withDtype) {
    if (m.isEmpty()) return;
    sb.append("\n");
    int i = 0;
    for (Map.Entry<String, TfGolden.Tensorish> e : m.entrySet()) {
      sb.append("        ").append(str(e.getKey())).append(": ").append(tensor(e.getValue(), withDtype));
      sb.append(++i < m.size() ? "," : "").append("\n");
    }
    sb.append("      ");
  }

  static String tensor(TfGolden.Tensorish t, boolean withDtype) {
    StringBuilder sb = new StringBuilder("{");
    if (withDtype) sb.append("\"dtype\": ").append(str(t.dtype().json)).append(", ");
    sb.append("\"shape\": [");
    for (int i = 0; i < t.shape().length; i++) sb.append(i > 0 ? ", " : "").append(t.shape()[i]);
    sb.append("], \"data\": [");
    double[] d = t.data();
    for (int i = 0; i < d.length; i++) sb.append(i > 0 ? ", " : "").append(num(t.dtype(), d[i]));
    return sb.append("]}").toString();
  }

  /** Shortest round-trip decimal of the value in its own precision; non-finite as strings. */
  static String num(DType dt, double v) {
    if (Double.isNaN(v)) return "\"nan\"";
    if (Double.isInfinite(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
    return switch (dt) {
      case F32 -> Float.toString((float) v);
      case F64 -> Double.toString(v);
      case I32, I64 -> Long.toString((long) v);
    };
  }

  static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
        }
      }
    }
    return sb.append('"').toString();
  }
}
