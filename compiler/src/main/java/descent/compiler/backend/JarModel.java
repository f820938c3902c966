package descent.compiler.backend;

import descent.compiler.Compiler;
import descent.compiler.diag.Source;
import descent.runtime.DescentException;
import descent.runtime.api.DescentModel;
import descent.runtime.api.ModelSignature;
import descent.runtime.api.TrainingSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * What a model jar's generated class extends: it reads the model its jar carries, checks it, and runs it
 * on the compiled backend. The jar brings the compiler with it, so an application needs only the runtime
 * jar and a class loader for the model jar.
 */
public abstract class JarModel implements DescentModel {
    private final CompiledModel model;

    protected JarModel(String resource) {
        String text;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new DescentException("the model jar has no " + resource);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DescentException("cannot read " + resource + " from the model jar: " + e.getMessage());
        }
        this.model = new CompiledModel(Compiler.check(new Source(resource, text)));
    }

    @Override public ModelSignature signature() { return model.signature(); }

    @Override public TrainingSession newSession(long seed) { return model.newSession(seed); }

    @Override public TrainingSession newSession(long seed, int threads) { return model.newSession(seed, threads); }

    // ---- what the generated typed methods call

    /** Runs train step {@code train} on {@code session} with the arrays as its inputs; returns its loss (NaN if none). */
    protected final float trainTyped(TrainingSession session, String train, String[] inputs, Object[] arrays, String loss) {
        java.util.Map<String, descent.runtime.Tensor> out = session.train(train, feeds(inputs, arrays),
                loss == null ? java.util.List.of() : java.util.List.of(loss));
        return loss == null ? Float.NaN : (float) out.get(loss).getDouble(0);
    }

    /** Evaluates {@code output} with the arrays as its inputs; returns its values row-major. */
    protected final Object evaluateTyped(TrainingSession session, String output, String[] inputs, Object[] arrays) {
        return session.evaluate(feeds(inputs, arrays), java.util.List.of(output)).get(output).data();
    }

    /** Arrays to tensors of the inputs' shapes; a symbolic dimension takes whatever the array's length leaves. */
    private java.util.Map<String, descent.runtime.Tensor> feeds(String[] inputs, Object[] arrays) {
        java.util.Map<String, descent.runtime.Tensor> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            String name = inputs[i];
            descent.runtime.api.TensorSpec spec = signature().inputs().stream().filter(t -> t.name().equals(name))
                    .findFirst().orElseThrow();
            int length = java.lang.reflect.Array.getLength(arrays[i]);
            long fixed = 1;
            int symbolic = -1;
            int[] shape = new int[spec.dims().size()];
            for (int d = 0; d < shape.length; d++) {
                String dim = spec.dims().get(d);
                if (dim.chars().allMatch(Character::isDigit)) { shape[d] = Integer.parseInt(dim); fixed *= shape[d]; }
                else symbolic = d;
            }
            if (symbolic >= 0) {
                if (fixed == 0 || length % fixed != 0) {
                    throw new DescentException("`" + inputs[i] + "` takes rows of " + fixed + " values; " + length + " is not a multiple");
                }
                shape[symbolic] = (int) (length / fixed);
            }
            out.put(inputs[i], switch (arrays[i]) {
                case float[] f -> descent.runtime.Tensor.of(f, shape);
                case int[] n -> descent.runtime.Tensor.of(n, shape);
                case long[] l -> descent.runtime.Tensor.of(l, shape);
                default -> throw new DescentException("`" + inputs[i] + "` must be a primitive array");
            });
        }
        return out;
    }
}
