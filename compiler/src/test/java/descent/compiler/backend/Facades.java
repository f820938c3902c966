package descent.compiler.backend;

import descent.compiler.ir.Model;
import descent.compiler.ir.ModelCodec;
import descent.runtime.api.DescentModel;
import java.io.ByteArrayInputStream;
import java.io.InputStream;

/** A model's typed façade, the class a model jar holds ({@link ModelJar#facade}), defined in this JVM without a jar. */
final class Facades {
    private Facades() {}

    /** A new instance of {@code m}'s façade class (named {@code Facade}), its checked model beside it as in a jar. */
    static DescentModel define(Model m) throws ReflectiveOperationException {
        byte[] cls = ModelJar.facade("Facade", "facade.descent", m);
        ClassLoader loader = new ClassLoader(Facades.class.getClassLoader()) {
            @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (name.equals("Facade")) return defineClass(name, cls, 0, cls.length);
                throw new ClassNotFoundException(name);
            }

            @Override public InputStream getResourceAsStream(String name) {
                if (name.equals(JarModel.irResource("facade.descent"))) return new ByteArrayInputStream(ModelCodec.encode(m));
                return super.getResourceAsStream(name);
            }
        };
        return (DescentModel) loader.loadClass("Facade").getConstructor().newInstance();
    }
}
