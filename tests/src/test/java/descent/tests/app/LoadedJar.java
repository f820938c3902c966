package descent.tests.app;

import descent.runtime.api.DescentModel;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.jar.JarFile;

/**
 * A model jar loaded as an application loads it: a plain class loader over the jar (its parent the application's,
 * which holds only the runtime), and an instance of the class its manifest names.
 */
public record LoadedJar(URLClassLoader loader, DescentModel model) implements AutoCloseable {
    public static LoadedJar open(Path jar) throws Exception {
        String cls;
        try (JarFile f = new JarFile(jar.toFile())) {
            cls = f.getManifest().getMainAttributes().getValue("Descent-Model-Class");
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, LoadedJar.class.getClassLoader());
        return new LoadedJar(loader, (DescentModel) loader.loadClass(cls).getConstructor().newInstance());
    }

    @Override public void close() throws IOException { loader.close(); }
}
