package dev.kiln.opencl;

import dev.kiln.spi.View;

/**
 * gemm_packed.cl's GEMM for CPU devices: a and b are packed into K-contiguous panels (padded with
 * zeros to whole panels), then each work item multiplies one panel of a by one panel of b into a
 * register block of c. K is walked in blocks of {@link #KC}, one launch each, so the panels a
 * work group reads stay in the core's L2 cache.
 */
final class PackedGemm {
    /** Rows of a per panel; 8 vectors of accumulators leave registers for b and a's broadcast. */
    static final int MR = 8;
    /** K per launch: 8 panels of a and 8 of b at 256 x 8 floats are 128 KiB. */
    static final int KC = 256;
    /** Work group: 8 x 8 register blocks, so each group reuses 8 panels of a and 8 of b. */
    private static final int GROUP = 8;

    private final OpenClBackend backend;
    private final int nr;
    private final String prelude;

    PackedGemm(OpenClBackend backend) {
        this.backend = backend;
        nr = vectorWidth(backend.device().floatVectorWidth());
        prelude = "#define GEMM_MR " + MR + "\n#define GEMM_NR " + nr + "\n";
    }

    /** The device's preferred float vector width as a panel width of b: 4, 8 or 16. */
    static int vectorWidth(int preferred) {
        return preferred >= 16 ? 16 : preferred >= 8 ? 8 : 4;
    }

    int panelWidth() { return nr; }

    /** c = alpha a @ b + beta c for views already checked by {@link Gemm}; K > 0. */
    void matmul(View a, View b, View c, float alpha, float beta, ClBuffer ab, ClBuffer bb, ClBuffer cb) {
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        // a batch broadcast by stride 0 is packed once and read by every batch
        int aBatches = a.strides()[0] == 0 ? 1 : batch, bBatches = b.strides()[0] == 0 ? 1 : batch;
        int mPanels = (m + MR - 1) / MR, nPanels = (n + nr - 1) / nr;
        long aPanel = (long) mPanels * MR * k, bPanel = (long) nPanels * nr * k;
        long program = backend.programs().get("gemm_packed.cl", prelude);
        ClBuffer ap = (ClBuffer) backend.allocate(aPanel * aBatches * Float.BYTES);
        ClBuffer bp = (ClBuffer) backend.allocate(bPanel * bBatches * Float.BYTES);
        try {
            pack(program, m, k, MR, ab, a.offset(), a.strides()[0], a.strides()[1], a.strides()[2], aBatches, ap);
            pack(program, n, k, nr, bb, b.offset(), b.strides()[0], b.strides()[2], b.strides()[1], bBatches, bp);
            long[] global = {KernelCall.roundUp(nPanels, GROUP), KernelCall.roundUp(mPanels, GROUP), batch};
            long[] local = {GROUP, GROUP, 1};
            for (int k0 = 0; k0 < k; k0 += KC) {
                backend.ctx().kernel(program, "gemm_panels")
                        .i32(m).i32(n).i32(k).i32(k0).i32(Math.min(KC, k - k0)).f32(alpha).f32(k0 == 0 ? beta : 1f)
                        .mem(ap).i64(aBatches == 1 ? 0 : aPanel).mem(bp).i64(bBatches == 1 ? 0 : bPanel)
                        .mem(cb).i64(c.offset()).i64(c.strides()[0]).i64(c.strides()[1]).i64(c.strides()[2])
                        .launch(global, local);
            }
        } finally {
            // frees wait for the kernels queued before them (DeferredFrees)
            backend.free(ap);
            backend.free(bp);
        }
    }

    private void pack(long program, int rows, int k, int width, ClBuffer src, long offset,
                      long sBatch, long sRow, long sK, int batches, ClBuffer dst) {
        long paddedRows = (long) (rows + width - 1) / width * width;
        backend.ctx().kernel(program, "gemm_pack").i32(rows).i32(k).i32(width)
                .mem(src).i64(offset).i64(sBatch).i64(sRow).i64(sK).mem(dst)
                .launch(new long[] {paddedRows, k, batches}, null);
    }
}
