package descent.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.emit.EmittedMatmul;
import descent.compiler.emit.MatmulEpilogue;
import org.junit.jupiter.api.Test;

/**
 * A weight gradient (contracted over the batch) is one runtime-K kernel for every batch size — nothing is
 * compiled when the batch changes — which packs a row-major B itself once the batch makes B large enough to repay
 * it (a transposed B always), with the bits of the kernel specialised to that batch.
 */
class WeightGradientKernelTest {
    @Test
    void oneKernelForEveryBatch() {
        EmittedMatmul rowMajorB = WeightGradientCalls.weightGradient(784, 128, false, MatmulEpilogue.NONE);
        assertTrue(rowMajorB.shape().hasRuntimeK());
        assertSame(rowMajorB, WeightGradientCalls.weightGradient(784, 128, false, MatmulEpilogue.NONE), "one shared kernel");
        // Its scratch is the packed panel, so none below the k from which it packs (B of MatmulTuning.packBytes at 784
        // rows: k = 1,024 with 512-bit vectors).
        if (descent.compiler.emit.MatmulEmitter.vectorApiAvailable()) {
            int from = (int) (descent.compiler.emit.MatmulTuning.packBytes(784, descent.compiler.emit.MatmulEmitter.preferredLength()) / (4 * 128));
            org.junit.jupiter.api.Assertions.assertEquals(0, rowMajorB.scratchFloats(from - 1));
            assertTrue(rowMajorB.scratchFloats(from) > 0);
        }
        // A transposed B takes the batch as an argument too, and always packs: its panel grows with the batch.
        EmittedMatmul transposedB = WeightGradientCalls.weightGradient(64, 16, true, MatmulEpilogue.NONE);
        assertTrue(transposedB.shape().hasRuntimeK());
        if (descent.compiler.emit.MatmulEmitter.vectorApiAvailable()) {
            assertTrue(transposedB.scratchFloats(1) > 0);
            assertTrue(transposedB.scratchFloats(64) > transposedB.scratchFloats(32));
        }
    }

    /** 300 × 1,100 × 512 (B of 2.1 MiB): the runtime-K kernel packs, and gives the specialised kernel's bits. */
    @Test
    void aLargeBatchPacksWithTheSpecialisedKernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(descent.compiler.emit.MatmulEmitter.vectorApiAvailable());
        int m = 300, k = 1100, n = 512;
        EmittedMatmul runtime = WeightGradientCalls.weightGradient(m, n, false, MatmulEpilogue.NONE);
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
