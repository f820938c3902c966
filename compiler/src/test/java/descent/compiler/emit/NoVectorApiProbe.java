package descent.compiler.emit;

import java.util.Arrays;

/**
 * Run in a JVM without {@code --add-modules jdk.incubator.vector} by {@link MatmulEmitterTest}: the
 * emitter must load, report the Vector API unavailable, and fall back to a working scalar kernel.
 * Prints {@code OK} on success; anything else is a failure.
 */
public final class NoVectorApiProbe {
    public static void main(String[] args) {
        if (MatmulEmitter.vectorApiAvailable()) { System.out.println("vector API unexpectedly available"); return; }
        MatmulShape shape = MatmulShape.of(3, 5, 7, true, true);
        EmittedMatmul mm = MatmulEmitter.emit(shape);
        if (mm.isVector()) { System.out.println("emit() chose the vector kernel"); return; }
        float[] a = new float[15], b = new float[35], c = new float[21];
        for (int i = 0; i < a.length; i++) a[i] = i * 0.25f - 1;
        for (int i = 0; i < b.length; i++) b[i] = 2 - i * 0.125f;
        mm.kernel().run(a, 0, b, 0, c, 0, 3, mm.newScratch());
        System.out.println(Arrays.equals(c, MatmulReference.fmaChain(shape, 3, a, 0, b, 0)) ? "OK" : "wrong result");
    }
}
