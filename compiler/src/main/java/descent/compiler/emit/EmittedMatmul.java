package descent.compiler.emit;

import java.lang.invoke.MethodHandle;

/**
 * One generated and loaded matmul kernel.
 *
 * @param shape         what it computes
 * @param vectorLength  floats per vector it was specialised to; 0 for the scalar variant
 * @param classFile     the class bytes, for verification, disassembly or writing out ahead of time
 * @param kernelClass   the hidden class defined from them
 * @param matmul        the static {@code matmul} method; its type is {@link #methodDescriptor()}
 * @param kernel        an instance of the class, which implements {@link MatmulKernel} itself
 * @param scratchFloats floats of scratch each call needs (0: pass {@code null}); for a runtime-K kernel, floats
 *                      per unit of k ({@link #scratchFloats(int)})
 */
public record EmittedMatmul(MatmulShape shape, int vectorLength, byte[] classFile, Class<?> kernelClass,
                            MethodHandle matmul, MatmulKernel kernel, int scratchFloats) {

    public boolean isVector() { return vectorLength > 0; }

    /** JVM descriptor of the static method: {@code ([FI[FI[FI[I][[F])V}. */
    public String methodDescriptor() { return matmul.type().toMethodDescriptorString(); }

    /** A scratch buffer of the right size, or null when none is needed; allocate once, reuse per call. */
    public float[] newScratch() {
        if (shape.hasRuntimeK() && scratchFloats > 0) throw new IllegalStateException("a runtime-K kernel's scratch depends on k: newScratch(k)");
        return scratchFloats > 0 ? new float[scratchFloats] : null;
    }

    /**
     * Floats of scratch a call with contracted dimension {@code k} needs: a runtime-K kernel packs B into a k × W
     * panel from {@code VectorMatmulWriter.packFromK} on (below it, none), and transposes a row-major A into a k × m
     * panel ({@code VectorMatmulWriter.aPanelWidth}), so its scratch grows with k; any other kernel's is fixed.
     */
    public int scratchFloats(int k) {
        if (!shape.hasRuntimeK()) return scratchFloats;
        int a = isVector() ? VectorMatmulWriter.aPanelWidth(shape, vectorLength) : 0, b = scratchFloats - a;
        long floats = (long) k * (a + (b > 0 && k >= VectorMatmulWriter.packFromK(shape) ? b : 0));
        if (floats > Integer.MAX_VALUE) throw new IllegalArgumentException("scratch panel too large for k = " + k);
        return (int) floats;
    }

    /** A scratch buffer for calls with contracted dimension {@code k}, or null when none is needed. */
    public float[] newScratch(int k) { return scratchFloats(k) > 0 ? new float[scratchFloats(k)] : null; }
}
