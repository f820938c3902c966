package descent.compiler.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** TF's messages format numbers with Python's %s; Descent prints them the same way. */
class PythonNumbersTest {
    @Test
    void formatsLikePythonRepr() {
        assertEquals("0.0", Optimizer.py(0.0));
        assertEquals("-1.0", Optimizer.py(-1.0));
        assertEquals("0.1", Optimizer.py(0.1));
        assertEquals("0.0001", Optimizer.py(1e-4));
        assertEquals("1e-05", Optimizer.py(1e-5));
        assertEquals("-2.5e-07", Optimizer.py(-2.5e-7));
        assertEquals("123456.0", Optimizer.py(123456.0));
        assertEquals("1e+16", Optimizer.py(1e16));
        assertEquals("1234567890123456.0", Optimizer.py(1234567890123456.0));
        assertEquals("inf", Optimizer.py(Double.POSITIVE_INFINITY));
    }
}
