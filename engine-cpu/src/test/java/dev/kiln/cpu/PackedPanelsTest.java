package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A B packed once ({@link Gemm#prepack}) gives the bits of the same B packed per block, across K steps
 * (K > 2 KC), column blocks (N > NC, not a multiple of NR), the parallel split, beta 1 and a fused
 * bias; and the product is right against a float64 sum.
 */
class PackedPanelsTest {
    private final long seed = System.nanoTime();
    private final Random rnd = new Random(seed);

    @Test
    void prepackedBGivesTheBitsOfPackingPerBlock() {
        for (GemmKernel kernel : new GemmKernel[] {VectorSupport.gemmKernel(true), new ScalarGemmKernel()}) {
            Gemm gemm = new Gemm(kernel);
            int[][] sizes = {{17, 1029, 800}, {1, 7, 1}, {40, 2048, 512}, {9, 33, 385}};
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                try (Arena arena = Arena.ofShared()) {  // the GEMM tasks read it from the worker threads
                    MemorySegment a = random(arena, (long) m * k), b = random(arena, (long) n * k);
                    MemorySegment c1 = random(arena, (long) m * n), c2 = arena.allocate((long) m * n * 4, 64);
                    c2.copyFrom(c1);
                    float[] bias = new float[n];
                    for (int j = 0; j < n; j++) bias[j] = (float) rnd.nextGaussian();
                    Panels ap = StridedPanels.of(a, 0, 0, k, 1), bp = StridedPanels.of(b, 0, 0, k, 1);
                    PackedPanels packed = gemm.prepack(bp, n, k);
                    String what = kernel.getClass().getSimpleName() + " " + m + "x" + n + "x" + k + " (seed " + seed + ")";
                    for (float beta : new float[] {0f, 1f}) {
                        Gemm.Bias fused = beta == 0 ? new Gemm.Bias(bias, 1, 0, 0, 1) : null;
                        gemm.run(1, m, n, k, ap, bp, new Gemm.Out(c1, 0, 0, n, 1), 1f, beta, fused);
                        gemm.run(1, m, n, k, ap, packed, new Gemm.Out(c2, 0, 0, n, 1), 1f, beta, fused);
                        assertArrayEquals(c1.toArray(Elem.F), c2.toArray(Elem.F), what + ", beta " + beta);
                    }
                    // c = (a b^T + bias) + a b^T after the two calls: check against float64
                    double num = 0, den = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double dot = 0;
                            for (int kk = 0; kk < k; kk++) dot += (double) a.getAtIndex(Elem.F, (long) i * k + kk) * b.getAtIndex(Elem.F, (long) j * k + kk);
                            double ref = 2 * dot + bias[j], got = c2.getAtIndex(Elem.F, (long) i * n + j);
                            num += (got - ref) * (got - ref);
                            den += ref * ref;
                        }
                    }
                    double err = Math.sqrt(num / den);
                    assertTrue(err < 1e-5, what + ": relative error " + err);
                }
            }
        }
    }

    private MemorySegment random(Arena arena, long n) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(Elem.F, i, (float) rnd.nextGaussian());
        return s;
    }
}
