package descent.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomised properties of the two file formats: round trips keep every bit, and no corruption of a
 * valid file makes a reader throw anything but a one-line {@link DescentException} naming the file.
 * Each case is a dynamic test named by its seed, so a failure is reproduced by its name.
 */
class FormatPropertiesTest {
    @TempDir Path dir;

    @TestFactory
    Stream<DynamicTest> npyRoundTripsEveryBit() {
        return seeds(300, r -> {
            Tensor t = randomTensor(r);
            byte[] bytes = Npy.toBytes(t);
            assertSameBits(t, Npy.read(new ByteArrayInputStream(bytes), "mem"));
            assertEquals(0, (bytes.length - (long) t.size() * t.dtype().byteSize()) % 64, "data is 64-byte aligned");
            if (r.nextInt(10) == 0) {
                Path file = dir.resolve("r.npy");
                Npy.write(file, t);
                assertSameBits(t, Npy.read(file));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> safeTensorsRoundTripsEveryBitInLibraryOrder() {
        return seeds(100, r -> {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (int i = r.nextInt(7); i > 0; i--) tensors.put(randomName(r), randomTensor(r));
            Map<String, String> metadata = new LinkedHashMap<>();
            for (int i = r.nextInt(3); i > 0; i--) metadata.put(randomName(r), randomName(r));
            Path file = dir.resolve("r.safetensors");
            SafeTensors.write(file, tensors, metadata);

            Map<String, Tensor> back = SafeTensors.read(file);
            List<String> expectedOrder = new ArrayList<>(tensors.keySet());
            expectedOrder.sort(Comparator.<String>comparingInt(n -> -List.of(DType.I32, DType.F32, DType.F64, DType.I64)
                            .indexOf(tensors.get(n).dtype()))
                    .thenComparing(n -> n.codePoints().toArray(), Arrays::compare));
            assertEquals(expectedOrder, List.copyOf(back.keySet()));
            for (String name : tensors.keySet()) assertSameBits(tensors.get(name), back.get(name));
            assertEquals(metadata, SafeTensors.readMetadata(file));
        });
    }

    @TestFactory
    Stream<DynamicTest> corruptNpyFailsCleanly() {
        return seeds(400, r -> {
            byte[] bytes = corrupt(Npy.toBytes(randomTensor(r)), r);
            try {
                Npy.read(new ByteArrayInputStream(bytes), "fuzz.npy");
            } catch (DescentException e) {
                assertOneLineNaming("fuzz.npy", e);
            }
            if (r.nextInt(8) == 0) {
                Path file = write("fuzz.npy", bytes);
                try {
                    Npy.read(file);
                } catch (DescentException e) {
                    assertOneLineNaming(file.toString(), e);
                }
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> corruptSafeTensorsFailsCleanly() {
        return seeds(300, r -> {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (int i = 1 + r.nextInt(4); i > 0; i--) tensors.put(randomName(r), randomTensor(r));
            Path good = dir.resolve("good.safetensors");
            SafeTensors.write(good, tensors, r.nextBoolean() ? Map.of("k", "v") : null);
            Path file = write("fuzz.safetensors", corrupt(Files.readAllBytes(good), r));
            try {
                SafeTensors.read(file);
            } catch (DescentException e) {
                assertOneLineNaming(file.toString(), e);
            }
        });
    }

    // ------------------------------------------------------------------------------------ generators

    private static Tensor randomTensor(Random r) {
        DType dtype = DType.values()[r.nextInt(4)];
        int[] shape = new int[r.nextInt(5)];
        for (int i = 0; i < shape.length; i++) shape[i] = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(5);
        int n = Math.toIntExact(Tensor.elementCount(shape));
        return switch (dtype) {
            // Raw bit patterns: NaNs with payloads, infinities, subnormals, negative zero all occur.
            case F32 -> { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(r.nextInt()); yield Tensor.of(a, shape); }
            case F64 -> { double[] a = new double[n]; for (int i = 0; i < n; i++) a[i] = Double.longBitsToDouble(r.nextLong()); yield Tensor.of(a, shape); }
            case I32 -> Tensor.of(r.ints(n).toArray(), shape);
            case I64 -> Tensor.of(r.longs(n).toArray(), shape);
        };
    }

    private static final String[] NAME_PARTS = {"w", "b", "1", "_", "/", "Adam", "global_step", "\"", "\\", "\n", "\u0001",
            " ", "é", "中", "😀", "__metadata_", "{", "}", ":", ","};

    private static String randomName(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(6); i > 0; i--) sb.append(NAME_PARTS[r.nextInt(NAME_PARTS.length)]);
        return sb.toString();
    }

    /** One of the ways files get damaged: cut short, a flipped bit, a lost or an extra byte, a garbled header. */
    private static byte[] corrupt(byte[] b, Random r) {
        int at = b.length == 0 ? 0 : r.nextInt(b.length);
        int headerish = Math.min(b.length, 140);
        return switch (r.nextInt(5)) {
            case 0 -> Arrays.copyOf(b, at);
            case 1 -> { byte[] c = b.clone(); if (c.length > 0) c[at] ^= (byte) (1 << r.nextInt(8)); yield c; }
            case 2 -> { byte[] c = b.clone(); if (headerish > 0) c[r.nextInt(headerish)] = (byte) r.nextInt(256); yield c; }
            case 3 -> TestFiles.concat(Arrays.copyOf(b, at), new byte[] {(byte) r.nextInt(256)}, Arrays.copyOfRange(b, at, b.length));
            default -> b.length == 0 ? b : TestFiles.concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + 1, b.length));
        };
    }

    // ------------------------------------------------------------------------------------ checks

    private interface Property {
        void check(Random r) throws IOException;
    }

    private static Stream<DynamicTest> seeds(int count, Property property) {
        return IntStream.range(0, count).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> property.check(new Random(seed))));
    }

    /** Equal dtype, shape and bits: Tensor.equals would call two different NaNs equal. */
    private static void assertSameBits(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        Supplier<String> what = expected::toString;
        switch (expected.dtype()) {
            case F32 -> {
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(Float.floatToRawIntBits(expected.floats()[i]), Float.floatToRawIntBits(actual.floats()[i]), what);
                }
            }
            case F64 -> {
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(Double.doubleToRawLongBits(expected.doubles()[i]), Double.doubleToRawLongBits(actual.doubles()[i]), what);
                }
            }
            case I32 -> assertArrayEquals(expected.ints(), actual.ints(), what);
            case I64 -> assertArrayEquals(expected.longs(), actual.longs(), what);
        }
    }

    private static void assertOneLineNaming(String name, DescentException e) {
        String m = e.getMessage();
        if (m == null) fail("no message", e);
        assertTrue(m.startsWith(name + ": "), () -> "does not start with the file name: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "not one line: " + m);
        assertFalse(m.length() > 400, () -> "too long: " + m);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }
}
