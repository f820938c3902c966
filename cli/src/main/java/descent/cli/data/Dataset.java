package descent.cli.data;

import descent.runtime.DType;
import descent.runtime.Npy;
import descent.runtime.Tensor;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Data for a model, in memory: per-row inputs (first dimension = rows, already in the input's dtype),
 * inputs fed whole in every step, and the rows that hold a NaN or infinity (kept only when the caller
 * allows them; see {@link DataLoader}).
 */
public final class Dataset {
    private final String source;
    private final int rows;
    private final Map<String, Tensor> perRow;
    private final Map<String, Tensor> whole;
    private final BitSet nonFinite;

    Dataset(String source, int rows, Map<String, Tensor> perRow, Map<String, Tensor> whole, BitSet nonFinite) {
        this.source = source;
        this.rows = rows;
        this.perRow = perRow;
        this.whole = whole;
        this.nonFinite = nonFinite;
    }

    public String source() { return source; }
    public int rows() { return rows; }
    public Map<String, Tensor> perRow() { return perRow; }

    /** Does data row {@code row} hold a NaN or infinity? */
    public boolean nonFinite(int row) { return nonFinite.get(row); }

    public int nonFiniteRows() { return nonFinite.cardinality(); }

    /** The feeds for the rows {@code order[from..to)}, in that order; inputs fed whole are included. */
    public Map<String, Tensor> feeds(int[] order, int from, int to) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int count = to - from;
        for (var e : perRow.entrySet()) {
            Tensor t = e.getValue();
            int[] shape = t.shape();
            int width = shape[0] == 0 ? 0 : t.size() / shape[0];
            shape[0] = count;
            Object src = t.data(), dst = newArray(t.dtype(), count * width);
            for (int i = 0; i < count; i++) System.arraycopy(src, order[from + i] * width, dst, i * width, width);
            out.put(e.getKey(), tensor(t.dtype(), dst, shape));
        }
        out.putAll(whole);
        return out;
    }

    /** A checksum of every value and shape (CRC-32C over the inputs' .npy images, by input name). */
    public String checksum() {
        CRC32C crc = new CRC32C();
        Map<String, Tensor> all = new TreeMap<>(perRow);
        all.putAll(whole);
        for (var e : all.entrySet()) {
            crc.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            crc.update(0);
            crc.update(Npy.toBytes(e.getValue()));
        }
        return String.format("%08x", crc.getValue());
    }

    static Object newArray(DType dtype, int n) {
        return switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
        };
    }

    static Tensor tensor(DType dtype, Object data, int[] shape) {
        return switch (dtype) {
            case F32 -> Tensor.of((float[]) data, shape);
            case F64 -> Tensor.of((double[]) data, shape);
            case I32 -> Tensor.of((int[]) data, shape);
            case I64 -> Tensor.of((long[]) data, shape);
        };
    }
}
