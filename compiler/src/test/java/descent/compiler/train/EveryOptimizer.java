package descent.compiler.train;

import java.util.List;

/** The 17 optimizer configurations tests run through (issue 6's case d): each of TF's rules, and its variants. */
public final class EveryOptimizer {
    private EveryOptimizer() {}

    /** Each configuration as a model file's constructor call, at learning rate 0.1. */
    public static List<String> configurations() {
        return List.of("GradientDescentOptimizer(0.1)", "MomentumOptimizer(0.1, momentum=0.9)",
                "MomentumOptimizer(0.1, momentum=0.9, use_nesterov=true)", "AdagradOptimizer(0.1)",
                "AdagradDAOptimizer(0.1, global_step, l1_regularization_strength=0.01, l2_regularization_strength=0.01)",
                "AdadeltaOptimizer(0.1)", "AdamOptimizer(0.1)", "AdamaxOptimizer(0.1)", "NadamOptimizer(0.1)",
                "LazyAdamOptimizer(0.1)", "RMSPropOptimizer(0.1)", "RMSPropOptimizer(0.1, momentum=0.9, centered=true)",
                "FtrlOptimizer(0.1, l1_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.1)",
                "ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.1)", "ProximalAdagradOptimizer(0.1)",
                "AdamWOptimizer(0.01, learning_rate=0.1)", "MomentumWOptimizer(0.01, 0.1, 0.9)");
    }
}
