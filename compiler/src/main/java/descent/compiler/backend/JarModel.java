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
}
