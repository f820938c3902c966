package descent.bench;

import java.util.List;
import java.util.Map;

/**
 * The benchmark cases' models in the Descent language. The TensorFlow side ({@code descent.bench.tf.TfCases})
 * builds the same graphs from TF's raw ops; both take their feeds from {@link Data}.
 */
public final class Models {
    private Models() {}

    /** Case a: logistic regression, 10 features, GradientDescent(0.1). */
    public static final String LOGREG = """
            model logreg10
            input x: f32[batch, 10]
            input y: f32[batch, 1]
            var w: f32[10, 1] = glorot_uniform(seed=1)
            var b: f32[1] = zeros()
            var global_step: i64[] = 0 (trainable=false)
            loss = reduce_mean(sigmoid_cross_entropy_with_logits(labels=y, logits=x @ w + b))
            output loss
            train step { GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step) }
            """;

    /**
     * Cases b and c: relu hidden layers, a linear last layer, sparse softmax cross entropy, minimised by
     * {@code optimizer} (Descent syntax).
     */
    public static String mlp(int[] sizes, String optimizer) {
        StringBuilder s = new StringBuilder("model mlp\ninput x: f32[batch, " + sizes[0] + "]\ninput labels: i32[batch]\n");
        for (int l = 1; l < sizes.length; l++) {
            s.append("var w").append(l).append(": f32[").append(sizes[l - 1]).append(", ").append(sizes[l])
                    .append("] = glorot_uniform(seed=").append(l).append(")\n");
            s.append("var b").append(l).append(": f32[").append(sizes[l]).append("] = zeros()\n");
        }
        s.append("var global_step: i64[] = 0 (trainable=false)\n");
        String h = "x";
        for (int l = 1; l < sizes.length; l++) {
            String z = h + " @ w" + l + " + b" + l;
            h = l == sizes.length - 1 ? z : "relu(" + z + ")";
            if (l < sizes.length - 1) { s.append("h").append(l).append(" = ").append(h).append('\n'); h = "h" + l; }
        }
        s.append("logits = ").append(h).append('\n');
        s.append("loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))\n");
        s.append("output loss\n");
        s.append("train step { ").append(optimizer).append(".minimize(loss, global_step=global_step) }\n");
        return s.toString();
    }

    /** Case d: one variable of {@code n} floats updated with a fed dense gradient, nothing else. */
    public static String update(String optimizer, int n) {
        return "model update\ninput g: f32[" + n + "]\nvar w: f32[" + n + "] = random_uniform(minval=-1, maxval=1, seed=1)\n"
                + "var global_step: i64[] = 0 (trainable=false)\n"
                + "train step { " + OPTIMIZERS.get(optimizer) + ".apply_gradients([(g, w)]) }\n";
    }

    /** Case e: an embedding table looked up by a batch of id lists, mean-pooled; only the table trains. */
    public static String embedding(int rows, int dim, int idsPerRow, String optimizer) {
        return "model embedding\ninput ids: i32[batch, " + idsPerRow + "]\ninput y: f32[batch]\n"
                + "var emb: f32[" + rows + ", " + dim + "] = random_normal(stddev=0.1, seed=1)\n"
                + "var global_step: i64[] = 0 (trainable=false)\n"
                + "h = reduce_mean(embedding_lookup(emb, ids), axis=1)\n"
                + "loss = reduce_mean(square(reduce_sum(h, axis=1) - y))\n"
                + "output loss\n"
                + "train step { " + OPTIMIZERS.get(optimizer) + ".minimize(loss, global_step=global_step) }\n";
    }

    /**
     * Every optimizer of case d by the name the TensorFlow side uses, at TF 1's defaults (learning rate 0.001
     * where TF has no default). AdagradDA needs the global step, so each model above declares one.
     */
    public static final Map<String, String> OPTIMIZERS = orderedMap(
            "gradient_descent", "GradientDescentOptimizer(0.001)",
            "momentum", "MomentumOptimizer(0.001, momentum=0.9)",
            "nesterov", "MomentumOptimizer(0.001, momentum=0.9, use_nesterov=true)",
            "adagrad", "AdagradOptimizer(0.001)",
            "adagrad_da", "AdagradDAOptimizer(0.001, global_step)",
            "adadelta", "AdadeltaOptimizer(0.001)",
            "adam", "AdamOptimizer(0.001)",
            "adamax", "AdamaxOptimizer(0.001)",
            "nadam", "NadamOptimizer(0.001)",
            "lazy_adam", "LazyAdamOptimizer(0.001)",
            "rmsprop", "RMSPropOptimizer(0.001)",
            "centered_rmsprop", "RMSPropOptimizer(0.001, centered=true)",
            "ftrl", "FtrlOptimizer(0.001)",
            "proximal_gradient_descent", "ProximalGradientDescentOptimizer(0.001)",
            "proximal_adagrad", "ProximalAdagradOptimizer(0.001)",
            "adamw", "AdamWOptimizer(0.0001, learning_rate=0.001)",
            "momentumw", "MomentumWOptimizer(0.0001, 0.001, 0.9)");

    /** Bytes one dense update of an {@code n}-float variable moves: variable and slots read and written, gradient read. */
    public static long updateBytes(String optimizer, int n) {
        int slots = switch (optimizer) {
            case "gradient_descent", "proximal_gradient_descent" -> 0;
            case "momentum", "nesterov", "adagrad", "proximal_adagrad", "momentumw" -> 1;
            case "centered_rmsprop" -> 3;
            default -> 2; // adagrad_da, adadelta, adam, adamax, nadam, lazy_adam, rmsprop, ftrl, adamw
        };
        return 4L * n * (2L * (1 + slots) + 1);
    }

    private static Map<String, String> orderedMap(String... kv) {
        var m = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The optimizer names of case d, in table order. */
    public static List<String> optimizerNames() { return List.copyOf(OPTIMIZERS.keySet()); }
}
