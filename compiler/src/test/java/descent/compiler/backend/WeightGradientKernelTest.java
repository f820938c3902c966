package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import org.junit.jupiter.api.Test;

/**
 * A weight gradient (contracted over the batch) is one runtime-K kernel for every batch size — nothing is
 * compiled when the batch changes — except a batch so large that B should be packed, which gets the kernel
 * specialised to it (packing needs a panel sized by k).
 */
class WeightGradientKernelTest {
    @Test
    void oneKernelForEveryBatchThatDoesNotPack() {
        EmittedMatmul at32 = MatmulCalls.weightGradient(784, 32, 128, false, MatmulEpilogue.NONE);
        assertTrue(at32.shape().hasRuntimeK());
        for (int batch : new int[] {1, 7, 64, 255}) {
            assertSame(at32, MatmulCalls.weightGradient(784, batch, 128, false, MatmulEpilogue.NONE), "batch " + batch);
        }
        // 1,024 × 512 floats of B (2 MiB): the specialised, packing kernel.
        EmittedMatmul large = MatmulCalls.weightGradient(784, 1024, 512, false, MatmulEpilogue.NONE);
        assertFalse(large.shape().hasRuntimeK());
        assertTrue(large.scratchFloats() > 0, "packs B");
        // A transposed B always gets a kernel for its k.
        assertFalse(MatmulCalls.weightGradient(64, 32, 16, true, MatmulEpilogue.NONE).shape().hasRuntimeK());
    }
}
