package descent.compiler.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random but valid model files for property tests: a small network over [batch, 3] values built from a
 * random mix of matmuls with variables, elementwise ops and reuse (values with several consumers, so
 * aggregation matters), with one train block under the given gate mode and aggregation method.
 */
public final class RandomModels {
    private RandomModels() {}

    public static String model(long seed, String gate, String aggregation, String optimizer) {
        return model(seed, gate, aggregation, optimizer, 3);
    }

    /** The same over [batch, width] values and width × width variables (a random bias row when width is not 3). */
    public static String model(long seed, String gate, String aggregation, String optimizer, int width) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("model random").append(seed).append('\n');
        sb.append("input x: f32[batch, ").append(width).append("]\n");
        int vars = 2 + r.nextInt(3);
        double stddev = width == 3 ? 0.5 : 1 / Math.sqrt(width);
        for (int i = 0; i < vars; i++) {
            sb.append("var w").append(i).append(": f32[").append(width).append(", ").append(width).append("] = random_normal(stddev=")
                    .append(stddev).append(", seed=").append(seed * 31 + i).append(")\n");
        }
        sb.append(width == 3 ? "var bias: f32[3] = [0.1, -0.2, 0.3]\n"
                : "var bias: f32[" + width + "] = random_uniform(minval=-0.3, maxval=0.3, seed=7)\n");
        sb.append("var global_step: i64[] = 0 (trainable=false)\n");
        List<String> pool = new ArrayList<>(List.of("x"));
        int nodes = 3 + r.nextInt(6);
        for (int i = 0; i < nodes; i++) {
            String a = pool.get(r.nextInt(pool.size())), b = pool.get(r.nextInt(pool.size()));
            String w = "w" + r.nextInt(vars);
            // Cases 9 and 10 hand a gradient on unchanged through ops that also compute from it (a − b with b
            // broadcast, and two such ops in a row): GATE_OP once deadlocked on them.
            String expr = switch (r.nextInt(11)) {
                case 0 -> a + " @ " + w;
                case 1 -> "relu(" + a + " @ " + w + " + bias)";
                case 2 -> "tanh(" + a + ")";
                case 3 -> a + " + " + b;
                case 4 -> a + " * " + b;
                case 5 -> "maximum(" + a + ", " + b + ")";
                case 6 -> "sigmoid(" + a + " @ " + w + ")";
                case 7 -> "square(" + a + ") * 0.5";
                case 9 -> "tanh(" + a + " @ " + w + " - bias)";
                case 10 -> a + " - bias * 0.5 + bias";
                default -> "matmul(" + a + ", " + w + ", transpose_b=true)";
            };
            String name = "h" + i;
            sb.append(name).append(" = ").append(expr).append('\n');
            pool.add(name);
        }
        // The loss uses the last value and a random earlier one, so most variables are connected.
        String last = pool.get(pool.size() - 1), other = pool.get(1 + r.nextInt(pool.size() - 1));
        sb.append("loss = reduce_mean(square(").append(last).append(")) + reduce_mean(").append(other).append(" @ w0)\n");
        sb.append("output loss\n");
        sb.append("train step {\n  ").append(optimizer).append(".minimize(loss, global_step=global_step, gate_gradients=")
                .append(gate).append(", aggregation_method=").append(aggregation).append(")\n}\n");
        return sb.toString();
    }
}
