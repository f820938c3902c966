package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import org.junit.jupiter.api.Test;

/**
 * A weight gradient (contracted over the batch) is one runtime-K kernel for every batch size — nothing is
 * compiled when the batch changes — which packs B itself once the batch makes B large enough to repay it, with
 * the bits of the kernel specialised to that batch.
 */
class WeightGradientKernelTest {
    @Test
    void oneKernelForEveryBatch() {
        EmittedMatmul at32 = WeightGradientCalls.weightGradient(784, 32, 128, false, MatmulEpilogue.NONE);
        assertTrue(at32.shape().hasRuntimeK());
        for (int batch : new int[] {1, 7, 64, 255, 1024, 5000}) {
            assertSame(at32, WeightGradientCalls.weightGradient(784, batch, 128, false, MatmulEpilogue.NONE), "batch " + batch);
        }
        // Its scratch is the packed panel, so none below the k from which it packs (B of 512 KiB at 784 rows).
        org.junit.jupiter.api.Assertions.assertEquals(0, at32.scratchFloats(1023));
        assertTrue(at32.scratchFloats(1024) > 0);
        // A transposed B always gets a kernel for its k.
        assertFalse(WeightGradientCalls.weightGradient(64, 32, 16, true, MatmulEpilogue.NONE).shape().hasRuntimeK());
    }

    /** 300 × 1,100 × 512 (B of 2.1 MiB): the runtime-K kernel packs, and gives the specialised kernel's bits. */
    @Test
    void aLargeBatchPacksWithTheSpecialisedKernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(descent.compiler.emit.MatmulEmitter.vectorApiAvailable());
        int m = 300, k = 1100, n = 512;
        EmittedMatmul runtime = WeightGradientCalls.weightGradient(m, k, n, false, MatmulEpilogue.NONE);
        descent.compiler.emit.MatmulShape fixed = descent.compiler.emit.MatmulShape.of(m, k, n, true, false);
        EmittedMatmul specialised = descent.compiler.emit.MatmulEmitter.emitVector(fixed);
        assertTrue(specialised.scratchFloats() > 0, "the specialised kernel packs at this size");
        assertTrue(runtime.scratchFloats(k) > 0, "so does the runtime-K kernel");
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] a = new float[k * m], b = new float[k * n], c1 = new float[m * n], c2 = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        specialised.kernel().run(a, 0, b, 0, c1, 0, m, specialised.newScratch());
        runtime.kernel().run(a, 0, b, 0, c2, 0, k, runtime.newScratch(k));
        org.junit.jupiter.api.Assertions.assertArrayEquals(c1, c2);
    }
}
