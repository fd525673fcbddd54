package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RecursiveAction;

/**
 * Batched SGEMM, BLIS style. C is cut into MC x NC blocks (one task each, all batches together, run
 * on the worker pool); a task walks K in KC steps, packs its A block into MR-row panels and its B
 * block into NR-column panels (any strides, so transposes cost nothing extra), and runs the
 * {@link GemmKernel} over every MR x NR tile. The first K step applies beta; later ones add.
 */
final class Gemm {
    /** Cache blocking (K step, rows of A per packed block, columns of B per task); {@code -Dkiln.cpu.gemm.kc} etc. override, for tuning. */
    static final int KC = Integer.getInteger("kiln.cpu.gemm.kc", 384), MC = Integer.getInteger("kiln.cpu.gemm.mc", 96),
            NC = Integer.getInteger("kiln.cpu.gemm.nc", 512);
    /**
     * Floats of per-thread scratch a {@link Panels} may use: a row of K or of N, whichever is longer, or
     * a panel of rows contiguous along K (up to 32 rows, AVX-512's NR, of KC) for {@link VectorRowInterleave}.
     */
    static final int SCRATCH = Math.max(2 * Math.max(KC, NC) + 64, 32 * KC);
    /** Below this many flops the product runs on the calling thread. */
    static final long PARALLEL_FLOPS = 1L << 21;

    private final GemmKernel kernel;
    private final int mr, nr;
    private final ThreadLocal<float[][]> packs;

    Gemm(GemmKernel kernel) {
        this.kernel = kernel;
        this.mr = kernel.mr();
        this.nr = kernel.nr();
        int mcMax = roundUp(MC, mr), ncMax = roundUp(NC, nr);
        this.packs = ThreadLocal.withInitial(() -> new float[][] {new float[mcMax * KC], new float[KC * ncMax], new float[mr * nr], new float[SCRATCH]});
    }

    private static int roundUp(int x, int m) { return (x + m - 1) / m * m; }

    private static int ceilDiv(long x, long m) { return (int) ((x + m - 1) / m); }

    /** c = alpha * a @ b + beta * c for a [B, M, K], b [B, K, N], c [B, M, N] (validated by the caller). */
    void matmul(View a, View b, View c, float alpha, float beta) {
        int batches = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        if (batches == 0 || m == 0 || n == 0) return;
        MemorySegment cs = ((CpuBuffer) c.buffer()).segment();
        if (k == 0) {
            scaleC(cs, c, batches, m, n, beta);
            return;
        }
        long[] sa = a.strides(), sb = b.strides(), sc = c.strides();
        Panels ap = StridedPanels.of(((CpuBuffer) a.buffer()).segment(), a.offset(), sa[0], sa[1], sa[2]);
        Panels bp = StridedPanels.of(((CpuBuffer) b.buffer()).segment(), b.offset(), sb[0], sb[2], sb[1]);
        run(batches, m, n, k, ap, bp, new Out(cs, c.offset(), sc[0], sc[1], sc[2]), alpha, beta, null);
    }

    /** Where C lives: element (bi, i, j) at {@code offset + bi * batchStride + i * rowStride + j * colStride}. */
    record Out(MemorySegment segment, long offset, long batchStride, long rowStride, long colStride) {}

    /**
     * A bias added once to every element of C (after beta): element (bi, i, j) gets
     * {@code values[(bi % period) * batchStride + i * perRow + j * perColumn]}; one of perRow and
     * perColumn is 1, the other 0.
     */
    record Bias(float[] values, int period, int batchStride, int perRow, int perColumn) {
        int offset(int bi, int i, int j) { return (bi % period) * batchStride + i * perRow + j * perColumn; }
    }

