package descent.bench;

import descent.runtime.Tensor;
import descent.runtime.api.DescentModel;
import descent.runtime.api.TensorSpec;
import descent.runtime.api.TrainSpec;
import descent.runtime.api.TrainingSession;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * Case g, an application's side: a model jar loaded with a plain class loader, in a JVM whose class path holds only
 * Descent's runtime (and this class), to the end of the first step of each train block on zero feeds at batch 8.
 * Run as a main in a fresh JVM, it prints the milliseconds: the cold cost of using a compiled model.
 */
public final class JarStart {
    private JarStart() {}

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Path jar = Path.of(args[0]);
        String cls;
        try (JarFile f = new JarFile(jar.toFile())) {
            cls = f.getManifest().getMainAttributes().getValue("Descent-Model-Class");
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, JarStart.class.getClassLoader())) {
            DescentModel model = (DescentModel) loader.loadClass(cls).getConstructor().newInstance();
            TrainingSession session = model.newSession(1);
            Map<String, Tensor> feeds = new HashMap<>();
            for (TensorSpec in : model.signature().inputs()) {
                int[] shape = in.dims().stream().mapToInt(d -> d.chars().allMatch(Character::isDigit) ? Integer.parseInt(d) : 8).toArray();
                feeds.put(in.name(), Tensor.zeros(in.dtype(), shape));
            }
            for (TrainSpec t : model.signature().trains()) session.train(t.name(), feeds, List.of());
        }
        System.out.printf("%.1f%n", (System.nanoTime() - t0) / 1e6);
    }
}
