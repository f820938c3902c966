package descent.cli;

import descent.runtime.Tensor;

/** Human-readable tensor text for the terminal: shape, dtype and up to 10 values. */
final class Format {
    private Format() {}

    static String tensor(Tensor t) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.dtype()).append(Tensor.shapeString(t.shape())).append(' ');
        int n = Math.min(t.size(), 10);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            double v = t.getDouble(i);
            sb.append(t.dtype().isFloating() ? String.format("%.6g", v) : String.valueOf((long) v));
        }
        if (t.size() > n) sb.append(", ... (").append(t.size()).append(" values)");
        return sb.append(']').toString();
    }
}
