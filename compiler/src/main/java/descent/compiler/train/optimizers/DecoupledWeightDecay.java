package descent.compiler.train.optimizers;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.train.SparseGrad;
import descent.compiler.train.TrainBuilder;
import java.util.Set;

/**
 * tf.contrib.opt's DecoupledWeightDecayExtension: {@code var -= weight_decay * var} before the base
 * update (not scaled by the learning rate); sparse decays only the listed rows. {@code decayVars} null
 * means every optimized variable.
 */
final class DecoupledWeightDecay {
    private DecoupledWeightDecay() {}

    static boolean applies(Set<String> decayVars, VariableInfo var) { return decayVars == null || decayVars.contains(var.name()); }

    static void dense(TrainBuilder t, VariableInfo var, int weightDecay) {
        t.assign(var, t.sub(t.read(var), t.mul(weightDecay, t.read(var))));
    }

    static void sparse(TrainBuilder t, VariableInfo var, SparseGrad g, int weightDecay) {
        int rows = t.rows(t.read(var), g);
        t.scatter(var, g, t.add(rows, t.mul(t.neg(weightDecay), rows)));
    }
}
