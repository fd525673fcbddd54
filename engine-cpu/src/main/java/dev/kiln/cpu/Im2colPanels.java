package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/**
 * The im2col matrix of a convolution as a {@link Panels} operand, never materialized: each packed
 * block (at most NC output positions by KC kernel taps) is built straight from the NCHW input, zeros
 * for padding. Batch entry {@code bi} is image {@code bi / groups}, group {@code bi % groups}; rows
 * are output positions (oy * OW + ox), the contraction index is (channel in group, ky, kx).
 */
record Im2colPanels(MemorySegment segment, long offset, ConvGeometry g) implements Panels {

    @Override
    public void pack(int bi, int r0, int rows, int k0, int kc, int w, float[] dst, float[] scratch) {
        int groups = g.groups(), taps = g.kh() * g.kw();
        long image = offset + ((long) (bi / groups) * g.c() + (long) (bi % groups) * g.cg()) * g.plane();
        for (int kk = 0; kk < kc; kk++) {
            int kidx = k0 + kk, ch = kidx / taps, tap = kidx % taps;
            column(image + (long) ch * g.plane(), tap / g.kw(), tap % g.kw(), r0, rows, scratch);
            for (int r = 0; r < rows; r += w) {
                System.arraycopy(scratch, r, dst, (r / w) * kc * w + kk * w, Math.min(w, rows - r));
            }
        }
        Panels.zeroTail(rows, kc, w, dst);
    }

    /** The same matrix transposed, for one image: rows are kernel taps, the contraction runs over output positions; batch entry = group. */
    record Transposed(Im2colPanels source, int image) implements Panels {
        @Override
        public void pack(int bi, int r0, int rows, int k0, int kc, int w, float[] dst, float[] scratch) {
            ConvGeometry g = source.g();
            int taps = g.kh() * g.kw();
            long planes = source.offset() + ((long) image * g.c() + (long) bi * g.cg()) * g.plane();
            for (int r = 0; r < rows; r++) {
                int kidx = r0 + r, ch = kidx / taps, tap = kidx % taps;
                source.column(planes + (long) ch * g.plane(), tap / g.kw(), tap % g.kw(), k0, kc, scratch);
                int at = (r / w) * kc * w + r % w;
                for (int kk = 0; kk < kc; kk++) dst[at + kk * w] = scratch[kk];
            }
            Panels.zeroTail(rows, kc, w, dst);
        }
    }

    /**
     * Runs shorter than this are copied and zeroed by plain loops: the bulk calls' argument checks
     * cost more than the copy for the 13- to 28-wide rows of small feature maps.
     */
    private static final int BULK = 64;

    private static void zero(float[] out, int from, int to) {
        if (to - from >= BULK) java.util.Arrays.fill(out, from, to, 0f);
        else for (int i = from; i < to; i++) out[i] = 0f;
    }

    /** Writes the input values that kernel tap (ky, kx) of channel plane {@code plane} meets at output positions [r0, r0 + rows). */
    void column(long plane, int ky, int kx, int r0, int rows, float[] out) {
        var p = g.p();
        int sh = p.strideH(), sw = p.strideW(), h = g.h(), w = g.w(), ow = g.ow();
        int dy = ky * p.dilationH() - p.padH(), dx = kx * p.dilationW() - p.padW();
        int pos = r0, end = r0 + rows;
        while (pos < end) {
            int oy = pos / ow, ox = pos % ow, run = Math.min(ow - ox, end - pos), at = pos - r0;
            int iy = oy * sh + dy;
            if (iy < 0 || iy >= h) {
                zero(out, at, at + run);
            } else {
                long row = plane + (long) iy * w;
                // ox + t lands inside the row for t in [lo, hi)
                int lo = Math.clamp(Math.ceilDiv(-dx - ox * sw, sw), 0, run);
                int hi = Math.clamp(Math.ceilDiv(w - dx - ox * sw, sw), lo, run);
                zero(out, at, at + lo);
                int ix = (ox + lo) * sw + dx;
                if (sw == 1 && hi - lo >= BULK) {
                    MemorySegment.copy(segment, F, (row + ix) * 4, out, at + lo, hi - lo);
                } else {
                    for (int t = lo; t < hi; t++, ix += sw) out[at + t] = segment.getAtIndex(F, row + ix);
                }
                zero(out, at + hi, at + run);
            }
            pos += run;
        }
    }
}
