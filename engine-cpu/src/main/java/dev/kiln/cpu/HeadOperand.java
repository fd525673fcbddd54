package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import dev.kiln.Tensor;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;

/**
 * An attention operand read in place through its strides, as [N, H, T, D] (a rank-3 log-sum-exp is
 * [N, H, T] with D absent; a mask is broadcast to [N, H, Tq, Tk] with stride 0 on repeated axes), so
 * transposed, sliced or broadcast inputs need no contiguous copy. Rows with unit stride along the last
 * axis are copied in bulk.
 */
record HeadOperand(MemorySegment seg, long off, long[] st) {
    static HeadOperand of(Tensor t) {
        View v = t.view();
        return new HeadOperand(((CpuBuffer) v.buffer()).segment(), v.offset(), v.strides());
    }

    /** The mask broadcast to the score shape; null stays null. */
    static HeadOperand mask(Tensor mask, int n, int h, int tq, int tk) {
        if (mask == null) return null;
        View v = mask.view().broadcastTo(new int[] {n, h, tq, tk});
        return new HeadOperand(((CpuBuffer) v.buffer()).segment(), v.offset(), v.strides());
    }

    private long base(int b, int hh, int i) { return off + b * st[0] + hh * st[1] + i * st[2]; }

    /** Element (b, hh, i, j) of a rank-4 operand. */
    float at(int b, int hh, int i, int j) { return seg.getAtIndex(F, base(b, hh, i) + j * st[3]); }

    /** Element (b, hh, i) of a rank-3 operand. */
    float at(int b, int hh, int i) { return seg.getAtIndex(F, base(b, hh, i)); }

    /** Rows {@code row0 .. row0+rows} of head (b, hh) into {@code dst} as [rows, d]. */
    void loadRows(int b, int hh, int row0, int rows, int d, float[] dst) {
        for (int r = 0; r < rows; r++) {
            long src = base(b, hh, row0 + r);
            if (st[3] == 1) {
                MemorySegment.copy(seg, F, src * 4, dst, r * d, d);
            } else {
                for (int e = 0; e < d; e++) dst[r * d + e] = seg.getAtIndex(F, src + e * st[3]);
            }
        }
    }

    /** The same rows transposed into {@code dst} as [d, rows]. */
    void loadTransposed(int b, int hh, int row0, int rows, int d, float[] dst) {
        for (int r = 0; r < rows; r++) {
            long src = base(b, hh, row0 + r);
            for (int e = 0; e < d; e++) dst[e * rows + r] = seg.getAtIndex(F, src + e * st[3]);
        }
    }
}
