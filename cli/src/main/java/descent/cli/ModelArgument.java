package descent.cli;

import descent.compiler.Compiler;
import descent.compiler.backend.JarModel;
import descent.compiler.ir.Model;
import descent.compiler.ir.ModelCodec;
import descent.runtime.DescentException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;

/**
 * The MODEL argument of run, train, predict and inspect: a model file, checked here, or a model jar that
 * {@code descent compile -o} wrote, loaded as an application loads it (a class loader over the jar, the class
 * its manifest names), so that the jar's own kernels run. {@code jar} is null for a model file.
 */
record ModelArgument(Model model, JarModel jar) {
    /** The model to run: a model jar is loaded (its class initialised, its kernels installed). */
    static ModelArgument read(Path path) { return read(path, true); }

    /** The model to run on {@code backend}: a model jar the interpreter will run is only decoded, not loaded. */
    static ModelArgument read(Path path, Backends backend, descent.compiler.interp.Precision precision) {
        return read(path, Backends.mayRunCompiled(backend, precision));
    }

    /** The model to describe: a model jar's checked model is only decoded, nothing of it is loaded or run. */
    static Model checked(Path path) { return read(path, false).model(); }

    private static ModelArgument read(Path path, boolean load) {
        if (path.getFileName() == null || !path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jar")) {
            return new ModelArgument(Compiler.check(path), null);
        }
        if (!Files.exists(path)) throw new DescentException(path + ": no such file");
        if (!Files.isRegularFile(path)) throw new DescentException(path + ": not a file");
        String cls;
        Model decoded = null;
        try (JarFile jar = new JarFile(path.toFile())) {
            Manifest manifest = jar.getManifest();
            cls = manifest == null ? null : manifest.getMainAttributes().getValue("Descent-Model-Class");
            if (cls != null && !load) decoded = decode(path, jar);
        } catch (ZipException e) {
            throw new DescentException(path + ": not a jar file");
        } catch (IOException e) {
            throw new DescentException(path + ": cannot read: " + e.getMessage());
        }
        if (cls == null) {
            throw new DescentException(path + ": not a Descent model jar (its manifest names no Descent-Model-Class);"
                    + " make one with descent compile MODEL.descent -o " + path.getFileName());
        }
        if (!load) return new ModelArgument(decoded, null);
        try {
            // Parent first: the jar's copy of the compiler gives way to this one, the jar's facade and kernels load.
            // The loader stays open: kernels not in the jar are generated beside them when first needed.
            URLClassLoader loader = new URLClassLoader(new java.net.URL[] {path.toUri().toURL()}, ModelArgument.class.getClassLoader());
            Object model = loader.loadClass(cls).getDeclaredConstructor().newInstance();
            if (!(model instanceof JarModel jarModel)) throw new DescentException(path + ": " + cls + " is not a Descent model");
            return new ModelArgument(jarModel.model(), jarModel);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof DescentException d) throw d;
            throw new DescentException(path + ": cannot load " + cls + ": " + e.getCause());
        } catch (ReflectiveOperationException | IOException | LinkageError e) {
            throw new DescentException(path + ": cannot load " + cls + ": " + e + "; compile it again with this descent");
        }
    }

    private static Model decode(Path path, JarFile jar) throws IOException {
        var entry = jar.stream().filter(e -> e.getName().startsWith("META-INF/descent/") && e.getName().endsWith(".ir"))
                .findFirst().orElseThrow(() -> new DescentException(path + ": the model jar has no checked model; compile it again"));
        try (var in = jar.getInputStream(entry)) {
            return ModelCodec.decode(in.readAllBytes());
        } catch (IllegalArgumentException e) {
            throw new DescentException(path + ": the model jar's " + entry.getName() + " is damaged: " + e.getMessage()
                    + "; compile it again");
        }
    }
}