    /**
     * c = alpha * a @ b^T + beta * c (+ bias) over {@code batches} entries, where a is M x K and b is
     * N x K as {@link Panels}. K must be positive.
     */
    void run(int batches, int m, int n, int k, Panels a, Panels b, Out c, float alpha, float beta, Bias bias) {
        if (batches == 0 || m == 0 || n == 0) return;
        long flops = 2L * batches * m * n * k;
        int mc = roundUp(MC, mr), nc = roundUp(NC, nr);
        // A task owns an mSpan x nc block of C (mSpan a multiple of mc) and packs each K step of its B
        // block once for all of its MC blocks: spans as tall as the parallel split allows.
        int mSpan = roundUp(m, mc);
        if (flops >= PARALLEL_FLOPS && Parallel.THREADS > 1) {
            int want = 4 * Parallel.THREADS;
            // Split N first, down to 8 panels: each task then packs a B block (an im2col gather for a
            // convolution, the costlier operand) once per K step instead of once per row span.
            while (tasks(batches, m, n, mSpan, nc) < want && nc > 8 * nr) nc = Math.max(8 * nr, roundUp(nc / 2, nr));
            while (tasks(batches, m, n, mSpan, nc) < want && mSpan > mc) mSpan = roundUp(mSpan / 2, mc);
            while (tasks(batches, m, n, mSpan, nc) < want && mc > mr) { mc = Math.max(mr, roundUp(mc / 2, mr)); mSpan = mc; }
            while (tasks(batches, m, n, mSpan, nc) < want && nc > 4 * nr) nc = Math.max(4 * nr, roundUp(nc / 2, nr));
        }
        int mBlocks = ceilDiv(m, mSpan), nBlocks = ceilDiv(n, nc);
        long tasks = (long) batches * mBlocks * nBlocks;
        final int fmc = mc, fnc = nc, fspan = mSpan;
        if (flops < PARALLEL_FLOPS || tasks == 1 || Parallel.THREADS == 1) {
            for (long t = 0; t < tasks; t++) block(a, b, c, m, n, k, t, mBlocks, nBlocks, fspan, fmc, fnc, alpha, beta, bias);
            return;
        }
        List<RecursiveAction> actions = new ArrayList<>();
        for (long t = 0; t < tasks; t++) {
            long id = t;
            actions.add(new RecursiveAction() {
                @Override
                protected void compute() { block(a, b, c, m, n, k, id, mBlocks, nBlocks, fspan, fmc, fnc, alpha, beta, bias); }
            });
        }
        Parallel.invokeAll(actions);
    }

    /** Packs B (N x K, batch entry 0) once, for products that reuse it: see {@link PackedPanels}. */
    PackedPanels prepack(Panels b, int n, int k) { return PackedPanels.of(b, n, k, nr, roundUp(NC, nr)); }

    private static long tasks(int batches, int m, int n, int mSpan, int nc) {
        return (long) batches * ceilDiv(m, mSpan) * ceilDiv(n, nc);
    }

    /**
     * Computes one mSpan x NC block of one batch entry, over all of K: per K step, B's block is
     * packed once and A's MC-row blocks in turn. It joins nothing, so the thread's packing buffers
     * cannot be reused underneath it by a task it helps.
     */
    private void block(Panels a, Panels b, Out c, int m, int n, int k, long task, int mBlocks, int nBlocks, int mSpan, int mcBlock,
                       int ncBlock, float alpha, float beta, Bias bias) {
        int bi = (int) (task / ((long) mBlocks * nBlocks));
        int rem = (int) (task % ((long) mBlocks * nBlocks));
        int mStart = (rem / nBlocks) * mSpan, n0 = (rem % nBlocks) * ncBlock;
        int mEnd = Math.min(m, mStart + mSpan), nc = Math.min(ncBlock, n - n0);
        MemorySegment cs = c.segment();
        float[][] p = packs.get();
        float[] ap = p[0], bp = p[1], acc = p[2];
        float[] biasValues = bias == null ? null : bias.values();
        int biasRow = bias == null ? 0 : bias.perRow(), biasCol = bias == null ? 0 : bias.perColumn();
        long rs = c.rowStride(), cst = c.colStride();
        PackedPanels prepacked = b instanceof PackedPanels pp && pp.panelWidth() == nr ? pp : null;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            // a prepacked B is read where it lies; any other B is packed into this thread's buffer
            float[] bArr = bp;
            int bBase = 0;
            if (prepacked != null) {
                bArr = prepacked.data();
                bBase = prepacked.blockOffset(n0, k0, kc);
            } else {
                b.pack(bi, n0, nc, k0, kc, nr, bp, p[3]);
            }
            float bet = k0 == 0 ? beta : 1f;
            float[] bv = k0 == 0 ? biasValues : null;  // the bias joins C once, with beta
            for (int m0 = mStart; m0 < mEnd; m0 += mcBlock) {
                int mc = Math.min(mcBlock, mEnd - m0);
                a.pack(bi, m0, mc, k0, kc, mr, ap, p[3]);
                long cBase = c.offset() + bi * c.batchStride() + m0 * rs + n0 * cst;
                for (int j = 0; j < nc; j += nr) {
                    int nv = Math.min(nr, nc - j);
                    int bo = (j / nr) * kc * nr;
                    for (int i = 0; i < mc; i += mr) {
                        int mv = Math.min(mr, mc - i);
                        int biasOff = bv == null ? 0 : bias.offset(bi, m0 + i, n0 + j);
                        kernel.tile(kc, ap, (i / mr) * kc * mr, bArr, bBase + bo, cs, cBase + i * rs + j * cst, rs, cst, mv, nv, alpha, bet, acc,
                                bv, biasOff, biasRow, biasCol);
                    }
                }
            }
        }
    }

    private static void scaleC(MemorySegment cs, View c, int batches, int m, int n, float beta) {
        long[] st = c.strides();
        for (int bi = 0; bi < batches; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long at = c.offset() + bi * st[0] + i * st[1] + j * st[2];
                    cs.setAtIndex(F, at, beta == 0 ? 0f : beta * cs.getAtIndex(F, at));
                }
            }
        }
    }
}
