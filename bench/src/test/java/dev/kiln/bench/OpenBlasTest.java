package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The FFM binding computes what cblas_sgemm promises: checked against a float64 product. */
class OpenBlasTest {
    @Test
    void sgemmMatchesAFloat64Reference() {
        OpenBlas blas = OpenBlas.get().orElse(null);
        assumeTrue(blas != null, OpenBlas.unavailableReason());
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        int[][] shapes = {{1, 1, 1}, {7, 5, 3}, {129, 65, 33}, {64, 1, 200}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                MemorySegment a = random(arena, (long) m * k, r);
                MemorySegment b = random(arena, (long) k * n, r);
                MemorySegment c = random(arena, (long) m * n, r);
                float alpha = 0.75f, beta = -0.5f;
                double[] ref = new double[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double acc = 0;
                        for (int p = 0; p < k; p++) acc += (double) f(a, (long) i * k + p) * f(b, (long) p * n + j);
                        ref[i * n + j] = alpha * acc + beta * f(c, (long) i * n + j);
                    }
                }
                blas.sgemm(m, n, k, alpha, a, b, beta, c);
                double err = 0, norm = 0;
                for (int i = 0; i < m * n; i++) {
                    double d = f(c, i) - ref[i];
                    err += d * d;
                    norm += ref[i] * ref[i];
                }
                double rel = Math.sqrt(err / norm);
                assertTrue(rel < 1e-5, "sgemm " + m + "x" + n + "x" + k + ": relative error " + rel + " (seed " + seed + ")");
            }
        }
    }

    @Test
    void rejectsSegmentsTooSmallForTheShape() {
        OpenBlas blas = OpenBlas.get().orElse(null);
        assumeTrue(blas != null, OpenBlas.unavailableReason());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> blas.sgemm(4, 4, 4, 1, small, small, 0, small));
            assertTrue(e.getMessage().contains("m=4"), e.getMessage());
        }
    }

    @Test
    void describesItself() {
        OpenBlas blas = OpenBlas.get().orElse(null);
        if (blas == null) {
            assertTrue(OpenBlas.unavailableReason().contains("apt-get install libopenblas0-pthread"));
            return;
        }
        assertFalse(blas.config().isBlank());
    }

    private static MemorySegment random(Arena arena, long n, SplittableRandom r) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        return s;
    }

    private static float f(MemorySegment s, long i) { return s.getAtIndex(ValueLayout.JAVA_FLOAT, i); }
}
