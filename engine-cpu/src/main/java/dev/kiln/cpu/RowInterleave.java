package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/**
 * Packs rows that are contiguous along K (A row-major, a linear layer's weight read as B^T, conv
 * weights as A) into w-row panels: element (r, kk) goes to {@code dst[(r / w) * kc * w + kk * w + r % w]}.
 * This is the scalar order, one row at a time; {@code VectorRowInterleave} gathers whole vectors
 * of the panel instead.
 */
class RowInterleave {
    /** Rows [0, rows) from element {@code base}, {@code rowStride} apart, each holding K indices [0, kc) contiguously. */
    void pack(MemorySegment segment, long base, long rowStride, int rows, int kc, int w, float[] dst, float[] scratch) {
        packRows(segment, base, rowStride, 0, rows, kc, w, dst, scratch);
    }

    /** Rows [from, rows) only, one at a time. */
    static void packRows(MemorySegment segment, long base, long rowStride, int from, int rows, int kc, int w, float[] dst, float[] scratch) {
        for (int r = from; r < rows; r++) {
            int at = (r / w) * kc * w + r % w;
            MemorySegment.copy(segment, F, (base + r * rowStride) * 4, scratch, 0, kc);
            for (int kk = 0; kk < kc; kk++) dst[at + kk * w] = scratch[kk];
        }
    }
}
