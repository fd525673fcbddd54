package dev.kiln.cpu;

import dev.kiln.spi.Distribution;
import dev.kiln.spi.Philox;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;

/**
 * Philox 4x32-10 numbers exactly as {@link Philox} maps (seed, offset, element index) to a value;
 * element i is the i-th of the output in row-major order, whatever its strides. One Philox block
 * serves four uniform (two normal) consecutive elements.
 */
final class RandomFill {
    private static final int TILE = 512;

    private RandomFill() {}

    static void fill(Distribution d, long seed, long offset, View out) {
        StridedLoop loop = StridedLoop.of(out.shape(), out);
        MemorySegment os = ((CpuBuffer) out.buffer()).segment();
        long so = loop.innerStride(0);
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD / 4, 4096, (s, e) -> {
            double[] tile = new double[TILE];
            loop.run(s, e, TILE, (o, n, first) -> {
                if (d == Distribution.UNIFORM) uniform(seed, offset, first, n, tile);
                else normal(seed, offset, first, n, tile);
                Elem.storeD(os, out.dtype(), o[0], so, n, tile);
            });
        });
    }

    private static void uniform(long seed, long offset, long first, int n, double[] dst) {
        int[] block = null;
        for (int j = 0; j < n; j++) {
            long i = first + j;
            if (block == null || i % 4 == 0) block = Philox.block(seed, offset + i / 4);
            dst[j] = (block[(int) (i % 4)] >>> 8) * 0x1p-24f;
        }
    }

    private static void normal(long seed, long offset, long first, int n, double[] dst) {
        int[] block = null;
        for (int j = 0; j < n; j++) {
            long i = first + j;
            if (block == null || i % 2 == 0) block = Philox.block(seed, offset + i / 2);
            int w = (int) (i % 2) * 2;
            double u1 = ((block[w] >>> 8) + 1) * 0x1p-24;
            double u2 = (block[w + 1] >>> 8) * 0x1p-24;
            dst[j] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
    }
}
