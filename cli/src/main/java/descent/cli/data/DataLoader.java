package descent.cli.data;

import descent.compiler.ir.Dim;
import descent.compiler.ir.Model;
import descent.compiler.ir.TensorType;
import descent.runtime.DType;
import descent.runtime.DescentException;
import descent.runtime.Npy;
import descent.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Loads {@code --data PATH} for the inputs a computation needs.
 *
 * <ul>
 *   <li><b>A directory</b>: {@code NAME.npy} for every needed input (other files are ignored).</li>
 *   <li><b>One {@code .npy} file</b>: feeds the model's only needed input.</li>
 *   <li><b>A {@code .csv} file</b> with a header row; columns map to per-row inputs:
 *     <ol>
 *       <li>an input of shape {@code [batch]} takes the column named exactly like it;</li>
 *       <li>an input of shape {@code [batch, k]} takes the columns {@code NAME_0 .. NAME_{k-1}}, or, when
 *           {@code k} is 1, a single column named {@code NAME};</li>
 *       <li>if exactly one needed {@code [batch, k]} input is left without columns, it takes every column not
 *           claimed by rules 1–2, in header order (there must be exactly {@code k} of them);</li>
 *       <li>any other column is an error, as is a needed input without columns. Inputs fed whole
 *           (no batch dimension) and inputs of rank 3 or more cannot come from CSV.</li>
 *     </ol>
 *     Cells of integer inputs must be integers ({@code [+-]digits}); cells of float inputs decimal numbers
 *     ({@code 1}, {@code -0.5}, {@code 2e-3}; {@code nan}, {@code inf}, {@code -inf} are read and then count
 *     as non-finite).</li>
 * </ul>
 * Conversions: a float input accepts f32, f64, i32 or i64 data (converted to its dtype); an integer input
 * accepts i32 or i64 data whose values fit. Every per-row input must have the same number of rows.
 * NaN or infinity in the data is an error naming the file, row and column, unless the caller allows it
 * ({@code --on-nonfinite skip-batch}); then the rows are recorded and the caller skips them.
 */
