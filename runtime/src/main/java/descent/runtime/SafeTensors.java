package descent.runtime;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checkpoints in the SafeTensors format, readable by Python's {@code safetensors} package.
 *
 * <p>A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * {@code {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}},
 * then the data buffer, which the tensors' byte ranges must cover exactly, without gaps or overlaps.
 * Tensor names are free-form strings (Descent uses TensorFlow variable names such as {@code w1/Adam}).
 *
 * <p>Files are written byte-for-byte as the reference implementation writes them: tensors ordered by
 * dtype alignment (I64, F64, F32, I32) and then by name, header JSON without spaces and padded with
 * spaces to a multiple of 8 bytes, so that every tensor's data is aligned to its element size. Reading
 * accepts any valid order and checks everything the reference implementation checks, reporting
 * problems as a one-line {@link DescentException} that names the file.
 */
public final class SafeTensors {
    private SafeTensors() {}

    private static final String METADATA_KEY = "__metadata__";
    /** The reference implementation refuses larger headers; so do we, both ways. */
    private static final long MAX_HEADER_BYTES = 100_000_000;
    private static final List<String> OTHER_DTYPES = List.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
            "I16", "U16", "F16", "BF16", "U32", "U64", "C64", "F4", "F6_E2M3", "F6_E3M2");
    private static final String SUPPORTED = "Descent reads F32, F64, I32 and I64";

    // ---------------------------------------------------------------------------------------- reading

    /** Reads every tensor, in the order the header lists them. */
    public static Map<String, Tensor> read(Path path) {
        String name = path.toString();
        try (FileChannel channel = open(path, name)) {
            Header header = readHeader(channel, name);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : header.entries()) {
                channel.position(header.dataStart() + e.begin());
                Object data;
                try {
                    data = Npy.Elements.read(Channels.newInputStream(channel), e.dtype(), e.count(),
                            ByteOrder.LITTLE_ENDIAN, true, name);
                } catch (Npy.Elements.ShortData shortData) {
                    // Sizes were checked against the file; it shrank while we read it.
                    throw new DescentException(name + ": truncated: the file ended while reading tensor " + quote(e.name())
                            + " (was it being written?)");
                }
                tensors.put(e.name(), Npy.Elements.tensor(data, e.shape()));
            }
            return tensors;
        } catch (IOException e) {
            throw Npy.cannotRead(name, e);
        }
    }

    /** The header's {@code __metadata__} string map, in file order; empty if it has none. The whole header is validated. */
    public static Map<String, String> readMetadata(Path path) {
        String name = path.toString();
        try (FileChannel channel = open(path, name)) {
            return new LinkedHashMap<>(readHeader(channel, name).metadata());
        } catch (IOException e) {
            throw Npy.cannotRead(name, e);
        }
    }

    /** The tensors' names, in the order the header lists them, without reading their data. The whole header is validated. */
    public static List<String> readNames(Path path) {
        String name = path.toString();
        try (FileChannel channel = open(path, name)) {
            return readHeader(channel, name).entries().stream().map(Entry::name).toList();
        } catch (IOException e) {
            throw Npy.cannotRead(name, e);
        }
    }

    private static FileChannel open(Path path, String name) throws IOException {
        if (Files.isDirectory(path)) throw new DescentException(name + ": cannot read: it is a directory");
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new DescentException(name + ": cannot read: not a regular file (a SafeTensors file is read out of order)");
        }
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    /** One tensor as the header describes it; offsets are relative to the start of the data buffer. */
    private record Entry(String name, DType dtype, int[] shape, int count, long begin, long end) {
        String offsets() { return "[" + begin + ", " + end + "]"; }
    }

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    private static Header readHeader(FileChannel channel, String name) throws IOException {
        long size = channel.size();
        if (size == 0) throw new DescentException(name + ": not a SafeTensors file (the file is empty)");
        if (size < 8) {
            throw new DescentException(name + ": truncated: the file has " + size + " bytes, too few for a SafeTensors header");
        }
        long n = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > size - 8) {
            throw new DescentException(name + ": truncated or not a SafeTensors file: the header length field says "
                    + Long.toUnsignedString(n) + " bytes but only " + (size - 8) + " follow it");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new DescentException(name + ": the SafeTensors header is " + n + " bytes, more than the "
                    + MAX_HEADER_BYTES + " the format allows; the file is corrupt");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(readFully(channel, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            throw malformed(name, "it is not valid UTF-8");
        }
        Object json;
        try {
            json = new Json(text).parseDocument();
        } catch (Json.Malformed e) {
            throw malformed(name, e.getMessage() + " at character " + (e.position + 1));
        }
        if (!(json instanceof Map<?, ?> top)) throw malformed(name, "it is not a JSON object");

        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> field : top.entrySet()) {
            String key = (String) field.getKey();
            if (key.equals(METADATA_KEY)) metadata = metadata(field.getValue(), name);
            else entries.add(entry(key, field.getValue(), name));
        }
        checkCoverage(entries, size - 8 - n, name);
        return new Header(entries, metadata, 8 + n);
    }

    private static Map<String, String> metadata(Object value, String name) {
        if (!(value instanceof Map<?, ?> map)) {
            throw malformed(name, METADATA_KEY + " must be an object of strings, not " + Json.describe(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw malformed(name, METADATA_KEY + " values must be strings, but " + quote((String) e.getKey())
                        + " is " + Json.describe(e.getValue()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static Entry entry(String tensor, Object value, String name) {
        String t = "tensor " + quote(tensor);
        if (!(value instanceof Map<?, ?> info)) {
            throw malformed(name, t + " must be an object with dtype, shape and data_offsets, not " + Json.describe(value));
        }
        // Unknown fields are ignored, as the reference implementation ignores them.
        for (String field : List.of("dtype", "shape", "data_offsets")) {
            if (!info.containsKey(field)) throw malformed(name, t + " has no " + field);
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw malformed(name, t + ": dtype must be a string, not " + Json.describe(info.get("dtype")));
        }
        DType dtype = null;
        for (DType d : DType.values()) if (d.safetensorsName().equals(dtypeName)) dtype = d;
        if (dtype == null) {
            throw new DescentException(name + ": " + t + (OTHER_DTYPES.contains(dtypeName)
                    ? " has dtype " + dtypeName + ", which Descent does not support; "
                    : " has unknown dtype " + quote(dtypeName) + "; ") + SUPPORTED);
        }

        List<BigInteger> dims = integers(info.get("shape"), -1);
        if (dims == null) {
            throw malformed(name, t + ": shape must be a list of non-negative integers, not " + Json.describe(info.get("shape")));
        }
        int[] shape = new int[dims.size()];
        BigInteger count = BigInteger.ONE;
        for (int i = 0; i < shape.length; i++) {
            if (dims.get(i).compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                throw new DescentException(name + ": " + t + " has dimension " + dims.get(i)
                        + ", larger than a Descent tensor can hold (" + Integer.MAX_VALUE + ")");
            }
            shape[i] = dims.get(i).intValue();
            count = count.multiply(dims.get(i));
        }
        if (count.compareTo(BigInteger.valueOf(Npy.MAX_ELEMENTS)) > 0) {
            throw new DescentException(name + ": " + t + " has shape " + Tensor.shapeString(shape) + ", " + count
                    + " elements, more than a Descent tensor can hold (" + Npy.MAX_ELEMENTS + ")");
        }

        List<BigInteger> offsets = integers(info.get("data_offsets"), 2);
        if (offsets == null || offsets.get(0).compareTo(offsets.get(1)) > 0
                || offsets.get(1).compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0) {
            throw malformed(name, t + ": data_offsets must be [begin, end] with 0 <= begin <= end < 2^63, not "
                    + Json.describe(info.get("data_offsets")));
        }
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        long bytes = count.longValue() * dtype.byteSize();
        if (end - begin != bytes) {
            throw new DescentException(name + ": " + t + " has shape " + Tensor.shapeString(shape) + " of " + dtypeName
                    + " (" + bytes + " bytes) but data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new Entry(tensor, dtype, shape, count.intValueExact(), begin, end);
    }

    /** A JSON array of non-negative integers (of {@code length} items unless -1), or null if it is anything else. */
    private static List<BigInteger> integers(Object value, int length) {
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) return null;
        List<BigInteger> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Json.Number(String text)) || !text.matches("[0-9]+")) return null;
            out.add(new BigInteger(text));
        }
        return out;
    }

    /** The tensors' byte ranges must tile the data buffer exactly: no gap, no overlap, nothing after. */
    private static void checkCoverage(List<Entry> entries, long bufferLength, String name) {
        for (Entry e : entries) {
            if (e.end() > bufferLength) {
                throw new DescentException(name + ": truncated: tensor " + quote(e.name()) + " has data_offsets "
                        + e.offsets() + " but the file has only " + bufferLength + " bytes of data");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < covered) {
                throw new DescentException(name + ": tensors " + quote(previous.name()) + " " + previous.offsets()
                        + " and " + quote(e.name()) + " " + e.offsets() + " overlap in the data buffer");
            }
            if (e.begin() > covered) {
                throw new DescentException(name + ": bytes " + covered + " to " + e.begin()
                        + " of the data buffer belong to no tensor; the header does not match the data");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != bufferLength) {
            throw new DescentException(name + ": the file has " + bufferLength + " bytes of data but the tensors cover only "
                    + covered + "; the header does not match the data");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) throw new IOException("the file ended early");
        }
        return buffer.flip();
    }

    // ---------------------------------------------------------------------------------------- writing

    /** Writes a checkpoint without metadata, atomically (see {@link AtomicFiles}). */
    public static void write(Path path, Map<String, Tensor> tensors) {
        write(path, tensors, null);
    }

    /**
     * Writes a checkpoint atomically (see {@link AtomicFiles}). A null or empty {@code metadata} writes no
     * {@code __metadata__} entry; metadata keys are written sorted, so equal inputs give equal files.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(tensors, "tensors");
        List<Map.Entry<String, Tensor>> ordered = new ArrayList<>(tensors.entrySet());
        for (Map.Entry<String, Tensor> e : ordered) {
            Objects.requireNonNull(e.getKey(), "tensor name");
            Objects.requireNonNull(e.getValue(), () -> "tensor " + e.getKey());
            if (e.getKey().equals(METADATA_KEY)) {
                throw new DescentException("cannot write " + path + ": " + METADATA_KEY + " is reserved by SafeTensors"
                        + " and cannot name a tensor");
            }
            checkUnicode(e.getKey(), path);
        }
        // As the reference implementation: larger elements first (so that all data stays aligned), then by name.
        ordered.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -alignmentRank(e.getValue().dtype()))
                .thenComparing(Map.Entry::getKey, SafeTensors::compareCodePoints));

        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            List<String> keys = new ArrayList<>(metadata.keySet());
            keys.sort(SafeTensors::compareCodePoints);
            json.append(Json.escape(METADATA_KEY)).append(":{");
            for (int i = 0; i < keys.size(); i++) {
                String key = Objects.requireNonNull(keys.get(i), "metadata key");
                String value = Objects.requireNonNull(metadata.get(key), () -> "metadata " + key);
                checkUnicode(key, path);
                checkUnicode(value, path);
                json.append(i > 0 ? "," : "").append(Json.escape(key)).append(':').append(Json.escape(value));
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : ordered) {
            Tensor t = e.getValue();
            long bytes = (long) t.size() * t.dtype().byteSize();
            if (json.length() > 1) json.append(',');
            json.append(Json.escape(e.getKey())).append(":{\"dtype\":\"").append(t.dtype().safetensorsName())
                    .append("\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) json.append(i > 0 ? "," : "").append(shape[i]);
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        json.repeat(' ', (8 - json.toString().getBytes(StandardCharsets.UTF_8).length % 8) % 8);
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        if (header.length > MAX_HEADER_BYTES) {
            throw new DescentException("cannot write " + path + ": the header would be " + header.length
                    + " bytes, more than the " + MAX_HEADER_BYTES + " SafeTensors allows");
        }
        AtomicFiles.write(path, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (Map.Entry<String, Tensor> e : ordered) Npy.Elements.write(out, e.getValue(), ByteOrder.LITTLE_ENDIAN);
        });
    }

    /** The position of a dtype in the reference implementation's Dtype enum, which is in increasing alignment. */
    private static int alignmentRank(DType dtype) {
        return switch (dtype) {
            case I32 -> 0;
            case F32 -> 1;
            case F64 -> 2;
            case I64 -> 3;
        };
    }

    /** Orders as Rust orders strings (by UTF-8 bytes, which is code point order), not by UTF-16 units as Java does. */
    private static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** JSON (and Python) strings are Unicode; a Java string with an unpaired surrogate cannot be written as UTF-8. */
    private static void checkUnicode(String s, Path path) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) {
                throw new DescentException("cannot write " + path + ": " + quote(s) + " contains an unpaired surrogate"
                        + " character and is not valid Unicode");
            }
        }
    }

    // ---------------------------------------------------------------------------------------- messages

    private static DescentException malformed(String name, String what) {
        return new DescentException(name + ": malformed SafeTensors header: " + what);
    }

    private static String quote(String s) {
        return "'" + Npy.oneLine(s, 100) + "'";
    }

    // ---------------------------------------------------------------------------------------- JSON

    /**
     * A strict JSON (RFC 8259) parser and string quoter, just enough for SafeTensors headers; the runtime
     * has no dependencies. Objects become LinkedHashMaps (duplicate keys are an error, as they are
     * ambiguous), arrays Lists, numbers {@link Number} with their exact text.
     */
    static final class Json {
        record Number(String text) {}
        enum Null { NULL }

        static final class Malformed extends Exception {
            final int position;
            Malformed(String message, int position) {
                super(message, null, false, false);
                this.position = position;
            }
        }

        /** Deeper nesting is never a SafeTensors header and would risk a StackOverflowError. */
        private static final int MAX_DEPTH = 64;
        private final String text;
        private int pos;

        Json(String text) { this.text = text; }

        /** One value, optionally surrounded by whitespace (the writer pads with spaces). */
        Object parseDocument() throws Malformed {
            skipSpace();
            Object value = value(0);
            skipSpace();
            if (pos < text.length()) throw new Malformed("unexpected " + describeChar() + " after the JSON value", pos);
            return value;
        }

        private Object value(int depth) throws Malformed {
            if (depth > MAX_DEPTH) throw new Malformed("nested too deeply", pos);
            if (pos >= text.length()) throw new Malformed("unexpected end of the header", pos);
            char c = text.charAt(pos);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", Null.NULL);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw new Malformed("unexpected " + describeChar(), pos);
                }
            };
        }

        private Map<String, Object> object(int depth) throws Malformed {
            Map<String, Object> map = new LinkedHashMap<>();
            pos++; // '{'
            skipSpace();
            if (peek() == '}') { pos++; return map; }
            while (true) {
                if (peek() != '"') throw new Malformed("expected a string key but found " + describeChar(), pos);
                int keyAt = pos;
                String key = string();
                if (map.containsKey(key)) throw new Malformed("duplicate key " + quote(key), keyAt);
                skipSpace();
                if (peek() != ':') throw new Malformed("expected ':' but found " + describeChar(), pos);
                pos++;
                skipSpace();
                map.put(key, value(depth + 1));
                skipSpace();
                if (peek() == '}') { pos++; return map; }
                if (peek() != ',') throw new Malformed("expected ',' or '}' but found " + describeChar(), pos);
                pos++;
                skipSpace();
            }
        }

        private List<Object> array(int depth) throws Malformed {
            List<Object> list = new ArrayList<>();
            pos++; // '['
            skipSpace();
            if (peek() == ']') { pos++; return list; }
            while (true) {
                list.add(value(depth + 1));
                skipSpace();
                if (peek() == ']') { pos++; return list; }
                if (peek() != ',') throw new Malformed("expected ',' or ']' but found " + describeChar(), pos);
                pos++;
                skipSpace();
            }
        }

        private String string() throws Malformed {
            int start = pos++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= text.length()) throw new Malformed("unterminated string", start);
                char c = text.charAt(pos++);
                if (c == '"') return sb.toString();
                if (c < 0x20) throw new Malformed("control character in a string", pos - 1);
                if (c != '\\') { sb.append(c); continue; }
                if (pos >= text.length()) throw new Malformed("unterminated string", start);
                char e = text.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        char u = hex4();
                        if (Character.isHighSurrogate(u) && text.startsWith("\\u", pos)) {
                            pos += 2;
                            char low = hex4();
                            if (!Character.isLowSurrogate(low)) throw new Malformed("unpaired surrogate in \\u escape", pos - 12);
                            sb.append(u).append(low);
                        } else if (Character.isSurrogate(u)) {
                            throw new Malformed("unpaired surrogate in \\u escape", pos - 6);
                        } else {
                            sb.append(u);
                        }
                    }
                    default -> throw new Malformed("invalid escape \\" + Npy.oneLine(String.valueOf(e), 4), pos - 2);
                }
            }
        }

        private char hex4() throws Malformed {
            if (pos + 4 > text.length()) throw new Malformed("incomplete \\u escape", pos - 2);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(text.charAt(pos + i), 16);
                if (d < 0 || text.charAt(pos + i) > 'f') throw new Malformed("invalid \\u escape", pos - 2);
                v = v * 16 + d;
            }
            pos += 4;
            return (char) v;
        }

        private Number number() throws Malformed {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') pos++;
            else if (!digits()) throw new Malformed("invalid number", start);
            if (peek() == '.') { pos++; if (!digits()) throw new Malformed("invalid number", start); }
            if (peek() == 'e' || peek() == 'E') {
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!digits()) throw new Malformed("invalid number", start);
            }
            return new Number(text.substring(start, pos));
        }

        private boolean digits() {
            int start = pos;
            while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
            return pos > start;
        }

        private Object literal(String word, Object value) throws Malformed {
            if (!text.startsWith(word, pos)) throw new Malformed("unexpected " + describeChar(), pos);
            pos += word.length();
            return value;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) pos++;
        }

        private String describeChar() {
            if (pos >= text.length()) return "the end of the header";
            char c = text.charAt(pos);
            return c == '\'' ? "a single quote" : "'" + Npy.oneLine(String.valueOf(c), 4) + "'";
        }

        /** A parsed value as JSON, shortened, for messages. */
        static String describe(Object value) {
            String s = switch (value) {
                case String str -> escape(str);
                case Number(String text) -> text;
                case Null n -> "null";
                case List<?> list -> {
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < list.size(); i++) sb.append(i > 0 ? ", " : "").append(describe(list.get(i)));
                    yield sb.append(']').toString();
                }
                case Map<?, ?> map -> map.isEmpty() ? "{}" : "an object";
                default -> String.valueOf(value);
            };
            return Npy.oneLine(s, 80);
        }

        /** A JSON string literal, escaped exactly as serde_json (the reference implementation's serializer) does. */
        static String escape(String s) {
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            return sb.append('"').toString();
        }
    }
}
