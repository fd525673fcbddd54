package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Panels} operand stored with any strides: element (bi, r, k) at
 * {@code offset + (bi % period) * batchStride + r * rowStride + k * kStride}. Contiguous rows (A
 * row-major, or B column-major) are read in bulk then interleaved ({@link RowInterleave});
 * contiguous panel rows (B row-major) are bulk copies.
 */
record StridedPanels(MemorySegment segment, long offset, int period, long batchStride, long rowStride, long kStride) implements Panels {

    /** Packs rows contiguous along K; a copy, so the scalar and vector ones give the same bits. */
    private static final RowInterleave INTERLEAVE = VectorSupport.rowInterleave();

    /** Without a batch period: batch entry bi starts at {@code offset + bi * batchStride}. */
    static StridedPanels of(MemorySegment segment, long offset, long batchStride, long rowStride, long kStride) {
        return new StridedPanels(segment, offset, Integer.MAX_VALUE, batchStride, rowStride, kStride);
    }

    @Override
    public void pack(int bi, int r0, int rows, int k0, int kc, int w, float[] dst, float[] scratch) {
        long base = offset + (bi % period) * batchStride + r0 * rowStride + k0 * kStride;
        if (rowStride == 1) {
            // each K index is a contiguous run of rows: one bulk read, then panel-wide array copies
            for (int kk = 0; kk < kc; kk++) {
                MemorySegment.copy(segment, F, (base + kk * kStride) * 4, scratch, 0, rows);
                for (int r = 0; r < rows; r += w) System.arraycopy(scratch, r, dst, (r / w) * kc * w + kk * w, Math.min(w, rows - r));
            }
        } else if (kStride == 1) {
            INTERLEAVE.pack(segment, base, rowStride, rows, kc, w, dst, scratch);
        } else {
            for (int r = 0; r < rows; r++) {
                int at = (r / w) * kc * w + r % w;
                long row = base + r * rowStride;
                for (int kk = 0; kk < kc; kk++) dst[at + kk * w] = segment.getAtIndex(F, row + kk * kStride);
            }
        }
        Panels.zeroTail(rows, kc, w, dst);
    }
}
