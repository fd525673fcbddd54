package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Packing rows contiguous along K is a copy: the gathered panels ({@link VectorRowInterleave}) and the
 * scalar ones ({@link RowInterleave}) hold exactly the elements the panel layout names, for panel
 * widths of both kernels and AVX-512's, odd row counts (partial last panels), K steps shorter than a
 * vector and not a multiple of it, and row strides wider than K.
 */
class RowInterleaveTest {
    private final long seed = System.nanoTime();
    private final Random rnd = new Random(seed);

    @Test
    void gatheredAndScalarPanelsHoldTheLayoutsElements() {
        assertTrue(VectorSupport.AVAILABLE, "the tests run with jdk.incubator.vector");
        RowInterleave[] packers = {new VectorRowInterleave(), new RowInterleave()};
        int[] widths = {4, 6, 16, 32}, rowCounts = {1, 6, 7, 129}, kcs = {1, 7, 8, 129, Gemm.KC};
        try (Arena arena = Arena.ofConfined()) {
            for (int w : widths) {
                for (int rows : rowCounts) {
                    for (int kc : kcs) {
                        long rowStride = kc + 3, base = 5;
                        MemorySegment src = arena.allocate((base + rows * rowStride) * 4, 64);
                        for (long i = 0; i < src.byteSize() / 4; i++) src.setAtIndex(Elem.F, i, (float) rnd.nextGaussian());
                        int size = (rows + w - 1) / w * w * kc;
                        float[] expected = new float[size];
                        Arrays.fill(expected, Float.NaN);  // never written: stays NaN in every packer's output too
                        for (int r = 0; r < rows; r++) {
                            for (int kk = 0; kk < kc; kk++) expected[(r / w) * kc * w + kk * w + r % w] = src.getAtIndex(Elem.F, base + r * rowStride + kk);
                        }
                        for (RowInterleave packer : packers) {
                            float[] dst = new float[size], scratch = new float[Gemm.SCRATCH];
                            Arrays.fill(dst, Float.NaN);
                            packer.pack(src, base, rowStride, rows, kc, w, dst, scratch);
                            assertArrayEquals(expected, dst, packer.getClass().getSimpleName() + " rows " + rows + ", kc " + kc + ", w " + w
                                    + " (seed " + seed + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void stridedPanelsOfRowMajorAMatchTheLayoutWithZeroTail() {
        int rows = 13, kc = 37, w = 6, k = 50;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate((long) 2 * rows * k * 4, 64);
            for (long i = 0; i < a.byteSize() / 4; i++) a.setAtIndex(Elem.F, i, (float) rnd.nextGaussian());
            float[] dst = new float[(rows + w - 1) / w * w * kc], scratch = new float[Gemm.SCRATCH];
            Arrays.fill(dst, Float.NaN);
            StridedPanels.of(a, 0, (long) rows * k, k, 1).pack(1, 0, rows, 9, kc, w, dst, scratch);
            for (int r = 0; r < (rows + w - 1) / w * w; r++) {
                for (int kk = 0; kk < kc; kk++) {
                    float want = r < rows ? a.getAtIndex(Elem.F, (long) rows * k + r * k + 9 + kk) : 0f;
                    float got = dst[(r / w) * kc * w + kk * w + r % w];
                    assertTrue(Float.compare(want, got) == 0, "row " + r + ", k " + kk + ": " + got + " instead of " + want + " (seed " + seed + ")");
                }
            }
        }
    }
}
