package descent.compiler.emit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One core's fused-multiply-add ceiling for {@link MatmulBench}: 12 independent accumulator chains
 * (more than latency × pipes on current x86 cores), no memory traffic. 2·12·VL flops per iteration.
 */
final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FmaPeak() {}

    static void run(int iters, float[] io) {
        FloatVector x = FloatVector.fromArray(S, io, 0), y = x.mul(0.5f);
        FloatVector a0 = x, a1 = x.add(1), a2 = x.add(2), a3 = x.add(3), a4 = x.add(4), a5 = x.add(5);
        FloatVector a6 = x.add(6), a7 = x.add(7), a8 = x.add(8), a9 = x.add(9), a10 = x.add(10), a11 = x.add(11);
        for (int i = 0; i < iters; i++) {
            a0 = a0.fma(y, x); a1 = a1.fma(y, x); a2 = a2.fma(y, x); a3 = a3.fma(y, x);
            a4 = a4.fma(y, x); a5 = a5.fma(y, x); a6 = a6.fma(y, x); a7 = a7.fma(y, x);
            a8 = a8.fma(y, x); a9 = a9.fma(y, x); a10 = a10.fma(y, x); a11 = a11.fma(y, x);
        }
        // Consume every chain so none is dead code.
        a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).intoArray(io, 0);
    }
}
