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
 * @param scratchFloats floats of scratch each call needs (0: pass {@code null})
 */
public record EmittedMatmul(MatmulShape shape, int vectorLength, byte[] classFile, Class<?> kernelClass,
                            MethodHandle matmul, MatmulKernel kernel, int scratchFloats) {

    public boolean isVector() { return vectorLength > 0; }

    /** JVM descriptor of the static method: {@code ([FI[FI[FI[I][[F])V}. */
    public String methodDescriptor() { return matmul.type().toMethodDescriptorString(); }

    /** A scratch buffer of the right size, or null when none is needed; allocate once, reuse per call. */
    public float[] newScratch() { return scratchFloats > 0 ? new float[scratchFloats] : null; }
}
