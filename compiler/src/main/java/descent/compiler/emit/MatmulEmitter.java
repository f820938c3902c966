package descent.compiler.emit;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Emits matrix-product kernels specialised to a static shape as JVM bytecode and loads each as a
 * hidden class (unloadable once unreferenced, invisible to class-name lookups).
 *
 * <pre>{@code
 * EmittedMatmul mm = MatmulEmitter.emit(MatmulShape.of(64, 784, 128, false, false));
 * float[] scratch = mm.newScratch();                    // once
 * mm.kernel().run(a, 0, b, 0, c, 0, 64, scratch);       // C = A·B
 * }</pre>
 *
 * The vector kernel ({@link VectorMatmulWriter}) and the scalar one ({@link ScalarMatmulWriter})
 * compute bitwise identical results, so a caller may start on the scalar kernel and switch once the
 * vector one is warm. The class bytes are available for ahead-of-time output as well.
 */
public final class MatmulEmitter {
    private static final AtomicLong SERIAL = new AtomicLong();
    /** Preferred float-vector length of this JVM, or 0 when jdk.incubator.vector is not resolved. */
    private static final int PREFERRED_LENGTH = probePreferredLength();

    private MatmulEmitter() {}

    /** Whether {@code jdk.incubator.vector} is resolved in this JVM (run with {@code --add-modules jdk.incubator.vector}). */
    public static boolean vectorApiAvailable() { return PREFERRED_LENGTH > 0; }

    /** Floats per {@code FloatVector.SPECIES_PREFERRED} vector, or 0 when the Vector API is unavailable. */
    public static int preferredVectorLength() { return PREFERRED_LENGTH; }

    /** The vector kernel when the Vector API is available, else the scalar one. */
    public static EmittedMatmul emit(MatmulShape shape) { return emit(shape, MatmulEpilogue.NONE); }

    /** The vector kernel when the Vector API is available, else the scalar one, applying {@code epilogue} to C. */
    public static EmittedMatmul emit(MatmulShape shape, MatmulEpilogue epilogue) {
        return vectorApiAvailable() ? emitVector(shape, epilogue) : emitScalar(shape, epilogue);
    }

    public static EmittedMatmul emitVector(MatmulShape shape) { return emitVector(shape, MatmulTuning.forShape(shape)); }

    public static EmittedMatmul emitVector(MatmulShape shape, MatmulEpilogue epilogue) {
        return emitVector(shape, epilogue, MatmulTuning.forShape(shape));
    }

    public static EmittedMatmul emitVector(MatmulShape shape, MatmulTuning tuning) {
        return emitVector(shape, MatmulEpilogue.NONE, tuning);
    }

    public static EmittedMatmul emitVector(MatmulShape shape, MatmulEpilogue epilogue, MatmulTuning tuning) {
        if (!vectorApiAvailable()) throw new IllegalStateException("jdk.incubator.vector is not available");
        byte[] bytes = KernelClassFiles.generated(() -> vectorClassFile(shape, epilogue, tuning, PREFERRED_LENGTH));
        return load(shape, epilogue, PREFERRED_LENGTH, bytes, VectorMatmulWriter.scratchFloats(shape, tuning, PREFERRED_LENGTH));
    }

    public static EmittedMatmul emitScalar(MatmulShape shape) { return emitScalar(shape, MatmulEpilogue.NONE); }

    public static EmittedMatmul emitScalar(MatmulShape shape, MatmulEpilogue epilogue) {
        return load(shape, epilogue, 0, KernelClassFiles.generated(() -> scalarClassFile(shape, epilogue)), 0);
    }

    public static byte[] vectorClassFile(MatmulShape shape, MatmulEpilogue epilogue, MatmulTuning tuning, int vectorLength) {
        if (vectorLength < 1) throw new IllegalArgumentException("vector length " + vectorLength);
        return new VectorMatmulWriter(shape, epilogue, className("Vector", shape, epilogue), tuning, vectorLength).write();
    }

    public static byte[] scalarClassFile(MatmulShape shape) { return scalarClassFile(shape, MatmulEpilogue.NONE); }

    public static byte[] scalarClassFile(MatmulShape shape, MatmulEpilogue epilogue) {
        return new ScalarMatmulWriter(shape, epilogue, className("Scalar", shape, epilogue)).write();
    }

    /** A hidden class must live in the defining lookup's package; the serial only aids stack traces. */
    private static String className(String variant, MatmulShape shape, MatmulEpilogue epilogue) {
        return MatmulEmitter.class.getPackageName().replace('.', '/') + "/Generated" + variant + "Matmul_"
                + shape.tag() + epilogue.tag() + "_" + SERIAL.incrementAndGet();
    }

    private static EmittedMatmul load(MatmulShape shape, MatmulEpilogue epilogue, int vectorLength, byte[] bytes, int scratchFloats) {
        try {
            MethodHandles.Lookup lookup = KernelClassFile.define(bytes);
            Class<?> cls = lookup.lookupClass();
            MethodType type = MethodType.methodType(void.class, float[].class, int.class, float[].class, int.class,
                    float[].class, int.class);
            if (shape.hasRuntimeDim()) type = type.appendParameterTypes(int.class);
            if (scratchFloats > 0) type = type.appendParameterTypes(float[].class);
            if (epilogue.bias()) type = type.appendParameterTypes(float[].class, int.class);
            MethodHandle matmul = lookup.findStatic(cls, "matmul", type);
            MatmulKernel kernel = (MatmulKernel) lookup.findConstructor(cls, MethodType.methodType(void.class)).invoke();
            return new EmittedMatmul(shape, vectorLength, bytes, cls, matmul, kernel, scratchFloats);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load generated matmul " + shape.tag(), e);
        }
    }

    /**
     * Reads {@code FloatVector.SPECIES_PREFERRED.length()} reflectively, so this class links and runs
     * in a JVM without the incubator module; only the generated vector classes refer to it.
     */
    /** Floats per preferred vector (0 without the Vector API). */
    public static int preferredLength() { return PREFERRED_LENGTH; }

    private static int probePreferredLength() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return 0;
        try {
            Object species = Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null);
            return (int) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("length").invoke(species);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return 0;
        }
    }
}
