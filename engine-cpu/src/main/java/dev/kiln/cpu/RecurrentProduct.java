package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import java.lang.foreign.MemorySegment;

/**
 * {@code y[rows, outs] = beta * y + h[rows, k] · W^T (+ bias)} for one fixed W, run once per time
 * step of an RNN. Up to {@link CpuFastPaths#GEMV_ROWS} rows it is dot products over W's rows (read
 * once per step, as the linear layer's GEMV); above, a {@link Gemm} whose B was packed once for all
 * steps. W arrives as rows of k (row o holds the weights of output o), contiguous.
 */
final class RecurrentProduct {
    private final Gemm gemm;
    private final F32Kernels f32;
    private final MemorySegment w;
    private final long wOff;
    private final int outs, k, rows;
    private final PackedPanels packed;

    RecurrentProduct(Gemm gemm, F32Kernels f32, MemorySegment w, long wOff, int outs, int k, int rows) {
        this.gemm = gemm;
        this.f32 = f32;
        this.w = w;
        this.wOff = wOff;
        this.outs = outs;
        this.k = k;
        this.rows = rows;
        this.packed = rows > CpuFastPaths.GEMV_ROWS ? gemm.prepack(StridedPanels.of(w, wOff, 0, k, 1), outs, k) : null;
    }

    /** h row n at {@code hOff + n * hStride}, y row n at {@code yOff + n * yStride}; beta is 0 or 1. */
    void run(MemorySegment h, long hOff, long hStride, MemorySegment y, long yOff, long yStride, float beta, float[] bias) {
        if (packed != null) {
            Gemm.Bias fused = bias == null ? null : new Gemm.Bias(bias, 1, 0, 0, 1);
            gemm.run(1, rows, outs, k, StridedPanels.of(h, hOff, 0, hStride, 1), packed, new Gemm.Out(y, yOff, 0, yStride, 1), 1f, beta,
                    fused);
            return;
        }
        long grain = Math.max(1, 16384 / k);
        Parallel.forRange(outs, Math.max(2, Parallel.ELEMENT_THRESHOLD / k), grain, (s, e) -> {
            int groups = (rows + 3) / 4;
            long[][] rowOff = new long[groups][4];
            for (int gi = 0; gi < groups; gi++) {
                int group = Math.min(4, rows - 4 * gi);
                for (int q = 0; q < 4; q++) rowOff[gi][q] = hOff + (4L * gi + Math.min(q, group - 1)) * hStride;  // unused slots repeat a row
            }
            float[] dots = new float[4];
            for (long o = s; o < e; o++) {
                for (int gi = 0; gi < groups; gi++) {
                    f32.dot4(h, rowOff[gi], w, wOff + o * k, k, dots);
                    for (int q = 0; q < Math.min(4, rows - 4 * gi); q++) {
                        long at = yOff + (4L * gi + q) * yStride + o;
                        float v = dots[q];
                        if (beta != 0) v = y.getAtIndex(F, at) + v;
                        if (bias != null) v += bias[(int) o];
                        y.setAtIndex(F, at, v);
                    }
                }
            }
        });
    }
}
