package dev.kiln.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;

/**
 * Not a test: CPU time per product of {@link Gemm}, for tuning on a machine that others share (CPU time
 * of the whole process, not wall time, so another engineer's load counts less). Each argument is a
 * shape {@code MxNxK}: A [M, K] and B [K, N], both row-major; {@code MxNxKxT} reads B as [N, K]
 * row-major (a linear layer's weight, packed as K-contiguous rows). Compare settings in separate JVMs,
 * e.g. {@code -Dkiln.cpu.gemm.gather=false}; see docs/cpu-backend.md for the command.
 */
public final class GemmCpuTimeMain {
    private GemmCpuTimeMain() {}

    public static void main(String[] args) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Gemm gemm = new Gemm(VectorSupport.gemmKernel(true));
        for (String shape : args) {
            String[] p = shape.split("x");
            int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
            boolean transposedB = p.length > 3;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment a = random(arena, (long) m * k), b = random(arena, (long) n * k);
                Panels ap = StridedPanels.of(a, 0, 0, k, 1);
                Panels bp = transposedB ? StridedPanels.of(b, 0, 0, k, 1) : StridedPanels.of(b, 0, 0, 1, n);
                Gemm.Out c = new Gemm.Out(arena.allocate((long) m * n * 4, 64), 0, 0, n, 1);
                for (int i = 0; i < 20; i++) gemm.run(1, m, n, k, ap, bp, c, 1f, 0f, null);
                double best = Double.MAX_VALUE;
                for (int round = 0; round < 7; round++) {
                    long cpu0 = os.getProcessCpuTime(), wall0 = System.nanoTime();
                    int products = 0;
                    while (System.nanoTime() - wall0 < 500_000_000L) {
                        gemm.run(1, m, n, k, ap, bp, c, 1f, 0f, null);
                        products++;
                    }
                    best = Math.min(best, (os.getProcessCpuTime() - cpu0) / 1e6 / products);
                }
                System.out.printf("%s gather=%s: %.3f CPU ms per product (best of 7 rounds), %.1f GFLOP per CPU-second%n", shape,
                        System.getProperty("kiln.cpu.gemm.gather", "true"), best, 2.0 * m * n * k / 1e6 / best);
            }
        }
    }

    private static MemorySegment random(Arena arena, long floats) {
        Random rnd = new Random(floats);
        MemorySegment s = arena.allocate(floats * 4, 64);
        for (long i = 0; i < floats; i++) s.setAtIndex(Elem.F, i, (float) rnd.nextGaussian());
        return s;
    }
}
