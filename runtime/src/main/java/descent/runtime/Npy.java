package descent.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NumPy {@code .npy} files: the format of {@code np.save} / {@code np.load}.
 *
 * <p>Reads format versions 1.0, 2.0 and 3.0 with dtypes {@code <f4 <f8 <i4 <i8} and their big-endian
 * forms {@code >f4 >f8 >i4 >i8} (converted on reading). Arrays saved in Fortran order
 * ({@code fortran_order: True}, which {@code np.save} produces for a transposed array such as
 * {@code x.T}) are transposed into Descent's row-major order, so the tensor has the same shape and
 * element values as the array in NumPy. Writes version 1.0 (2.0 only if the header would not fit,
 * as NumPy does) with exactly the bytes {@code np.save} writes, header padding included.
 *
 * <p>Every problem with a file is a {@link DescentException} whose message is one line that starts
 * with the file name, says what is wrong and, where it helps, what to do.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the data to 64 bytes so that the file can be memory-mapped for any dtype. */
    private static final int ARRAY_ALIGN = 64;
    /** NumPy leaves room in the header for the growing axis to reach this many digits (np.lib.format). */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Real headers are a few hundred bytes; the cap keeps a corrupt length from allocating gigabytes. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** The largest array length every JVM allocates (the JDK's own soft maximum). */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final String SUPPORTED = "Descent reads f4, f8, i4 and i8 arrays (little- or big-endian)";

    // ---------------------------------------------------------------------------------------- reading

    /** Reads a {@code .npy} file. */
    public static Tensor read(Path path) {
        String name = path.toString();
        if (Files.isDirectory(path)) throw new DescentException(name + ": cannot read: it is a directory");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            // A pipe such as /dev/stdin reports size 0: read it as a stream instead.
            long size = Files.isRegularFile(path) ? channel.size() : -1;
            return read(Channels.newInputStream(channel), name, size);
        } catch (IOException e) {
            throw cannotRead(name, e);
        }
    }

    /**
     * Reads a {@code .npy} image from a stream, which must end where the array's data ends (trailing
     * bytes mean the header lies about the shape). The stream is not closed.
     *
     * @param nameForErrors how messages name the source, e.g. a file name or {@code <stdin>}
     */
    public static Tensor read(InputStream in, String nameForErrors) {
        try {
            return read(in, nameForErrors, -1);
        } catch (IOException e) {
            throw cannotRead(nameForErrors, e);
        }
    }

    /** {@code fileSize} is -1 when unknown; when known, sizes are checked before anything is allocated. */
    private static Tensor read(InputStream in, String name, long fileSize) throws IOException {
        Header h = readHeader(in, name);
        long expected = (long) h.count() * h.dtype().byteSize();
        if (fileSize >= 0 && fileSize - h.dataOffset() != expected) {
            throw sizeMismatch(name, h, fileSize - h.dataOffset());
        }
        Object data;
        try {
            data = Elements.read(in, h.dtype(), h.count(), h.order(), fileSize >= 0, name);
        } catch (Elements.ShortData e) {
            throw sizeMismatch(name, h, e.bytesRead);
        }
        if (fileSize < 0) {
            long extra = in.transferTo(OutputStream.nullOutputStream());
            if (extra > 0) throw sizeMismatch(name, h, expected + extra);
        }
        if (h.fortranOrder() && h.shape().length > 1) data = fortranToRowMajor(data, h.shape());
        return Elements.tensor(data, h.shape());
    }

    /** What the header says, and where the data starts. */
    private record Header(String descr, DType dtype, ByteOrder order, boolean fortranOrder, int[] shape, int count,
                          long dataOffset) {}

    private static Header readHeader(InputStream in, String name) throws IOException {
        byte[] preamble = in.readNBytes(8);
        for (int i = 0; i < Math.min(preamble.length, MAGIC.length); i++) {
            if (preamble[i] != MAGIC[i]) {
                throw new DescentException(name + ": not a NumPy .npy file (it does not start with \\x93NUMPY)");
            }
        }
        if (preamble.length == 0) throw new DescentException(name + ": not a NumPy .npy file (the file is empty)");
        if (preamble.length < 8) {
            throw new DescentException(name + ": truncated: the file has " + preamble.length
                    + " bytes, too few for a .npy header");
        }
        int major = preamble[6] & 0xff, minor = preamble[7] & 0xff;
        if ((major < 1 || major > 3) || minor != 0) {
            throw new DescentException(name + ": unsupported .npy format version " + major + "." + minor
                    + " (Descent reads 1.0, 2.0 and 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lengthField = in.readNBytes(lengthBytes);
        if (lengthField.length < lengthBytes) {
            throw new DescentException(name + ": truncated: the file ends inside the .npy header");
        }
        long headerLength = 0;
        for (int i = lengthBytes - 1; i >= 0; i--) headerLength = (headerLength << 8) | (lengthField[i] & 0xff);
        if (headerLength > MAX_HEADER_BYTES) {
            throw new DescentException(name + ": the .npy header claims to be " + headerLength
                    + " bytes, more than the " + MAX_HEADER_BYTES + " Descent accepts; the file is corrupt");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new DescentException(name + ": truncated: the .npy header is " + headerLength
                    + " bytes but the file ends after " + headerBytes.length + " of them");
        }
        String text = major == 3 ? decodeUtf8(headerBytes, name) : new String(headerBytes, StandardCharsets.ISO_8859_1);
        return interpretHeader(text, name, 8L + lengthBytes + headerLength);
    }

    private static String decodeUtf8(byte[] bytes, String name) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DescentException(name + ": malformed .npy header: it is not valid UTF-8");
        }
    }

    private static Header interpretHeader(String text, String name, long dataOffset) {
        if (text.isBlank()) throw malformed(name, "the header is empty");
        Object parsed;
        try {
            parsed = new PyLiteral(text).parseHeader();
        } catch (PyLiteral.Malformed e) {
            throw malformed(name, e.getMessage() + " at column " + (e.position + 1) + " of " + snippet(text));
        }
        if (!(parsed instanceof Map<?, ?> dict)) throw malformed(name, "the header is not a dict: " + snippet(text));
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) throw malformed(name, "the header has no '" + key + "' key: " + snippet(text));
        }
        for (Object key : dict.keySet()) {
            if (!Set.of("descr", "fortran_order", "shape").contains(key)) {
                throw malformed(name, "unexpected key " + PyLiteral.show(key) + " in the header: " + snippet(text));
            }
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortranOrder)) {
            throw malformed(name, "'fortran_order' must be True or False, not " + PyLiteral.show(dict.get("fortran_order")));
        }
        int[] shape = shapeOf(dict.get("shape"), name);
        BigInteger count = BigInteger.ONE; // exact: a corrupt shape can overflow a long
        for (int d : shape) count = count.multiply(BigInteger.valueOf(d));
        if (count.compareTo(BigInteger.valueOf(MAX_ELEMENTS)) > 0) {
            throw new DescentException(name + ": shape " + pyShape(shape) + " has " + count
                    + " elements, more than a Descent tensor can hold (" + MAX_ELEMENTS + ")");
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String d)) {
            throw new DescentException(name + ": unsupported dtype " + PyLiteral.show(descr)
                    + " (a structured array); " + SUPPORTED);
        }
        DType dtype = switch (d.length() == 3 ? d.substring(1) : "") {
            case "f4" -> DType.F32;
            case "f8" -> DType.F64;
            case "i4" -> DType.I32;
            case "i8" -> DType.I64;
            default -> null;
        };
        ByteOrder order = d.startsWith("<") ? ByteOrder.LITTLE_ENDIAN : d.startsWith(">") ? ByteOrder.BIG_ENDIAN : null;
        if (dtype == null || order == null) {
            String what = describeDescr(d);
            throw new DescentException(name + ": unsupported dtype '" + oneLine(d, 40) + "'"
                    + (what == null ? "" : " (" + what + ")") + "; " + SUPPORTED
                    + "; convert it in NumPy first, e.g. a.astype(np.float32)");
        }
        return new Header(d, dtype, order, fortranOrder, shape, count.intValueExact(), dataOffset);
    }

    private static int[] shapeOf(Object value, String name) {
        if (!(value instanceof PyLiteral.Tuple(List<Object> items))) {
            throw malformed(name, "'shape' must be a tuple of integers, not " + PyLiteral.show(value));
        }
        int[] shape = new int[items.size()];
        for (int i = 0; i < shape.length; i++) {
            Object item = items.get(i);
            if (!(item instanceof BigInteger dim)) {
                throw malformed(name, "'shape' must be a tuple of integers, not " + PyLiteral.show(value));
            }
            if (dim.signum() < 0) throw malformed(name, "negative dimension " + dim + " in shape " + PyLiteral.show(value));
            if (dim.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                throw new DescentException(name + ": dimension " + dim + " in shape " + PyLiteral.show(value)
                        + " is larger than a Descent tensor can hold (" + Integer.MAX_VALUE + ")");
            }
            shape[i] = dim.intValue();
        }
        return shape;
    }

    /** What a NumPy type code means, for the "unsupported dtype" message; null if unknown. */
    private static String describeDescr(String descr) {
        String code = descr.isEmpty() || "<>|=".indexOf(descr.charAt(0)) < 0 ? descr : descr.substring(1);
        if (code.isEmpty()) return null;
        if (List.of("f4", "f8", "i4", "i8").contains(code)) return "the byte order must be '<' or '>'";
        String size = code.substring(1);
        int bits = size.matches("[0-9]{1,2}") ? Integer.parseInt(size) * 8 : -1;
        return switch (code.charAt(0)) {
            case 'f' -> bits > 64 ? "long double" : bits > 0 ? "float" + bits : null;
            case 'i' -> bits > 0 ? "int" + bits : null;
            case 'u' -> bits > 0 ? "uint" + bits : null;
            case 'c' -> bits > 0 ? "complex" + bits : null;
            case 'b' -> "bool";
            case 'O' -> "Python objects";
            case 'U' -> "unicode strings";
            case 'S', 'a' -> "byte strings";
            case 'V' -> "raw bytes";
            case 'M' -> "datetime64";
            case 'm' -> "timedelta64";
            default -> null;
        };
    }

    /** Reorders column-major data into row-major order for the same shape. */
    private static Object fortranToRowMajor(Object data, int[] shape) {
        int n = Elements.length(data);
        ColumnMajorWalk at = new ColumnMajorWalk(shape);
        return switch (data) {
            case float[] in -> { float[] out = new float[n]; for (int i = 0; i < n; i++) out[i] = in[at.next()]; yield out; }
            case double[] in -> { double[] out = new double[n]; for (int i = 0; i < n; i++) out[i] = in[at.next()]; yield out; }
            case int[] in -> { int[] out = new int[n]; for (int i = 0; i < n; i++) out[i] = in[at.next()]; yield out; }
            case long[] in -> { long[] out = new long[n]; for (int i = 0; i < n; i++) out[i] = in[at.next()]; yield out; }
            default -> throw new IllegalArgumentException("not an element array: " + data.getClass());
        };
    }

    /**
     * Walks a shape's indices in row-major order (last axis fastest) like an odometer and yields, for
     * each, its offset in column-major layout: one pass and no index table however big the array.
     */
    private static final class ColumnMajorWalk {
        private final int[] shape, index;
        private final long[] stride;
        private long offset;

        ColumnMajorWalk(int[] shape) {
            this.shape = shape;
            this.index = new int[shape.length];
            this.stride = new long[shape.length];
            for (int k = 0; k < shape.length; k++) stride[k] = k == 0 ? 1 : stride[k - 1] * shape[k - 1];
        }

        /** The column-major offset of the current index, then advances to the next index. */
        int next() {
            int current = (int) offset;
            for (int k = shape.length - 1; k >= 0; k--) {
                if (++index[k] < shape[k]) { offset += stride[k]; break; }
                index[k] = 0;
                offset -= stride[k] * (shape[k] - 1);
            }
            return current;
        }
    }

    // ---------------------------------------------------------------------------------------- writing

    /** Writes {@code tensor} to {@code path} as {@code np.save} would, atomically (see {@link AtomicFiles}). */
    public static void write(Path path, Tensor tensor) {
        byte[] header = header(tensor);
        AtomicFiles.write(path, out -> {
            out.write(header);
            Elements.write(out, tensor, ByteOrder.LITTLE_ENDIAN);
        });
    }

    /** The bytes of a {@code .npy} file holding {@code tensor}: the same bytes {@code np.save} writes. */
    public static byte[] toBytes(Tensor tensor) {
        byte[] header = header(tensor);
        long total = header.length + (long) tensor.size() * tensor.dtype().byteSize();
        if (total > MAX_ELEMENTS) {
            throw new DescentException("a " + tensor.dtype() + Tensor.shapeString(tensor.shape())
                    + " tensor is " + total + " bytes as .npy, too large for a byte array; write it to a file instead");
        }
        byte[] bytes = Arrays.copyOf(header, (int) total);
        ByteBuffer data = ByteBuffer.wrap(bytes, header.length, bytes.length - header.length).slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (tensor.dtype()) {
            case F32 -> data.asFloatBuffer().put(tensor.floats());
            case F64 -> data.asDoubleBuffer().put(tensor.doubles());
            case I32 -> data.asIntBuffer().put(tensor.ints());
            case I64 -> data.asLongBuffer().put(tensor.longs());
        }
        return bytes;
    }

    /** The magic, version, header length and header that NumPy's {@code np.save} writes for this tensor. */
    private static byte[] header(Tensor tensor) {
        int[] shape = tensor.shape();
        StringBuilder dict = new StringBuilder()
                .append("{'descr': '").append(tensor.dtype().numpyDescr())
                .append("', 'fortran_order': False, 'shape': ").append(pyShape(shape)).append(", }");
        // NumPy leaves spare spaces so that the first dimension can grow in place; copied so that
        // our files are byte-identical to np.save's.
        if (shape.length > 0) dict.repeat(' ', GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length());
        byte[] text = dict.toString().getBytes(StandardCharsets.US_ASCII);
        // Version 1.0 unless its 16-bit header length cannot hold the header; as np.save decides.
        int version = 1, prefix = 10;
        int padding = ARRAY_ALIGN - (prefix + text.length + 1) % ARRAY_ALIGN; // 64, not 0, when aligned: as NumPy
        if (text.length + 1 + padding > 0xffff) {
            version = 2;
            prefix = 12;
            padding = ARRAY_ALIGN - (prefix + text.length + 1) % ARRAY_ALIGN;
        }
        int headerLength = text.length + 1 + padding;
        ByteBuffer buffer = ByteBuffer.allocate(prefix + headerLength).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) buffer.putShort((short) headerLength); else buffer.putInt(headerLength);
        buffer.put(text);
        for (int i = 0; i < padding; i++) buffer.put((byte) ' ');
        buffer.put((byte) '\n');
        return buffer.array();
    }

    // ---------------------------------------------------------------------------------------- messages

    /** A shape as Python prints a tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String pyShape(int[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return sb.append(')').toString();
    }

    private static DescentException sizeMismatch(String name, Header h, long actual) {
        long expected = (long) h.count() * h.dtype().byteSize();
        String says = "header says shape " + pyShape(h.shape()) + " of " + h.descr() + " (" + expected
                + " bytes) but the file has " + actual + " bytes of data";
        return new DescentException(name + ": " + (actual < expected
                ? "truncated: " + says
                : says + " (" + (actual - expected) + " too many); the header does not match the data"));
    }

    private static DescentException malformed(String name, String what) {
        return new DescentException(name + ": malformed .npy header: " + what);
    }

    /** One line for an I/O failure, without Java exception class names. */
    static DescentException cannotRead(String name, IOException e) {
        String why = switch (e) {
            case NoSuchFileException n -> "no such file";
            case AccessDeniedException a -> "permission denied";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
        return new DescentException(name + ": cannot read: " + oneLine(why, 200));
    }

    private static String snippet(String header) {
        return oneLine(header.strip(), 120);
    }

    /**
     * Makes text from a file safe to put in a one-line message: control characters are escaped and
     * long text is cut, so a corrupt file cannot break the line or flood the terminal.
     */
    static String oneLine(String s, int max) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return i < s.length() ? sb.append("...").toString() : sb.toString();
    }

    // ---------------------------------------------------------------------------------------- elements

    /** Converting between typed element arrays and their bytes in a given byte order; shared with {@link SafeTensors}. */
    static final class Elements {
        private Elements() {}

        private static final int CHUNK = 1 << 16; // a multiple of every element size
        /** Without a known file size, arrays start this big and grow as data actually arrives. */
        private static final int INITIAL_ELEMENTS = 1 << 20;

        /** Fewer bytes than expected: how many there were. */
        static final class ShortData extends Exception {
            final long bytesRead;
            ShortData(long bytesRead) {
                super(null, null, false, false);
                this.bytesRead = bytesRead;
            }
        }

        /**
         * Reads {@code count} elements. When {@code sizeVerified} is false the sizes come from an
         * unverified header, so the array grows with the data actually read rather than trusting the
         * count up front: a corrupt header cannot make us allocate gigabytes for a 100-byte stream.
         */
        static Object read(InputStream in, DType dtype, int count, ByteOrder order, boolean sizeVerified, String name)
                throws IOException, ShortData {
            int size = dtype.byteSize();
            long total = (long) count * size;
            Object array = allocate(dtype, sizeVerified ? count : Math.min(count, INITIAL_ELEMENTS), name);
            byte[] buffer = new byte[(int) Math.min(CHUNK, Math.max(total, 1))];
            ByteBuffer bytes = ByteBuffer.wrap(buffer).order(order);
            long done = 0;
            int filled = 0;
            while (done < total) {
                int want = (int) Math.min(buffer.length, total - done);
                int got = in.readNBytes(buffer, 0, want);
                done += got;
                if (got < want) throw new ShortData(done);
                int n = got / size;
                if (filled + n > length(array)) {
                    int grown = (int) Math.min(count, Math.max((long) filled + n, 2L * length(array)));
                    Object bigger = allocate(dtype, grown, name);
                    System.arraycopy(array, 0, bigger, 0, filled);
                    array = bigger;
                }
                bytes.clear();
                switch (dtype) {
                    case F32 -> bytes.asFloatBuffer().get((float[]) array, filled, n);
                    case F64 -> bytes.asDoubleBuffer().get((double[]) array, filled, n);
                    case I32 -> bytes.asIntBuffer().get((int[]) array, filled, n);
                    case I64 -> bytes.asLongBuffer().get((long[]) array, filled, n);
                }
                filled += n;
            }
            return array;
        }

        /** Writes the tensor's elements in {@code order}, a chunk at a time so that huge tensors need no huge buffer. */
        static void write(OutputStream out, Tensor tensor, ByteOrder order) throws IOException {
            int size = tensor.dtype().byteSize(), n = tensor.size(), perChunk = CHUNK / size;
            byte[] buffer = new byte[(int) Math.min(CHUNK, Math.max((long) n * size, 1))];
            ByteBuffer bytes = ByteBuffer.wrap(buffer).order(order);
            for (int i = 0; i < n; i += perChunk) {
                int k = Math.min(perChunk, n - i);
                switch (tensor.dtype()) {
                    case F32 -> bytes.asFloatBuffer().put(tensor.floats(), i, k);
                    case F64 -> bytes.asDoubleBuffer().put(tensor.doubles(), i, k);
                    case I32 -> bytes.asIntBuffer().put(tensor.ints(), i, k);
                    case I64 -> bytes.asLongBuffer().put(tensor.longs(), i, k);
                }
                out.write(buffer, 0, k * size);
            }
        }

        static Tensor tensor(Object array, int[] shape) {
            return switch (array) {
                case float[] a -> Tensor.of(a, shape);
                case double[] a -> Tensor.of(a, shape);
                case int[] a -> Tensor.of(a, shape);
                case long[] a -> Tensor.of(a, shape);
                default -> throw new IllegalArgumentException("not an element array: " + array.getClass());
            };
        }

        static int length(Object array) {
            return java.lang.reflect.Array.getLength(array);
        }

        private static Object allocate(DType dtype, int n, String name) {
            try {
                return switch (dtype) {
                    case F32 -> new float[n];
                    case F64 -> new double[n];
                    case I32 -> new int[n];
                    case I64 -> new long[n];
                };
            } catch (OutOfMemoryError e) {
                // One big allocation failing leaves the heap usable; say what to do instead of dying.
                throw new DescentException(name + ": not enough memory for " + n + " " + dtype
                        + " elements; give the JVM more heap (-Xmx)");
            }
        }
    }

    // ---------------------------------------------------------------------------------------- header literal

    /**
     * The subset of Python literal syntax that {@code .npy} headers use: dicts, tuples, lists, strings,
     * integers (with Python 2's {@code L} suffix), True, False and None. Strict: anything else is an error
     * with its position, never a guess.
     */
    static final class PyLiteral {
        record Tuple(List<Object> items) {}
        /** Python's None; distinct from Java null, which would hide bugs. */
        enum None { NONE }

        static final class Malformed extends Exception {
            final int position;
            Malformed(String message, int position) {
                super(message, null, false, false);
                this.position = position;
            }
        }

        private static final int MAX_DEPTH = 32;
        private final String text;
        private int pos;

        PyLiteral(String text) { this.text = text; }

        /** The whole header: one value, then only whitespace (NumPy pads with spaces and ends with a newline). */
        Object parseHeader() throws Malformed {
            Object value = value(0);
            skipSpace();
            if (pos < text.length()) throw new Malformed("unexpected '" + oneLine(String.valueOf(text.charAt(pos)), 4) + "' after the dict", pos);
            return value;
        }

        private Object value(int depth) throws Malformed {
            if (depth > MAX_DEPTH) throw new Malformed("nested too deeply", pos);
            skipSpace();
            if (pos >= text.length()) throw new Malformed("unexpected end of header", pos);
            char c = text.charAt(pos);
            return switch (c) {
                case '{' -> dict(depth);
                case '(' -> parenthesized(depth);
                case '[' -> new ArrayList<>(sequence(']', depth).items());
                case '\'', '"' -> string();
                default -> {
                    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) yield integer();
                    if (Character.isLetter(c)) yield word();
                    throw new Malformed("unexpected '" + oneLine(String.valueOf(c), 4) + "'", pos);
                }
            };
        }

        private Map<Object, Object> dict(int depth) throws Malformed {
            Map<Object, Object> map = new LinkedHashMap<>();
            pos++; // '{'
            while (true) {
                skipSpace();
                if (peek() == '}') { pos++; return map; }
                int keyAt = pos;
                Object key = value(depth + 1);
                if (!(key instanceof String)) throw new Malformed("dict keys must be strings", keyAt);
                if (map.containsKey(key)) throw new Malformed("duplicate key " + show(key), keyAt);
                skipSpace();
                expect(':');
                map.put(key, value(depth + 1));
                skipSpace();
                if (peek() == ',') pos++;
                else if (peek() != '}') throw new Malformed("expected ',' or '}'", pos);
            }
        }

        /** {@code (x)} is just x in Python; only a comma or {@code ()} makes a tuple. */
        private Object parenthesized(int depth) throws Malformed {
            Sequence s = sequence(')', depth);
            return s.items().size() == 1 && !s.hadComma() ? s.items().getFirst() : new Tuple(s.items());
        }

        private record Sequence(List<Object> items, boolean hadComma) {}

        private Sequence sequence(char close, int depth) throws Malformed {
            List<Object> items = new ArrayList<>();
            boolean hadComma = false;
            pos++; // opening bracket
            while (true) {
                skipSpace();
                if (peek() == close) { pos++; return new Sequence(items, hadComma); }
                items.add(value(depth + 1));
                skipSpace();
                if (peek() == ',') { pos++; hadComma = true; }
                else if (peek() != close) throw new Malformed("expected ',' or '" + close + "'", pos);
            }
        }

        private String string() throws Malformed {
            char quote = text.charAt(pos);
            int start = pos++;
            StringBuilder sb = new StringBuilder();
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == quote) return sb.toString();
                if (c == '\n') break;
                if (c == '\\') {
                    if (pos >= text.length()) break;
                    char e = text.charAt(pos++);
                    switch (e) {
                        case '\\', '\'', '"' -> sb.append(e);
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        default -> throw new Malformed("unsupported escape \\" + oneLine(String.valueOf(e), 4), pos - 2);
                    }
                } else {
                    sb.append(c);
                }
            }
            throw new Malformed("unterminated string", start);
        }

        private BigInteger integer() throws Malformed {
            int start = pos;
            if (peek() == '-' || peek() == '+') pos++;
            int digits = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos)) && text.charAt(pos) < 128) pos++;
            if (pos == digits) throw new Malformed("expected a number", start);
            if (pos - digits > 40) throw new Malformed("number too long", start);
            BigInteger value = new BigInteger(text.substring(start, pos));
            if (peek() == 'L' || peek() == 'l') pos++; // Python 2 long, written by old NumPy versions
            if (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
                throw new Malformed("expected an integer", start);
            }
            return value;
        }

        private Object word() throws Malformed {
            int start = pos;
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) pos++;
            return switch (text.substring(start, pos)) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> None.NONE;
                default -> throw new Malformed("unexpected name '" + oneLine(text.substring(start, pos), 30) + "'", start);
            };
        }

        private void expect(char c) throws Malformed {
            if (peek() != c) throw new Malformed("expected '" + c + "'", pos);
            pos++;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && " \t\r\n\f".indexOf(text.charAt(pos)) >= 0) pos++;
        }

        /** A parsed value as Python would print it, made safe for a one-line message. */
        static String show(Object value) {
            return oneLine(repr(value), 80);
        }

        private static String repr(Object value) {
            return switch (value) {
                case String s -> "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
                case Boolean b -> b ? "True" : "False";
                case None n -> "None";
                case Tuple(List<Object> items) -> {
                    StringBuilder sb = new StringBuilder("(");
                    for (int i = 0; i < items.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(items.get(i)));
                    yield sb.append(items.size() == 1 ? ",)" : ")").toString();
                }
                case List<?> list -> {
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < list.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(list.get(i)));
                    yield sb.append(']').toString();
                }
                case Map<?, ?> map -> {
                    StringBuilder sb = new StringBuilder("{");
                    int i = 0;
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        sb.append(i++ > 0 ? ", " : "").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                    }
                    yield sb.append('}').toString();
                }
                default -> String.valueOf(value);
            };
        }
    }
}
