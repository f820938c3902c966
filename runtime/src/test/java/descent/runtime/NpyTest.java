package descent.runtime;

import static descent.runtime.TestFiles.bytes;
import static descent.runtime.TestFiles.concat;
import static descent.runtime.TestFiles.hex;
import static descent.runtime.TestFiles.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {
    @TempDir Path dir;

    // ------------------------------------------------------------------------------------ round trips

    static Stream<Arguments> dtypesAndShapes() {
        List<int[]> shapes = List.of(new int[] {}, new int[] {5}, new int[] {2, 3, 4}, new int[] {0}, new int[] {2, 0, 3});
        return Stream.of(DType.values()).flatMap(d -> shapes.stream().map(s -> Arguments.of(d, s)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dtypesAndShapes")
    void roundTripsEveryDtypeAndShapeThroughAFileAndBytes(DType dtype, int[] shape) throws IOException {
        Tensor t = TestFiles.sample(dtype, shape);
        Path file = dir.resolve("t.npy");
        Npy.write(file, t);
        assertEquals(t, Npy.read(file));
        assertArrayEquals(Npy.toBytes(t), Files.readAllBytes(file));
        assertEquals(t, Npy.read(new ByteArrayInputStream(Npy.toBytes(t)), "mem"));
        assertEquals(0, Files.readAllBytes(file).length - (long) t.size() * dtype.byteSize() & 63,
                "the data starts on a 64-byte boundary, as np.save aligns it");
    }

    @Test
    void keepsExtremeValuesAndNaNBitsExactly() {
        float[] f = {Float.NaN, Float.intBitsToFloat(0x7fc01234), Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE};
        float[] back = Npy.read(new ByteArrayInputStream(Npy.toBytes(Tensor.of(f, 6))), "m").floats();
        for (int i = 0; i < f.length; i++) assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(back[i]));
        long[] l = {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0};
        assertArrayEquals(l, Npy.read(new ByteArrayInputStream(Npy.toBytes(Tensor.of(l, 4))), "m").longs());
    }

    // ------------------------------------------------------------------------------------ byte-exact headers

    /** The header of np.save for a float32 array of shape (2, 3), built by hand from the format's definition. */
    @Test
    void writesTheBytesNumpyWritesForFloat32TwoByThree() {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        // NumPy >= 1.24 pads 21 - len("2") spaces so the first axis can grow in place, then pads to a
        // multiple of 64 with spaces and a final newline. Either way the header block is 128 bytes here.
        int block = 128;
        String header = dict + " ".repeat(block - 10 - dict.length() - 1) + "\n";
        byte[] expectedHeader = concat(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (block - 10), 0},
                header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) data.putFloat(i / 4f);

        byte[] actual = Npy.toBytes(Tensor.of(new float[] {0, .25f, .5f, .75f, 1, 1.25f}, 2, 3));
        assertArrayEquals(concat(expectedHeader, data.array()), actual);
        assertEquals(block, actual.length - 24);
    }

    /** Bytes of np.save (NumPy 2.4.6) for a few arrays: equal after writing and after reading. */
    static Stream<Arguments> numpyGolden() {
        return Stream.of(
                Arguments.of("np.arange(6, dtype='<f4').reshape(2,3)/4",
                        Tensor.of(new float[] {0, .25f, .5f, .75f, 1, 1.25f}, 2, 3),
                        "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803e0000003f0000403f0000803f0000a03f"),
                Arguments.of("np.array(3.5)", Tensor.of(new double[] {3.5}),
                        "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000c40"),
                Arguments.of("np.array([1,-2,3,2**31-1,-2**31], dtype='<i4')",
                        Tensor.of(new int[] {1, -2, 3, Integer.MAX_VALUE, Integer.MIN_VALUE}, 5),
                        "934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028352c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000000feffffff03000000ffffff7f00000080"),
                Arguments.of("int64 (2, 2, 2)", Tensor.of(new long[] {1, -2, 3, 1L << 40, -(1L << 62), 0, 7, 9}, 2, 2, 2),
                        "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000000000000feffffffffffffff0300000000000000000000000001000000000000000000c0000000000000000007000000000000000900000000000000"),
                Arguments.of("np.zeros((0,), '<f4')", Tensor.of(new float[0], 0),
                        "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028302c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a"),
                Arguments.of("np.zeros((2,0,3), '<i8')", Tensor.of(new long[0], 2, 0, 3),
                        "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20302c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a"),
                Arguments.of("np.ones((1,)*20, '<i4'): a 192-byte header", Tensor.of(new int[] {1}, ones(20)),
                        "934e554d50590100b6007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c2031292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000000"),
                Arguments.of("np.full((1,)*36, 2, '<f4'): text ends on a 64-byte boundary, so NumPy pads a whole 64 more",
                        Tensor.of(new float[] {2}, ones(36)),
                        "934e554d50590100f6007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c2031292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000040"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("numpyGolden")
    void matchesNumpyByteForByte(String what, Tensor tensor, String numpyHex) {
        assertEquals(numpyHex, hex(Npy.toBytes(tensor)));
        assertEquals(tensor, Npy.read(new ByteArrayInputStream(bytes(numpyHex)), what));
    }

    // ------------------------------------------------------------------------------------ other layouts numpy writes

    @Test
    void transposesFortranOrderArrays() {
        // np.save('x.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2,3))) stores column by column.
        String f32 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000040400000803f00008040000000400000a040";
        assertEquals(Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3), Npy.read(new ByteArrayInputStream(bytes(f32)), "f"));
        // np.asfortranarray(np.arange(24, dtype='<i4').reshape(2,3,4))
        String i32 = "934e554d5059010076007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c20332c2034292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000c00000004000000100000000800000014000000010000000d00000005000000110000000900000015000000020000000e00000006000000120000000a00000016000000030000000f00000007000000130000000b00000017000000";
        int[] expected = new int[24];
        for (int i = 0; i < 24; i++) expected[i] = i;
        assertEquals(Tensor.of(expected, 2, 3, 4), Npy.read(new ByteArrayInputStream(bytes(i32)), "f"));
    }

    @Test
    void convertsBigEndian() {
        // np.arange(6, dtype='>f8').reshape(2,3) and np.array([1,-2,300], dtype='>i4')
        String f64 = "934e554d5059010076007b276465736372273a20273e6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000000003ff00000000000004000000000000000400800000000000040100000000000004014000000000000";
        assertEquals(Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 2, 3), Npy.read(new ByteArrayInputStream(bytes(f64)), "b"));
        String i32 = "934e554d5059010076007b276465736372273a20273e6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000001fffffffe0000012c";
        assertEquals(Tensor.of(new int[] {1, -2, 300}, 3), Npy.read(new ByteArrayInputStream(bytes(i32)), "b"));
    }

    @Test
    void readsFormatVersions2And3() {
        // np.lib.format.write_array(f, np.arange(3, dtype='<i4'), version=(2,0)) and (3,0)
        String v2 = "934e554d50590200740000007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000100000002000000";
        String v3 = "934e554d50590300740000007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000100000002000000";
        Tensor expected = Tensor.of(new int[] {0, 1, 2}, 3);
        assertEquals(expected, Npy.read(new ByteArrayInputStream(bytes(v2)), "v2"));
        assertEquals(expected, Npy.read(new ByteArrayInputStream(bytes(v3)), "v3"));
    }

    @Test
    void readsOlderHeaderStyles() {
        // NumPy before 1.14 aligned to 16 bytes and had no growth padding; Python 2 wrote longs as 3L.
        assertEquals(Tensor.of(new float[6], 2, 3), Npy.read(stream(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 16, new byte[24])), "old"));
        assertEquals(Tensor.of(new long[2], 2, 1), Npy.read(stream(npy("{'shape': (2L, 1L), 'fortran_order': False, 'descr': '<i8'}", 16, new byte[16])), "py2"));
        assertEquals(Tensor.of(new int[1]), Npy.read(stream(npy("{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": ()}", 64, new byte[4])), "dq"));
    }

    // ------------------------------------------------------------------------------------ corrupt files

    @Test
    void truncatedDataNamesTheFileAndTheSizes() throws IOException {
        byte[] good = Npy.toBytes(Tensor.of(new float[12], 3, 4));
        Path file = write("data.npy", java.util.Arrays.copyOf(good, good.length - 8));
        assertEquals(file + ": truncated: header says shape (3, 4) of <f4 (48 bytes) but the file has 40 bytes of data",
                failure(() -> Npy.read(file)));
        assertEquals("in: truncated: header says shape (3, 4) of <f4 (48 bytes) but the file has 40 bytes of data",
                failure(() -> Npy.read(stream(java.util.Arrays.copyOf(good, good.length - 8)), "in")));
    }

    @Test
    void extraDataIsAnError() throws IOException {
        byte[] good = Npy.toBytes(Tensor.of(new float[12], 3, 4));
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 8);
        String expected = "x.npy: header says shape (3, 4) of <f4 (48 bytes) but the file has 56 bytes of data (8 too many);"
                + " the header does not match the data";
        assertEquals(expected, failure(() -> Npy.read(stream(longer), "x.npy")));
        Path file = write("x.npy", longer);
        assertEquals(file + expected.substring(5), failure(() -> Npy.read(file)));
    }

    @Test
    void badMagicEmptyAndTooShortFiles() {
        assertEquals("a.csv: not a NumPy .npy file (it does not start with \\x93NUMPY)",
                failure(() -> Npy.read(stream("x,y\n1,2\n".getBytes()), "a.csv")));
        assertEquals("e.npy: not a NumPy .npy file (the file is empty)", failure(() -> Npy.read(stream(new byte[0]), "e.npy")));
        assertEquals("s.npy: truncated: the file has 4 bytes, too few for a .npy header",
                failure(() -> Npy.read(stream(new byte[] {(byte) 0x93, 'N', 'U', 'M'}), "s.npy")));
        assertEquals("s.npy: truncated: the file ends inside the .npy header",
                failure(() -> Npy.read(stream(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5}), "s.npy")));
    }

    @Test
    void unsupportedVersion() {
        byte[] b = Npy.toBytes(Tensor.of(new float[1], 1));
        b[6] = 4;
        assertEquals("v.npy: unsupported .npy format version 4.0 (Descent reads 1.0, 2.0 and 3.0)", failure(() -> Npy.read(stream(b), "v.npy")));
    }

    @Test
    void headerLongerThanTheFileOrAbsurdlyLong() {
        byte[] b = java.util.Arrays.copyOf(Npy.toBytes(Tensor.of(new float[1], 1)), 50);
        assertEquals("h.npy: truncated: the .npy header is 118 bytes but the file ends after 40 of them", failure(() -> Npy.read(stream(b), "h.npy")));
        byte[] v2 = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, -1, -1, -1, -1, '{'};
        assertEquals("h.npy: the .npy header claims to be 4294967295 bytes, more than the 1048576 Descent accepts; the file is corrupt",
                failure(() -> Npy.read(stream(v2), "h.npy")));
    }

    @Test
    void malformedHeaders() {
        assertEquals("m.npy: malformed .npy header: the header is not a dict: ['<f4', False, (2,)]",
                malformedMessage("['<f4', False, (2,)]"));
        assertEquals("m.npy: malformed .npy header: the header has no 'shape' key: {'descr': '<f4', 'fortran_order': False}",
                malformedMessage("{'descr': '<f4', 'fortran_order': False}"));
        assertEquals("m.npy: malformed .npy header: unexpected key 'extra' in the header: {'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}"));
        assertEquals("m.npy: malformed .npy header: expected ',' or '}' at column 18 of {'descr': '<f4, 'fortran_order': False, 'shape': (1,)}",
                malformedMessage("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}"));
        assertEquals("m.npy: malformed .npy header: unterminated string at column 11 of {'descr': '<f4",
                malformedMessage("{'descr': '<f4"));
        assertEquals("m.npy: malformed .npy header: 'shape' must be a tuple of integers, not 1",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (1)}"));
        assertEquals("m.npy: malformed .npy header: 'shape' must be a tuple of integers, not [1]",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"));
        assertEquals("m.npy: malformed .npy header: expected an integer at column 52 of {'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}"));
        assertEquals("m.npy: malformed .npy header: negative dimension -1 in shape (-1,)",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"));
        assertEquals("m.npy: malformed .npy header: 'fortran_order' must be True or False, not 'no'",
                malformedMessage("{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}"));
        assertEquals("m.npy: malformed .npy header: duplicate key 'shape' at column 57 of {'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,)}",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,)}"));
        assertEquals("m.npy: malformed .npy header: unexpected 'x' after the dict at column 59 of {'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x"));
        assertEquals("m.npy: malformed .npy header: unexpected name 'np' at column 51 of {'descr': '<f4', 'fortran_order': False, 'shape': np.int64(3)}",
                malformedMessage("{'descr': '<f4', 'fortran_order': False, 'shape': np.int64(3)}"));
        assertEquals("m.npy: malformed .npy header: the header is empty",
                malformedMessage(""));
        // Control characters in a corrupt header do not break the message's single line.
        assertEquals("m.npy: malformed .npy header: unexpected '\\x01' at column 2 of {\\x01\\n}", malformedMessage("{\u0001\n}"));
        assertEquals("m.npy: malformed .npy header: nested too deeply at column 34 of " + "(".repeat(100),
                malformedMessage("(".repeat(100) + " ".repeat(50)));
        assertEquals("m.npy: malformed .npy header: unexpected key 'a\\nb' in the header: {'a\\nb': 1, 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                malformedMessage("{'a\\nb': 1, 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"));
    }

    @Test
    void unsupportedDtypesSayWhatTheyAreAndWhatToDo() {
        String tail = "; Descent reads f4, f8, i4 and i8 arrays (little- or big-endian); convert it in NumPy first, e.g. a.astype(np.float32)";
        assertEquals("d.npy: unsupported dtype '<f2' (float16)" + tail, dtypeMessage("'<f2'"));
        assertEquals("d.npy: unsupported dtype '|b1' (bool)" + tail, dtypeMessage("'|b1'"));
        assertEquals("d.npy: unsupported dtype '|O' (Python objects)" + tail, dtypeMessage("'|O'"));
        assertEquals("d.npy: unsupported dtype '<u4' (uint32)" + tail, dtypeMessage("'<u4'"));
        assertEquals("d.npy: unsupported dtype '<c16' (complex128)" + tail, dtypeMessage("'<c16'"));
        assertEquals("d.npy: unsupported dtype '<U3' (unicode strings)" + tail, dtypeMessage("'<U3'"));
        assertEquals("d.npy: unsupported dtype '<M8[ns]' (datetime64)" + tail, dtypeMessage("'<M8[ns]'"));
        assertEquals("d.npy: unsupported dtype '|f4' (the byte order must be '<' or '>')" + tail, dtypeMessage("'|f4'"));
        assertEquals("d.npy: unsupported dtype 'float32'" + tail, dtypeMessage("'float32'"));
        assertEquals("d.npy: unsupported dtype [('a', '<f4'), ('b', '<i4')] (a structured array); Descent reads f4, f8, i4 and i8 arrays (little- or big-endian)",
                dtypeMessage("[('a', '<f4'), ('b', '<i4')]"));
    }

    @Test
    void hugeShapesAreRejectedBeforeAllocating() throws IOException {
        assertEquals("h.npy: dimension 4294967296 in shape (4294967296,) is larger than a Descent tensor can hold (2147483647)",
                failure(() -> Npy.read(stream(npy(dict("'<f4'", "(4294967296,)"), 64, new byte[0])), "h.npy")));
        assertEquals("h.npy: shape (100000, 100000) has 10000000000 elements, more than a Descent tensor can hold (2147483639)",
                failure(() -> Npy.read(stream(npy(dict("'<f4'", "(100000, 100000)"), 64, new byte[0])), "h.npy")));
        assertEquals("h.npy: shape (65536, 65536, 65536, 65536, 65536) has 1208925819614629174706176 elements, more than a Descent tensor can hold (2147483639)",
                failure(() -> Npy.read(stream(npy(dict("'<f4'", "(65536, 65536, 65536, 65536, 65536)"), 64, new byte[0])), "h.npy")));
        assertEquals("h.npy: malformed .npy header: number too long at column 52 of {'descr': '<f4', 'fortran_order': False, 'shape': (" + "9".repeat(50) + ",)}",
                failure(() -> Npy.read(stream(npy(dict("'<f4'", "(" + "9".repeat(50) + ",)"), 64, new byte[0])), "h.npy")));
        // 2^31 - 9 doubles would be 16 GiB: a file must hold the data, and a stream must deliver it,
        // before any of that is allocated.
        byte[] claim = npy(dict("'<f8'", "(2147483639,)"), 64, new byte[16]);
        assertEquals("h.npy: truncated: header says shape (2147483639,) of <f8 (17179869112 bytes) but the file has 16 bytes of data",
                failure(() -> Npy.read(stream(claim), "h.npy")));
        Path file = write("h.npy", claim);
        assertTrue(failure(() -> Npy.read(file)).endsWith("h.npy: truncated: header says shape (2147483639,) of <f8 (17179869112 bytes) but the file has 16 bytes of data"));
    }

    @Test
    void missingFileAndDirectory() {
        assertEquals(dir.resolve("none.npy") + ": cannot read: no such file", failure(() -> Npy.read(dir.resolve("none.npy"))));
        assertEquals(dir + ": cannot read: it is a directory", failure(() -> Npy.read(dir)));
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("missing/out.npy");
        assertEquals("cannot write " + target + ": directory " + dir.resolve("missing") + " does not exist",
                failure(() -> Npy.write(target, Tensor.scalar(1))));
        assertFalse(Files.exists(dir.resolve("missing")));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    // ------------------------------------------------------------------------------------ helpers

    private static int[] ones(int n) {
        int[] s = new int[n];
        java.util.Arrays.fill(s, 1);
        return s;
    }

    private static String dict(String descr, String shape) {
        return "{'descr': " + descr + ", 'fortran_order': False, 'shape': " + shape + "}";
    }

    private static String malformedMessage(String header) {
        return failure(() -> Npy.read(stream(npy(header, 64, new byte[4])), "m.npy"));
    }

    private static String dtypeMessage(String descr) {
        return failure(() -> Npy.read(stream(npy(dict(descr, "(1,)"), 64, new byte[8])), "d.npy"));
    }

    /** A version 1.0 .npy image with the given header text, padded with spaces and a newline to {@code align}. */
    static byte[] npy(String header, int align, byte[] data) {
        int length = header.length() + 1;
        int padding = (align - (10 + length) % align) % align;
        String text = header + " ".repeat(padding) + "\n";
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) text.length(), (byte) (text.length() >> 8)};
        return concat(prefix, text.getBytes(StandardCharsets.ISO_8859_1), data);
    }

    private static ByteArrayInputStream stream(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }
}
