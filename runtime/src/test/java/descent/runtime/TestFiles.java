package descent.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import org.junit.jupiter.api.function.Executable;

/** Helpers shared by the file-format tests. */
final class TestFiles {
    private TestFiles() {}

    /** Runs {@code action}, which must fail with a one-line DescentException, and returns its message. */
    static String failure(Executable action) {
        DescentException e = assertThrows(DescentException.class, action);
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), () -> "not one line: " + message);
        return message;
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** A tensor whose elements are distinct, negative and positive, so that misplaced bytes show. */
    static Tensor sample(DType dtype, int... shape) {
        int n = Math.toIntExact(Tensor.elementCount(shape));
        double[] values = new double[n];
        for (int i = 0; i < n; i++) values[i] = (i % 2 == 0 ? 1 : -1) * (i * 1.5 + 0.25) * (dtype.isFloating() ? 1 : 4);
        return Tensor.fromDoubles(dtype, shape, values);
    }
}
