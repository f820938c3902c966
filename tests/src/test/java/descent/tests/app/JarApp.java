package descent.tests.app;

import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.TrainingSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An application with only the runtime on its class path: loads a model jar with a plain class loader,
 * trains the logistic regression ten steps and prints the loss of each. Run by ModelJarTest in its own JVM.
 */
public final class JarApp {
    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        try (LoadedJar loaded = LoadedJar.open(jar)) {
            DescentModel model = loaded.model();
            TrainingSession s = model.newSession(0);
            Map<String, Tensor> feeds = Map.of(
                    "x", Tensor.of(new float[] {1, 2, 3, 4, -1, 0, 1, 2, 0.5f, -0.5f, 1, 0}, 3, 4),
                    "y", Tensor.of(new float[] {1, 0, 1}, 3, 1));
            StringBuilder out = new StringBuilder(model.signature().name());
            for (int i = 0; i < 10; i++) out.append(' ').append(s.train("step", feeds, List.of("loss")).get("loss").floats()[0]);
            System.out.println(out);
        }
    }
}