public final class DataLoader {
    private DataLoader() {}

    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    private static final Pattern SPECIAL = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    /**
     * @param needed        inputs the computation reads (each must be in the data)
     * @param allowNonFinite record rows with NaN/infinity instead of failing
     * @param hint          appended to the non-finite error (what option allows it), or ""
     */
    public static Dataset load(Path path, ModelFacts facts, Set<String> needed, Map<String, ModelFacts.IndexRange> ranges,
                               boolean allowNonFinite, String hint) {
        String name = path.toString();
        if (!Files.exists(path)) throw new DescentException(name + ": no such file or directory");
        String lower = name.toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path)) return fromNpyDirectory(path, facts, needed, ranges, allowNonFinite, hint);
        if (lower.endsWith(".csv")) return fromCsv(path, facts, needed, ranges, allowNonFinite, hint);
        if (lower.endsWith(".npy")) {
            if (needed.size() != 1) {
                throw new DescentException(name + ": one .npy file feeds one input, but the model reads " + needed.size()
                        + " (" + String.join(", ", needed) + "): give a directory holding "
                        + String.join(", ", needed.stream().map(n -> n + ".npy").toList()) + ", or a .csv file");
            }
            String input = needed.iterator().next();
            return fromTensors(name, facts, Map.of(input, Npy.read(path)), Map.of(input, name), ranges, allowNonFinite, hint);
        }
        throw new DescentException(name + ": --data must be a directory of NAME.npy files, a .npy file or a .csv file");
    }

    // ------------------------------------------------------------------------------------------------ .npy

    private static Dataset fromNpyDirectory(Path dir, ModelFacts facts, Set<String> needed, Map<String, ModelFacts.IndexRange> ranges,
                                            boolean allowNonFinite, String hint) {
        Map<String, Tensor> raw = new LinkedHashMap<>();
        Map<String, String> files = new LinkedHashMap<>();
        // Files.exists is false for a file in a directory that cannot be searched: say that, not "no x.npy".
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) throw new DescentException(dir + ": cannot read the directory: permission denied");
        for (String input : needed) {
            Path file = dir.resolve(input + ".npy");
            if (!Files.exists(file)) {
                throw new DescentException(dir + ": no " + input + ".npy for input `" + input + "` ("
                        + facts.input(input).type() + "); the directory needs one NAME.npy per input read: "
                        + String.join(", ", needed.stream().map(n -> n + ".npy").toList()));
            }
            raw.put(input, Npy.read(file));
            files.put(input, file.toString());
        }
        return fromTensors(dir.toString(), facts, raw, files, ranges, allowNonFinite, hint);
    }

    private static Dataset fromTensors(String source, ModelFacts facts, Map<String, Tensor> raw, Map<String, String> files,
                                       Map<String, ModelFacts.IndexRange> ranges, boolean allowNonFinite, String hint) {
        Map<String, Tensor> perRow = new LinkedHashMap<>(), whole = new LinkedHashMap<>();
        int rows = -1;
        String rowsFrom = null;
        for (var e : raw.entrySet()) {
            String input = e.getKey(), file = files.get(input);
            TensorType type = facts.input(input).type();
            Tensor t = convert(e.getValue(), type.dtype(), file, input);
            ModelFacts.IndexRange range = ranges.get(input);
            if (range != null) checkRange(t, range, file, input);
            if (!ModelFacts.perRow(type)) {
                String bad = firstNonFinite(t);
                if (bad != null) throw new DescentException(file + ": " + bad + " (input `" + input + "` is fed whole in every step)");
                whole.put(input, t);
                continue;
            }
            String mismatch = ModelFacts.shapeMismatch(type, t.shape());
            if (mismatch != null) {
                throw new DescentException(file + ": shape " + Tensor.shapeString(t.shape()) + " does not fit input `" + input
                        + "` (" + type + "): " + mismatch);
            }
            int n = t.shape()[0];
            if (rows >= 0 && n != rows) {
                throw new DescentException(file + " has " + n + " rows but " + rowsFrom + " has " + rows
                        + "; every input needs one entry per row");
            }
            rows = n;
            rowsFrom = file;
            perRow.put(input, t);
        }
        BitSet bad = new BitSet();
        for (var e : perRow.entrySet()) {
            Tensor t = e.getValue();
            if (!t.dtype().isFloating() || rows == 0) continue;
            int width = t.size() / rows;
            for (int i = 0; i < t.size(); i++) {
                double v = t.getDouble(i);
                if (Double.isFinite(v)) continue;
                int row = i / width;
                if (!allowNonFinite) {
                    throw new DescentException(files.get(e.getKey()) + ": row " + row + " holds " + what(v) + " (element "
                            + Tensor.shapeString(index(t.shape(), i)) + ")" + hint);
                }
                bad.set(row);
            }
        }
        if (rows < 0) rows = 0;
        return new Dataset(source, rows, perRow, whole, bad);
    }

    /** Converts data to the input's dtype where that loses nothing a user would mind; otherwise a clear error. */
    /** Refuses an integer tensor with a value outside {@code range}, naming the file, the element and the input. */
    public static void checkRange(Tensor t, ModelFacts.IndexRange range, String file, String input) {
        int[] ints = t.dtype() == DType.I32 ? t.ints() : null;
        long[] longs = t.dtype() == DType.I64 ? t.longs() : null;
        if (ints == null && longs == null) return;
        for (int i = 0; i < t.size(); i++) {
            long v = ints != null ? ints[i] : longs[i];
            if (v < 0 || v >= range.limit()) {
                String at = t.shape().length == 1 ? "row " + i : "element " + Tensor.shapeString(index(t.shape(), i));
                throw new DescentException(file + ": " + at + " is " + v + ", outside [0, " + range.limit() + "): input `"
                        + input + "` indexes " + range.why());
            }
        }
    }

    /**
     * Refuses an f64 feed for an f32 input holding a finite value beyond f32's range, which would become infinite:
     * {@code descent run}'s feeds (training data reports it as a non-finite row under its --on-nonfinite policy).
     */
    public static void checkFitsF32(Tensor t, DType to, String file, String input) {
        if (t.dtype() != DType.F64 || to != DType.F32) return;
        double[] v = t.doubles();
        for (int i = 0; i < v.length; i++) {
            if (Double.isFinite(v[i]) && Float.isInfinite((float) v[i])) {
                throw new DescentException(file + ": element " + Tensor.shapeString(index(t.shape(), i)) + " is " + v[i]
                        + ", beyond input `" + input + "`'s f32 range (it would become infinite)");
            }
        }
    }

    public static Tensor convert(Tensor t, DType to, String file, String input) {
        DType from = t.dtype();
        if (from == to) return t;
        if (!to.isFloating() && from.isFloating()) {
            throw new DescentException(file + ": holds " + from + " values but input `" + input + "` is " + to
                    + "; save it as an integer array (e.g. labels.astype(np.int32))");
        }
        if (to == DType.I32) {
            long[] v = t.longs();
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                if (v[i] != (int) v[i]) {
                    throw new DescentException(file + ": value " + v[i] + " at element " + i + " does not fit input `"
                            + input + "` (i32)");
                }
                out[i] = (int) v[i];
            }
            return Tensor.of(out, t.shape());
        }
        if (to == DType.I64) {
            int[] v = t.ints();
            long[] out = new long[v.length];
            for (int i = 0; i < v.length; i++) out[i] = v[i];
            return Tensor.of(out, t.shape());
        }
        if (from == DType.I64 && to == DType.F32) {
            long[] v = t.longs();
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
            return Tensor.of(out, t.shape());
        }
        return Tensor.fromDoubles(to, t.shape(), t.toDoubles()); // f32/f64/i32 -> f32/f64: exact or correctly rounded
    }

    private static String firstNonFinite(Tensor t) {
        if (!t.dtype().isFloating()) return null;
        for (int i = 0; i < t.size(); i++) {
            double v = t.getDouble(i);
            if (!Double.isFinite(v)) return "element " + Tensor.shapeString(index(t.shape(), i)) + " is " + what(v);
        }
        return null;
    }

    static String what(double v) { return Double.isNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf"; }

    private static int[] index(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) break;
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    // ------------------------------------------------------------------------------------------------ CSV

    private static Dataset fromCsv(Path path, ModelFacts facts, Set<String> needed, Map<String, ModelFacts.IndexRange> ranges,
                                   boolean allowNonFinite, String hint) {
        Csv csv = Csv.read(path);
        String file = csv.file();
        List<String> header = csv.header();
        Map<String, int[]> columns = new LinkedHashMap<>();
        Set<Integer> claimed = new HashSet<>();
        for (Model.InputInfo in : facts.inputs()) {
            TensorType type = in.type();
            if (!ModelFacts.perRow(type) || type.rank() > 2) continue;
            String name = in.name();
            if (type.rank() == 1) {
                int c = header.indexOf(name);
                if (c >= 0) { columns.put(name, new int[] {c}); claimed.add(c); }
                continue;
            }
            Dim width = type.shape().dim(1);
            if (header.contains(name + "_0")) {
                List<Integer> cols = new ArrayList<>();
                while (header.contains(name + "_" + cols.size())) cols.add(header.indexOf(name + "_" + cols.size()));
                if (!width.isSymbolic() && cols.size() != width.size()) {
                    throw new DescentException(file + ": input `" + name + "` (" + type + ") takes " + width.size()
                            + " columns " + name + "_0.." + name + "_" + (width.size() - 1) + ", but the header has "
                            + name + "_0.." + name + "_" + (cols.size() - 1));
                }
                columns.put(name, cols.stream().mapToInt(Integer::intValue).toArray());
                claimed.addAll(cols);
            } else if (!width.isSymbolic() && width.size() == 1 && header.contains(name)) {
                int c = header.indexOf(name);
                columns.put(name, new int[] {c});
                claimed.add(c);
            }
        }
        List<Integer> remaining = new ArrayList<>();
        for (int c = 0; c < header.size(); c++) if (!claimed.contains(c)) remaining.add(c);
        List<String> open = new ArrayList<>();
        for (String n : needed) {
            TensorType t = facts.input(n).type();
            if (!columns.containsKey(n) && ModelFacts.perRow(t) && t.rank() == 2) open.add(n);
        }
        if (open.size() == 1 && !remaining.isEmpty()) {
            String name = open.get(0);
            TensorType type = facts.input(name).type();
            Dim width = type.shape().dim(1);
            if (!width.isSymbolic() && width.size() != remaining.size()) {
                throw new DescentException(file + ": input `" + name + "` (" + type + ") takes the columns not named after"
                        + " another input, but there are " + remaining.size() + " of them (" + columnList(header, remaining)
                        + "), not " + width.size() + "; name them " + name + "_0.." + name + "_" + (width.size() - 1));
            }
            columns.put(name, remaining.stream().mapToInt(Integer::intValue).toArray());
            remaining.clear();
        }
        for (String n : needed) {
            if (columns.containsKey(n)) continue;
            TensorType t = facts.input(n).type();
            String why;
            if (!ModelFacts.perRow(t)) {
                why = "it has no batch dimension, so a CSV file cannot feed it; give --data a directory of .npy files";
            } else if (t.rank() > 2) {
                why = "CSV columns feed inputs of shape [batch] or [batch, k]; give --data a directory of .npy files";
            } else if (t.rank() == 1) {
                why = "the header needs a column named " + n;
            } else {
                String k = t.shape().dim(1).isSymbolic() ? "k-1" : String.valueOf(t.shape().dim(1).size() - 1);
                why = "name its columns " + n + "_0.." + n + "_" + k
                        + (open.size() > 1 ? " (" + open.size() + " inputs of shape [batch, k] have no named columns, so none"
                        + " takes the remaining ones)" : "");
            }
            throw new DescentException(file + ": no column for input `" + n + "` (" + t + "): " + why);
        }
        if (!remaining.isEmpty()) {
            throw new DescentException(file + ": column `" + header.get(remaining.get(0)) + "` feeds no input of model "
                    + facts.model().name() + " (inputs: " + facts.inputsText() + "); remove it or rename it");
        }
        int rows = csv.rows().size();
        Map<String, Tensor> perRow = new LinkedHashMap<>();
        BitSet bad = new BitSet();
        for (String n : needed) {
            int[] cols = columns.get(n);
            TensorType type = facts.input(n).type();
            DType dt = type.dtype();
            ModelFacts.IndexRange range = ranges.get(n);
            int w = cols.length;
            Object data = Dataset.newArray(dt, rows * w);
            for (int r = 0; r < rows; r++) {
                String[] rec = csv.rows().get(r);
                for (int j = 0; j < w; j++) {
                    String cell = rec[cols[j]];
                    String where = file + ":" + csv.lines()[r] + ": column `" + header.get(cols[j]) + "`";
                    if (cell.isEmpty()) throw new DescentException(where + " is empty");
                    int at = r * w + j;
                    switch (dt) {
                        case I32, I64 -> {
                            if (!INTEGER.matcher(cell).matches()) {
                                throw new DescentException(where + ": `" + shorten(cell) + "` is not an integer (input `" + n
                                        + "` is " + dt + ")");
                            }
                            long v;
                            try {
                                v = Long.parseLong(cell);
                            } catch (NumberFormatException e) {
                                throw new DescentException(where + ": " + shorten(cell) + " does not fit " + dt);
                            }
                            if (dt == DType.I32 && v != (int) v) throw new DescentException(where + ": " + cell + " does not fit i32");
                            if (range != null && (v < 0 || v >= range.limit())) {
                                throw new DescentException(where + " is " + v + ", outside [0, " + range.limit() + "): input `"
                                        + n + "` indexes " + range.why());
                            }
                            if (dt == DType.I32) {
                                ((int[]) data)[at] = (int) v;
                            } else {
                                ((long[]) data)[at] = v;
                            }
                        }
                        case F32, F64 -> {
                            if (!DECIMAL.matcher(cell).matches() && !SPECIAL.matcher(cell).matches()) {
                                throw new DescentException(where + ": `" + shorten(cell) + "` is not a number");
                            }
                            String text = SPECIAL.matcher(cell).matches() ? special(cell) : cell;
                            double v;
                            if (dt == DType.F32) { float f = Float.parseFloat(text); ((float[]) data)[at] = f; v = f; }
                            else { v = Double.parseDouble(text); ((double[]) data)[at] = v; }
                            if (!Double.isFinite(v)) {
                                if (!allowNonFinite) throw new DescentException(where + " is " + what(v) + hint);
                                bad.set(r);
                            }
                        }
                    }
                }
            }
            int[] shape = type.rank() == 1 ? new int[] {rows} : new int[] {rows, w};
            perRow.put(n, Dataset.tensor(dt, data, shape));
        }
        return new Dataset(file, rows, perRow, Map.of(), bad);
    }

    private static String special(String cell) {
        String s = cell.toLowerCase(Locale.ROOT);
        boolean neg = s.startsWith("-");
        if (s.endsWith("nan")) return "NaN";
        return neg ? "-Infinity" : "Infinity";
    }

    private static String columnList(List<String> header, List<Integer> cols) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < cols.size() && i < 6; i++) names.add(header.get(cols.get(i)));
        if (cols.size() > 6) names.add("...");
        return String.join(", ", names);
    }

    private static String shorten(String s) { return s.length() <= 40 ? s : s.substring(0, 37) + "..."; }
}
