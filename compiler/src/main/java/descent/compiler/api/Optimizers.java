package descent.compiler.api;

import descent.compiler.train.Hyper;
import descent.compiler.train.optimizers.*;

/**
 * The tf.train optimizers with TF 1's defaults for their optional arguments, for Java callers. For every
 * option (use_locking, name, a tensor hyperparameter) use the optimizer's full constructor with
 * {@link Hyper#of} numbers or {@code new Hyper.Node(tensor.node())}.
 */
public final class Optimizers {
    private Optimizers() {}

    private static Hyper h(double v) { return Hyper.of(v); }

    public static GradientDescent gradientDescent(double learningRate) {
        return new GradientDescent(h(learningRate), false, "GradientDescent");
    }

    public static Momentum momentum(double learningRate, double momentum, boolean useNesterov) {
        return new Momentum(h(learningRate), h(momentum), false, "Momentum", useNesterov);
    }

    public static Adagrad adagrad(double learningRate) { return new Adagrad(h(learningRate), 0.1, false, "Adagrad"); }

    /**
     * {@code AdagradDAOptimizer(learning_rate, global_step)}: {@code globalStep} is the builder's variable the step
     * counts in (an i64 scalar, as {@code applyGradients} increments), whose value the update reads.
     */
    public static AdagradDA adagradDA(double learningRate, Operand globalStep) {
        return new AdagradDA(h(learningRate), globalStep.graph().variableOf(globalStep), 0.1, h(0), h(0), false, "AdagradDA");
    }

    public static Adam adam(double learningRate) { return new Adam(h(learningRate), h(0.9), h(0.999), h(1e-8), false, "Adam"); }

    public static LazyAdam lazyAdam(double learningRate) {
        return new LazyAdam(h(learningRate), h(0.9), h(0.999), h(1e-8), false, "Adam");
    }

    public static Adadelta adadelta(double learningRate) { return new Adadelta(h(learningRate), h(0.95), h(1e-8), false, "Adadelta"); }

    public static RMSProp rmsProp(double learningRate) {
        return new RMSProp(h(learningRate), h(0.9), h(0.0), h(1e-10), false, false, "RMSProp");
    }

    public static Ftrl ftrl(double learningRate) {
        return new Ftrl(h(learningRate), -0.5, 0.1, h(0), h(0), false, "Ftrl", null, null, h(0));
    }

    public static ProximalGradientDescent proximalGradientDescent(double learningRate, double l1, double l2) {
        return new ProximalGradientDescent(h(learningRate), h(l1), h(l2), false, "ProximalGradientDescent");
    }

    public static ProximalAdagrad proximalAdagrad(double learningRate, double l1, double l2) {
        return new ProximalAdagrad(h(learningRate), 0.1, h(l1), h(l2), false, "ProximalAdagrad");
    }

    public static AdamW adamW(double weightDecay, double learningRate) {
        return new AdamW(h(weightDecay), h(learningRate), h(0.9), h(0.999), h(1e-8), false, "AdamW");
    }

    public static MomentumW momentumW(double weightDecay, double learningRate, double momentum) {
        return new MomentumW(h(weightDecay), h(learningRate), h(momentum), false, "MomentumW", false);
    }

    public static Adamax adamax(double learningRate) { return new Adamax(h(learningRate), h(0.9), h(0.999), h(1e-8), false, "AdaMax"); }

    public static Nadam nadam(double learningRate) { return new Nadam(h(learningRate), h(0.9), h(0.999), h(1e-8), false, "Adam"); }
}
