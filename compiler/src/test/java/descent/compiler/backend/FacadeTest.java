package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import descent.compiler.Compiler;
import descent.runtime.DescentException;
import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.TrainingSession;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed façade a model jar holds, called as an application calls it, on inputs it cannot or can read. */
class FacadeTest {
    static final String ODD = """
            model odd
            input seq: f32[batch, time, 2]
            input sq: f32[n, n]
            input fixed: f32[3]
            var c: f32[3] = ones()
            s = reduce_sum(seq, axis=[1, 2])
            t = reduce_sum(sq, axis=1)
            f = reduce_sum(fixed * c)
            default = f * 2
            output s, t, f, default
            """;

    private static Object call(DescentModel m, String name, Object... args) throws Throwable {
        for (Method method : m.getClass().getMethods()) {
            if (method.getName().equals(name) && method.getParameterCount() == args.length) {
                try {
                    return method.invoke(m, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
        throw new AssertionError("no method " + name + " of " + args.length + " parameters");
    }

    @Test
    void inputsAFlatArrayCannotShapeAreRefusedInOneLine() throws Throwable {
        DescentModel m = Facades.define(Compiler.check("odd.descent", ODD));
        TrainingSession s = m.newSession(0);
        DescentException two = assertThrows(DescentException.class, () -> call(m, "s", s, new float[12]));
        assertEquals("`seq` is f32[batch, time, 2]: a typed method cannot tell batch from time in a flat array; feed it through"
                + " the session's train or evaluate with a Tensor of its shape", two.getMessage());
        // The session takes it as a Tensor.
        float[] seq = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        assertArrayEquals(new float[] {21, 57}, s.evaluate(Map.of("seq", Tensor.of(seq, 2, 3, 2)), List.of("s")).get("s").floats());
        DescentException fixed = assertThrows(DescentException.class, () -> call(m, "f", s, new float[2]));
        assertEquals("`fixed` is f32[3], 3 values; the array has 2", fixed.getMessage());
        DescentException rows = assertThrows(DescentException.class, () -> call(m, "t", s, new float[5]));
        assertEquals("`sq` is f32[n, n]: 5 values is not 1 × n^2", rows.getMessage());
        DescentException into = assertThrows(DescentException.class, () -> call(m, "f", s, new float[3], null));
        assertEquals("`into`, the array for `f`, is null", into.getMessage());
    }

    @Test
    void oneSymbolMaySizeSeveralDimensionsAndKeywordsGetAnUnderscore() throws Throwable {
        DescentModel m = Facades.define(Compiler.check("odd.descent", ODD));
        TrainingSession s = m.newSession(0);
        assertArrayEquals(new float[] {3, 7}, (float[]) call(m, "t", s, new float[] {1, 2, 3, 4}));
        assertArrayEquals(new float[0], (float[]) call(m, "t", s, new float[0]));
        float[] into = new float[1];
        call(m, "default_", s, new float[] {1, 2, 3}, into);
        assertArrayEquals(new float[] {12}, into);
        assertArrayEquals(new float[] {12}, (float[]) call(m, "default_", s, new float[] {1, 2, 3}));
    }
}
