package dev.kiln.cpu;

import dev.kiln.spi.View;

/**
 * Walks the elements of one shape, in row-major order, across several operands that each have their
 * own offset and strides. Axes of extent 1 are dropped and adjacent axes that every operand lays out
 * contiguously are merged, so a fully contiguous tensor becomes a single row. The walk hands out
 * segments: runs along the innermost axis of at most {@code maxLen} elements, together with each
 * operand's element offset and the row-major index of the first element.
 */
final class StridedLoop {
    /** Receives one segment: {@code offs[k]} is operand k's offset of the first element (read it, never write it). */
    @FunctionalInterface
    interface Body {
        void segment(long[] offs, int n, long linearStart);
    }

    private final int[] shape;          // merged shape, rank >= 1
    private final long[][] strides;     // [operand][axis]
    private final long[] base;
    final long numel;

    StridedLoop(int[] shape, long[] offsets, long[]... operandStrides) {
        int ops = offsets.length;
        int r = shape.length;
        int[] sh = new int[Math.max(r, 1)];
        long[][] st = new long[ops][Math.max(r, 1)];
        int m = 0;
        long n = 1;
        for (int d = 0; d < r; d++) {
            n *= shape[d];
            if (shape[d] == 1) continue;
            boolean merge = m > 0;
            for (int k = 0; k < ops && merge; k++) merge = st[k][m - 1] == operandStrides[k][d] * shape[d];
            if (merge) {
                sh[m - 1] *= shape[d];
                for (int k = 0; k < ops; k++) st[k][m - 1] = operandStrides[k][d];
            } else {
                sh[m] = shape[d];
                for (int k = 0; k < ops; k++) st[k][m] = operandStrides[k][d];
                m++;
            }
        }
        if (m == 0) { sh[0] = 1; m = 1; }
        this.numel = n;
        this.shape = java.util.Arrays.copyOf(sh, m);
        this.strides = new long[ops][];
        for (int k = 0; k < ops; k++) strides[k] = java.util.Arrays.copyOf(st[k], m);
        this.base = offsets.clone();
    }

    /** A loop over {@code shape} with each view's own offset and strides. */
    static StridedLoop of(int[] shape, View... views) {
        long[] offs = new long[views.length];
        long[][] st = new long[views.length][];
        for (int k = 0; k < views.length; k++) {
            offs[k] = views[k].offset();
            st[k] = views[k].strides();
        }
        return new StridedLoop(shape, offs, st);
    }

    /** Stride of operand k along the innermost (merged) axis. */
    long innerStride(int k) { return strides[k][shape.length - 1]; }

    int innerExtent() { return shape[shape.length - 1]; }

    /** Runs {@code body} over the elements with row-major index in [start, end). */
    void run(long start, long end, int maxLen, Body body) {
        if (start >= end) return;
        int r = shape.length, ops = base.length;
        int[] idx = new int[r];
        long rem = start;
        for (int d = r - 1; d >= 0; d--) {
            idx[d] = (int) (rem % shape[d]);
            rem /= shape[d];
        }
        long[] offs = new long[ops];
        for (int k = 0; k < ops; k++) {
            long o = base[k];
            long[] s = strides[k];
            for (int d = 0; d < r; d++) o += idx[d] * s[d];
            offs[k] = o;
        }
        long pos = start;
        int inner = shape[r - 1];
        while (pos < end) {
            int n = (int) Math.min(Math.min(inner - idx[r - 1], end - pos), maxLen);
            body.segment(offs, n, pos);
            pos += n;
            idx[r - 1] += n;
            for (int k = 0; k < ops; k++) offs[k] += n * strides[k][r - 1];
            // Odometer carry, moving each operand's offset along with the index.
            for (int d = r - 1; d > 0 && idx[d] == shape[d]; d--) {
                idx[d] = 0;
                idx[d - 1]++;
                for (int k = 0; k < ops; k++) offs[k] += strides[k][d - 1] - shape[d] * strides[k][d];
            }
        }
    }
}
