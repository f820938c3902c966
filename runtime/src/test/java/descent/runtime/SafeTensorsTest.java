package descent.runtime;

import static descent.runtime.TestFiles.concat;
import static descent.runtime.TestFiles.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    // ------------------------------------------------------------------------------------ round trips

    @Test
    void roundTripsEveryDtypeAndShapeWithTensorFlowNames() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int k = 0;
        for (DType dtype : DType.values()) {
            for (int[] shape : List.of(new int[] {}, new int[] {5}, new int[] {2, 3, 4}, new int[] {0}, new int[] {2, 0, 3})) {
                tensors.put("t" + k++ + "_" + dtype + "/" + shape.length, TestFiles.sample(dtype, shape));
            }
        }
        tensors.put("w1", TestFiles.sample(DType.F32, 3, 2));
        tensors.put("w1/Adam", TestFiles.sample(DType.F32, 3, 2));
        tensors.put("w1/Adam_1", TestFiles.sample(DType.F32, 3, 2));
        tensors.put("beta1_power", Tensor.scalar(0.9f));
        tensors.put("global_step", Tensor.of(new long[] {1234567890123L}));
        tensors.put("quote\"back\\slash\nnewline\u0001", Tensor.of(new int[] {1}, 1));
        tensors.put("unicode é 中 😀", Tensor.of(new double[] {1, 2}, 2));
        tensors.put("", Tensor.of(new int[] {7}));
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, tensors);

        Map<String, Tensor> back = SafeTensors.read(file);
        assertEquals(tensors, back);
        assertEquals(Map.of(), SafeTensors.readMetadata(file));
    }

    @Test
    void metadataRoundTripsAndIsWrittenFirstWithSortedKeys() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("z", "last");
        metadata.put("format", "descent");
        metadata.put("model", "mlp\n\"two layers\"");
        SafeTensors.write(file, Map.of("w", Tensor.scalar(1)), metadata);
        assertEquals(metadata, SafeTensors.readMetadata(file));
        assertEquals(List.of("format", "model", "z"), List.copyOf(SafeTensors.readMetadata(file).keySet()));
        assertEquals("{\"__metadata__\":{\"format\":\"descent\",\"model\":\"mlp\\n\\\"two layers\\\"\",\"z\":\"last\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", headerOf(file).strip());
        assertEquals(Map.of("w", Tensor.scalar(1)), SafeTensors.read(file));
    }

    @Test
    void emptyMetadataIsOmitted() throws IOException {
        Path file = dir.resolve("e.safetensors");
        SafeTensors.write(file, Map.of(), Map.of());
        assertArrayEquals(concat(le(8), "{}      ".getBytes(StandardCharsets.UTF_8)), Files.readAllBytes(file));
    }

    // ------------------------------------------------------------------------------------ byte-exact files

    /** Expected files from the reference implementation's own tests (safetensors/src/tensor.rs). */
    @Test
    void writesWhatTheReferenceImplementationWrites() throws IOException {
        float[] values = {0, 1, 2, 3, 4, 5};
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) data.putFloat(v);

        Path a = dir.resolve("a.safetensors");
        SafeTensors.write(a, Map.of("attn.0", Tensor.of(values, 1, 2, 3)));
        assertArrayEquals(concat(le(64), ascii("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"),
                data.array()), Files.readAllBytes(a));

        // A shorter name leaves the header 7 bytes short of a multiple of 8: padded with spaces.
        Path b = dir.resolve("b.safetensors");
        SafeTensors.write(b, Map.of("attn0", Tensor.of(values, 1, 1, 2, 3)));
        assertArrayEquals(concat(le(72), ascii("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "),
                data.array()), Files.readAllBytes(b));

        Path c = dir.resolve("c.safetensors");
        SafeTensors.write(c, Map.of(), Map.of("framework", "pt"));
        assertArrayEquals(concat(le(40), ascii("{\"__metadata__\":{\"framework\":\"pt\"}}     ")), Files.readAllBytes(c));
    }

    @Test
    void ordersTensorsByAlignmentThenNameLikeTheReferenceImplementation() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.of(new float[] {1}, 1));
        tensors.put("a", Tensor.of(new int[] {2}, 1));
        tensors.put("c", Tensor.of(new double[] {3}, 1));
        tensors.put("global_step", Tensor.of(new long[] {4}));
        tensors.put("a2", Tensor.of(new float[] {5}, 1));
        tensors.put("\uffff", Tensor.of(new float[] {6}, 1));
        tensors.put("😀", Tensor.of(new float[] {7}, 1)); // a surrogate pair: after U+FFFF in UTF-8 order, before it in UTF-16
        Path file = dir.resolve("o.safetensors");
        SafeTensors.write(file, tensors);
        assertEquals(List.of("global_step", "c", "a2", "b", "\uffff", "😀", "a"), List.copyOf(SafeTensors.read(file).keySet()));
        assertEquals("{\"global_step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"c\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"a2\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"\uffff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"😀\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[32,36]}}", headerOf(file).strip());
        assertEquals(0, (8 + headerOf(file).getBytes(StandardCharsets.UTF_8).length) % 8);
    }

    @Test
    void readsInHeaderOrderWhateverTheDataOrder() throws IOException {
        byte[] data = concat(le(1), le(2)); // two I64 scalars; "first" is stored second
        Path file = file("{\"first\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
                + "\"second\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},\"__metadata__\":{}}", data);
        Map<String, Tensor> read = SafeTensors.read(file);
        assertEquals(List.of("first", "second"), List.copyOf(read.keySet()));
        assertEquals(Tensor.of(new long[] {2}), read.get("first"));
        assertEquals(Tensor.of(new long[] {1}), read.get("second"));
    }

    @Test
    void acceptsWhitespaceEscapesAndUnknownFields() throws IOException {
        Path file = file("\n { \"w\\/\\u0041\\ud83d\\ude00\" : { \"dtype\" : \"F32\" , \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ],"
                + " \"extra\": [null, true, false, -1.5e3, {}] } }\t\r\n", le32(1f));
        assertEquals(Map.of("w/A😀", Tensor.of(new float[] {1}, 1)), SafeTensors.read(file));
    }

    // ------------------------------------------------------------------------------------ corrupt files

    @Test
    void emptyShortAndLyingHeaderLength() throws IOException {
        Path empty = raw("empty.safetensors", new byte[0]);
        assertEquals(empty + ": not a SafeTensors file (the file is empty)", failure(() -> SafeTensors.read(empty)));
        Path shortFile = raw("short.safetensors", new byte[5]);
        assertEquals(shortFile + ": truncated: the file has 5 bytes, too few for a SafeTensors header",
                failure(() -> SafeTensors.read(shortFile)));
        Path lying = raw("lying.safetensors", concat(le(1000), new byte[100]));
        assertEquals(lying + ": truncated or not a SafeTensors file: the header length field says 1000 bytes but only 100 follow it",
                failure(() -> SafeTensors.read(lying)));
        Path npy = raw("x.npy", Npy.toBytes(Tensor.scalar(1)));
        assertEquals(npy + ": truncated or not a SafeTensors file: the header length field says 379676406402707 bytes but only 124 follow it",
                failure(() -> SafeTensors.read(npy)));
        Path negative = raw("neg.safetensors", concat(le(-1), new byte[16]));
        assertEquals(negative + ": truncated or not a SafeTensors file: the header length field says 18446744073709551615 bytes but only 16 follow it",
                failure(() -> SafeTensors.read(negative)));
    }

    @Test
    void headerLargerThanTheFormatAllows() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(le(150_000_000));
            f.setLength(150_000_100); // sparse: costs no disk
        }
        assertEquals(file + ": the SafeTensors header is 150000000 bytes, more than the 100000000 the format allows; the file is corrupt",
                failure(() -> SafeTensors.read(file)));
    }

    @Test
    void malformedJson() throws IOException {
        String p = ": malformed SafeTensors header: ";
        assertEquals(p + "it is not valid UTF-8", message(new byte[] {'{', '"', (byte) 0xff, '"', '}'}, new byte[0]));
        assertEquals(p + "expected a string key but found '}' at character 21", message("{\"w\":{\"dtype\":\"F32\",}}"));
        assertEquals(p + "unterminated string at character 2", message("{\"w"));
        assertEquals(p + "expected a string key but found a single quote at character 2", message("{'w': 1}"));
        assertEquals(p + "unexpected 'x' after the JSON value at character 4", message("{} x"));
        assertEquals(p + "it is not a JSON object", message("[1]"));
        assertEquals(p + "unexpected end of the header at character 1", message(""));
        assertEquals(p + "duplicate key 'w' at character 54",
                message("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"));
        assertEquals(p + "duplicate key 'dtype' at character 21", message("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F64\"}}"));
        assertEquals(p + "control character in a string at character 4", message("{\"w\n\":1}"));
        assertEquals(p + "invalid number at character 6", message("{\"w\":-}"));
        assertEquals(p + "unexpected '0' after the JSON value at character 2", message("00"));
        assertEquals(p + "unpaired surrogate in \\u escape at character 3", message("{\"\\ud800\":1}"));
        assertEquals(p + "nested too deeply at character 66", message("[".repeat(100)));
    }

    @Test
    void unsupportedAndUnknownDtypes() throws IOException {
        assertEquals(": tensor 'w' has dtype BF16, which Descent does not support; Descent reads F32, F64, I32 and I64",
                message("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]));
        assertEquals(": tensor 'w' has unknown dtype 'F128'; Descent reads F32, F64, I32 and I64",
                message("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16]));
        assertEquals(": malformed SafeTensors header: tensor 'w': dtype must be a string, not 32",
                message("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]));
    }

    @Test
    void badEntries() throws IOException {
        String p = ": malformed SafeTensors header: tensor 'w'";
        assertEquals(p + " must be an object with dtype, shape and data_offsets, not 3", message("{\"w\":3}"));
        assertEquals(p + " has no shape", message("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]));
        assertEquals(p + ": shape must be a list of non-negative integers, not [-1]", entry("[-1]", "[0,4]"));
        assertEquals(p + ": shape must be a list of non-negative integers, not [2.0]", entry("[2.0]", "[0,4]"));
        assertEquals(p + ": shape must be a list of non-negative integers, not \"2\"", entry("\"2\"", "[0,4]"));
        assertEquals(p + ": data_offsets must be [begin, end] with 0 <= begin <= end < 2^63, not [0]", entry("[1]", "[0]"));
        assertEquals(p + ": data_offsets must be [begin, end] with 0 <= begin <= end < 2^63, not [4, 0]", entry("[1]", "[4,0]"));
        assertEquals(p + ": data_offsets must be [begin, end] with 0 <= begin <= end < 2^63, not [0, 99999999999999999999]",
                entry("[1]", "[0,99999999999999999999]"));
        assertEquals(": tensor 'w' has dimension 4294967296, larger than a Descent tensor can hold (2147483647)", entry("[4294967296]", "[0,4]"));
        assertEquals(": tensor 'w' has shape [100000, 100000], 10000000000 elements, more than a Descent tensor can hold (2147483639)",
                entry("[100000,100000]", "[0,4]"));
        assertEquals(": tensor 'w' has shape [2, 3] of F32 (24 bytes) but data_offsets [0, 20] span 20 bytes", entry("[2,3]", "[0,20]"));
        assertEquals(": malformed SafeTensors header: __metadata__ values must be strings, but 'a' is 1",
                message("{\"__metadata__\":{\"a\":1}}"));
        assertEquals(": malformed SafeTensors header: __metadata__ must be an object of strings, not [\"a\"]",
                message("{\"__metadata__\":[\"a\"]}"));
        // A name full of control characters still gives one line.
        assertEquals(": malformed SafeTensors header: tensor 'a\\nb\\x01' must be an object with dtype, shape and data_offsets, not null",
                message("{\"a\\nb\\u0001\":null}"));
    }

    @Test
    void offsetsMustTileTheDataBufferExactly() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        String b = "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        assertEquals(": truncated: tensor 'b' has data_offsets [8, 16] but the file has only 12 bytes of data",
                message("{" + a + "[0,8]}," + b + "[8,16]}}", new byte[12]));
        assertEquals(": tensors 'a' [0, 8] and 'b' [4, 12] overlap in the data buffer",
                message("{" + a + "[0,8]}," + b + "[4,12]}}", new byte[12]));
        assertEquals(": bytes 8 to 12 of the data buffer belong to no tensor; the header does not match the data",
                message("{" + a + "[0,8]}," + b + "[12,20]}}", new byte[20]));
        assertEquals(": bytes 0 to 8 of the data buffer belong to no tensor; the header does not match the data",
                message("{" + b + "[8,16]}}", new byte[16]));
        assertEquals(": the file has 20 bytes of data but the tensors cover only 16; the header does not match the data",
                message("{" + a + "[0,8]}," + b + "[8,16]}}", new byte[20]));
        // Empty tensors take no bytes and may sit at any boundary.
        String e = "\"e\":{\"dtype\":\"F64\",\"shape\":[0,3],\"data_offsets\":";
        assertEquals(3, SafeTensors.read(file("{" + a + "[0,8]}," + e + "[8,8]}," + b + "[8,16]}}", new byte[16])).size());
    }

    @Test
    void missingFileAndDirectory() {
        assertEquals(dir.resolve("none") + ": cannot read: no such file", failure(() -> SafeTensors.read(dir.resolve("none"))));
        assertEquals(dir + ": cannot read: it is a directory", failure(() -> SafeTensors.readMetadata(dir)));
    }

    // ------------------------------------------------------------------------------------ failed writes

    @Test
    void aRejectedWriteLeavesTheOldCheckpointAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, Map.of("w", Tensor.scalar(1)));
        byte[] before = Files.readAllBytes(file);

        assertEquals("cannot write " + file + ": __metadata__ is reserved by SafeTensors and cannot name a tensor",
                failure(() -> SafeTensors.write(file, Map.of("__metadata__", Tensor.scalar(2)))));
        assertEquals("cannot write " + file + ": 'bad\ud800' contains an unpaired surrogate character and is not valid Unicode",
                failure(() -> SafeTensors.write(file, Map.of("bad\ud800", Tensor.scalar(2)))));
        assertEquals("cannot write " + file + ": 'x\udc00' contains an unpaired surrogate character and is not valid Unicode",
                failure(() -> SafeTensors.write(file, Map.of("w", Tensor.scalar(2)), Map.of("k", "x\udc00"))));
        Path missing = dir.resolve("no/such/dir/c.safetensors");
        assertEquals("cannot write " + missing + ": directory " + missing.getParent() + " does not exist",
                failure(() -> SafeTensors.write(missing, Map.of("w", Tensor.scalar(2)))));

        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    // ------------------------------------------------------------------------------------ helpers

    private String entry(String shape, String offsets) throws IOException {
        return message("{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}", new byte[4]);
    }

    private String message(String header) throws IOException {
        return message(header, new byte[0]);
    }

    private String message(String header, byte[] data) throws IOException {
        return message(header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** The failure message for a file with this header and data, with the file name cut off the front. */
    private String message(byte[] header, byte[] data) throws IOException {
        Path file = raw("bad.safetensors", concat(le(header.length), header, data));
        String message = failure(() -> SafeTensors.read(file));
        assertEquals(message, failure(() -> SafeTensors.readMetadata(file)));
        assertFalse(message.isEmpty());
        return message.substring(file.toString().length());
    }

    private Path file(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw("f.safetensors", concat(le(h.length), h, data));
    }

    private Path raw(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static String headerOf(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int n = (int) ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(all, 8, n, StandardCharsets.UTF_8);
    }

    private static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] le32(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
