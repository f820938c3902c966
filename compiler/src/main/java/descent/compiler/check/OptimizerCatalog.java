package descent.compiler.check;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.Hyper;
import descent.compiler.train.Optimizer;
import descent.compiler.train.optimizers.*;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The optimizer classes a train block may construct, with TF 1's constructor parameters and defaults
 * ({@code ?} marks optional ones; the defaults live in each factory, as in TF's signatures).
 */
final class OptimizerCatalog {
    private OptimizerCatalog() {}

    interface Factory { Optimizer create(A a); }
    record Entry(Signature sig, Factory factory) {}

    /** Argument access for one constructor call. */
    interface A {
        Hyper hyper(String p, double dflt);
        Hyper hyper(String p);
        double number(String p, double dflt);
        boolean bool(String p, boolean dflt);
        String string(String p, String dflt);
        VariableInfo variable(String p);
    }

    static final Map<String, Entry> TABLE = new LinkedHashMap<>();

    static boolean has(String name) { return TABLE.containsKey(name); }

    private static void def(String spec, Factory f) {
        String name = spec.substring(0, spec.indexOf('('));
        String params = spec.substring(spec.indexOf('(') + 1, spec.length() - 1);
        TABLE.put(name, new Entry(Signature.of(name, params.split(",\\s*")), f));
    }

    private static final String ADAM_PARAMS = "learning_rate?, beta1?, beta2?, epsilon?, use_locking?, name?";

    static {
        def("GradientDescentOptimizer(learning_rate, use_locking?, name?)", a -> new GradientDescent(
                a.hyper("learning_rate"), a.bool("use_locking", false), a.string("name", "GradientDescent")));
        def("MomentumOptimizer(learning_rate, momentum, use_locking?, name?, use_nesterov?)", a -> new Momentum(
                a.hyper("learning_rate"), a.hyper("momentum"), a.bool("use_locking", false), a.string("name", "Momentum"),
                a.bool("use_nesterov", false)));
        def("AdagradOptimizer(learning_rate, initial_accumulator_value?, use_locking?, name?)", a -> new Adagrad(
                a.hyper("learning_rate"), a.number("initial_accumulator_value", 0.1), a.bool("use_locking", false),
                a.string("name", "Adagrad")));
        def("AdagradDAOptimizer(learning_rate, global_step, initial_gradient_squared_accumulator_value?, "
                + "l1_regularization_strength?, l2_regularization_strength?, use_locking?, name?)", a -> new AdagradDA(
                a.hyper("learning_rate"), a.variable("global_step"), a.number("initial_gradient_squared_accumulator_value", 0.1),
                a.hyper("l1_regularization_strength", 0.0), a.hyper("l2_regularization_strength", 0.0),
                a.bool("use_locking", false), a.string("name", "AdagradDA")));
        def("AdamOptimizer(" + ADAM_PARAMS + ")", a -> new Adam(a.hyper("learning_rate", 0.001), a.hyper("beta1", 0.9),
                a.hyper("beta2", 0.999), a.hyper("epsilon", 1e-8), a.bool("use_locking", false), a.string("name", "Adam")));
        def("AdadeltaOptimizer(learning_rate?, rho?, epsilon?, use_locking?, name?)", a -> new Adadelta(
                a.hyper("learning_rate", 0.001), a.hyper("rho", 0.95), a.hyper("epsilon", 1e-8), a.bool("use_locking", false),
                a.string("name", "Adadelta")));
        def("RMSPropOptimizer(learning_rate, decay?, momentum?, epsilon?, use_locking?, centered?, name?)", a -> new RMSProp(
                a.hyper("learning_rate"), a.hyper("decay", 0.9), a.hyper("momentum", 0.0), a.hyper("epsilon", 1e-10),
                a.bool("use_locking", false), a.bool("centered", false), a.string("name", "RMSProp")));
        def("FtrlOptimizer(learning_rate, learning_rate_power?, initial_accumulator_value?, l1_regularization_strength?, "
                + "l2_regularization_strength?, use_locking?, name?, accum_name?, linear_name?, "
                + "l2_shrinkage_regularization_strength?)", a -> new Ftrl(
                a.hyper("learning_rate"), a.number("learning_rate_power", -0.5), a.number("initial_accumulator_value", 0.1),
                a.hyper("l1_regularization_strength", 0.0), a.hyper("l2_regularization_strength", 0.0),
                a.bool("use_locking", false), a.string("name", "Ftrl"), a.string("accum_name", null),
                a.string("linear_name", null), a.hyper("l2_shrinkage_regularization_strength", 0.0)));
        def("ProximalGradientDescentOptimizer(learning_rate, l1_regularization_strength?, l2_regularization_strength?, "
                + "use_locking?, name?)", a -> new ProximalGradientDescent(a.hyper("learning_rate"),
                a.hyper("l1_regularization_strength", 0.0), a.hyper("l2_regularization_strength", 0.0),
                a.bool("use_locking", false), a.string("name", "ProximalGradientDescent")));
        def("ProximalAdagradOptimizer(learning_rate, initial_accumulator_value?, l1_regularization_strength?, "
                + "l2_regularization_strength?, use_locking?, name?)", a -> new ProximalAdagrad(a.hyper("learning_rate"),
                a.number("initial_accumulator_value", 0.1), a.hyper("l1_regularization_strength", 0.0),
                a.hyper("l2_regularization_strength", 0.0), a.bool("use_locking", false),
                a.string("name", "ProximalAdagrad")));
        def("AdamWOptimizer(weight_decay, " + ADAM_PARAMS + ")", a -> new AdamW(a.hyper("weight_decay"),
                a.hyper("learning_rate", 0.001), a.hyper("beta1", 0.9), a.hyper("beta2", 0.999), a.hyper("epsilon", 1e-8),
                a.bool("use_locking", false), a.string("name", "AdamW")));
        def("MomentumWOptimizer(weight_decay, learning_rate, momentum, use_locking?, name?, use_nesterov?)", a -> new MomentumW(
                a.hyper("weight_decay"), a.hyper("learning_rate"), a.hyper("momentum"), a.bool("use_locking", false),
                a.string("name", "MomentumW"), a.bool("use_nesterov", false)));
        // LazyAdam and Nadam inherit AdamOptimizer's constructor in TF, so their default name is "Adam".
        def("LazyAdamOptimizer(" + ADAM_PARAMS + ")", a -> new LazyAdam(a.hyper("learning_rate", 0.001),
                a.hyper("beta1", 0.9), a.hyper("beta2", 0.999), a.hyper("epsilon", 1e-8), a.bool("use_locking", false),
                a.string("name", "Adam")));
        def("AdamaxOptimizer(" + ADAM_PARAMS + ")", a -> new Adamax(a.hyper("learning_rate", 0.001), a.hyper("beta1", 0.9),
                a.hyper("beta2", 0.999), a.hyper("epsilon", 1e-8), a.bool("use_locking", false), a.string("name", "AdaMax")));
        def("NadamOptimizer(" + ADAM_PARAMS + ")", a -> new Nadam(a.hyper("learning_rate", 0.001), a.hyper("beta1", 0.9),
                a.hyper("beta2", 0.999), a.hyper("epsilon", 1e-8), a.bool("use_locking", false), a.string("name", "Adam")));
    }

    static final Set<String> NAMES = TABLE.keySet();
}
