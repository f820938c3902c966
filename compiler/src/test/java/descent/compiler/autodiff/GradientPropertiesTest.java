package descent.compiler.autodiff;

import descent.runtime.Tensor;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Random broadcasting shapes and random compositions, checked against finite differences: every binary op
 * over shapes of rank 0..3 that broadcast NumPy-style (dimensions dropped on the left or set to 1), wrapped
 * in a random smooth unary op and reduced along a random axis. The draws are seeded, so every run checks
 * the same 80 cases; each case's name shows its expression and shapes.
 */
class GradientPropertiesTest {

    private static final String[] BINARY = {
            "a + b", "a - b", "a * b", "a / b", "maximum(a, b)", "minimum(a, b)", "pow(a, b)", "squared_difference(a, b)",
    };
    private static final String[] WRAP = {"%s", "tanh(%s)", "sigmoid(%s) * 3.0", "softplus(%s)", "exp(%s * 0.5)", "square(%s)"};

    @TestFactory
    Stream<DynamicTest> randomBroadcastingCompositions() {
        Random cases = new Random(7340981);
        return IntStream.range(0, 80).mapToObj(i -> randomCase(cases.nextInt(8), cases.nextInt(WRAP.length), cases.nextInt(1_000_000)));
    }

    private static DynamicTest randomCase(int op, int wrap, int seed) {
        Random r = new Random(seed);
        int rank = r.nextInt(4);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) out[i] = 1 + r.nextInt(3);
        int[] sa = operandShape(out, r), sb = operandShape(out, r);
        String y0 = WRAP[wrap].formatted(BINARY[op]);
        String y = y0;
        int yRank = Math.max(sa.length, sb.length);
        if (yRank > 0 && r.nextBoolean()) {
            y = "reduce_" + (r.nextBoolean() ? "sum" : "mean") + "(" + y0 + ", axis=" + (r.nextInt(2 * yRank) - yRank)
                    + (r.nextBoolean() ? ", keepdims=true" : "") + ")";
        }
        String expr = y;
        String name = expr + " a" + java.util.Arrays.toString(sa) + " b" + java.util.Arrays.toString(sb);
        return DynamicTest.dynamicTest(name, () -> {
            GradCheck.Gen g = new GradCheck.Gen(seed);
            Tensor a, b;
            switch (op) {
                case 3 -> { a = g.u(sa); b = g.away(sb); }
                case 4, 5 -> { Tensor[] ab = g.distinct(sa, sb); a = ab[0]; b = ab[1]; }
                case 6 -> { a = g.pos(sa); b = g.u(sb); }
                default -> { a = g.u(sa); b = g.u(sb); }
            }
            GradCheck.of(expr).in("a", a).in("b", b).run();
        });
    }

    /** A shape that broadcasts to {@code out}: leading dimensions dropped, some of the rest set to 1. */
    private static int[] operandShape(int[] out, Random r) {
        int drop = r.nextInt(out.length + 1);
        int[] s = new int[out.length - drop];
        for (int i = 0; i < s.length; i++) s[i] = r.nextInt(3) == 0 ? 1 : out[drop + i];
        return s;
    }
}
