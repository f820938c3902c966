package descent.compiler.emit;

import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The class data of a model class ({@link StepWriter#modelClassFile}): the constants of all its segments, each
 * segment's bound when its executable is built. A model class is defined before any of its executables exists (they
 * are built when a session first calls them), and the JVM resolves a constant when the code that loads it first runs,
 * so every constant a segment loads is bound by then; one that is not fails loudly rather than reading null.
 */
public final class ModelConstants extends AbstractList<Object> {
    private final AtomicReferenceArray<Object> values;

    public ModelConstants(int size) { values = new AtomicReferenceArray<>(size); }

    /**
     * Binds a segment's constants from {@code base} on; the first binding of an element stays. Binding again gives
     * equal values (decoded from the same bytes: the model's one instance of each kernel, and records and int arrays
     * that kernels only read), so a segment bound by one session's executable serves another's.
     */
    public void bind(int base, List<Object> segment) {
        if (base < 0 || base + segment.size() > values.length()) {
            throw new IllegalArgumentException("constants " + base + " to " + (base + segment.size()) + " of " + values.length());
        }
        for (int i = 0; i < segment.size(); i++) values.compareAndSet(base + i, null, segment.get(i));
    }

    @Override public Object get(int index) {
        Object v = values.get(index);
        if (v == null) throw new IllegalStateException("constant " + index + " of a model class was not bound");
        return v;
    }

    @Override public int size() { return values.length(); }
}
