package dev.kiln.cpu;

/**
 * One operand of {@link Gemm}, seen as rows by a contraction axis (A: M x K; B: N x K, that is B
 * transposed), and packed on demand into panels of {@code w} rows: element (r, kk) of a block goes to
 * {@code dst[(r / w) * kc * w + kk * w + r % w]}, rows past the block's end zero. An operand need not
 * exist in memory as a matrix: {@link Im2colPanels} builds convolution columns straight into the panels.
 */
interface Panels {
    /**
     * Packs rows [r0, r0 + rows) by contraction indices [k0, k0 + kc) of batch entry {@code bi} into
     * {@code dst}. {@code scratch} is thread-owned, at least {@link Gemm#SCRATCH} floats.
     */
    void pack(int bi, int r0, int rows, int k0, int kc, int w, float[] dst, float[] scratch);

    /** Zeroes the panel rows [rows, roundUp(rows, w)) that follow a packed block. */
    static void zeroTail(int rows, int kc, int w, float[] dst) {
        int end = (rows + w - 1) / w * w;
        if (rows == end) return;
        int panel = (rows / w) * kc * w;
        for (int kk = 0; kk < kc; kk++) {
            for (int r = rows % w; r < w; r++) dst[panel + kk * w + r] = 0f;
        }
    }
}
