package descent.compiler.train;

import descent.compiler.ir.Model.VariableInfo;
import descent.compiler.ir.TensorType;
import descent.runtime.Initializer;

/** Where optimizers create their slot and non-slot variables; names are made unique as TensorFlow does. */
public interface StateRegistry {
    /**
     * Creates a state variable named {@code requestedName} or, if taken, {@code requestedName_1},
     * {@code _2}, ... (TF's unique naming).
     */
    VariableInfo create(String requestedName, TensorType type, Initializer init, VariableInfo.Role role,
                        String primary, String slotName);
}
