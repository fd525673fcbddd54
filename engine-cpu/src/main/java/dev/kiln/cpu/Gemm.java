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
    static final int KC = 256, MC = 96, NC = 256;
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
        this.packs = ThreadLocal.withInitial(() -> new float[][] {new float[mcMax * KC], new float[KC * ncMax], new float[mr * nr], new float[KC]});
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
        long flops = 2L * batches * m * n * k;
        int mc = roundUp(MC, mr), nc = roundUp(NC, nr);
        if (flops >= PARALLEL_FLOPS && Parallel.THREADS > 1) {
            // Enough tasks for work stealing to balance: shrink blocks while there are too few.
            int want = 4 * Parallel.THREADS;
            while ((long) batches * ceilDiv(m, mc) * ceilDiv(n, nc) < want && mc > mr) mc = Math.max(mr, roundUp(mc / 2, mr));
            while ((long) batches * ceilDiv(m, mc) * ceilDiv(n, nc) < want && nc > 4 * nr) nc = Math.max(4 * nr, roundUp(nc / 2, nr));
        }
        int mBlocks = ceilDiv(m, mc), nBlocks = ceilDiv(n, nc);
        long tasks = (long) batches * mBlocks * nBlocks;
        final int fmc = mc, fnc = nc;
        if (flops < PARALLEL_FLOPS || tasks == 1 || Parallel.THREADS == 1) {
            for (long t = 0; t < tasks; t++) block(a, b, c, t, mBlocks, nBlocks, fmc, fnc, alpha, beta);
            return;
        }
        List<RecursiveAction> actions = new ArrayList<>();
        for (long t = 0; t < tasks; t++) {
            long id = t;
            actions.add(new RecursiveAction() {
                @Override
                protected void compute() { block(a, b, c, id, mBlocks, nBlocks, fmc, fnc, alpha, beta); }
            });
        }
        Parallel.invokeAll(actions);
    }

    /** Computes one MC x NC block of one batch entry, over all of K. */
    private void block(View a, View b, View c, long task, int mBlocks, int nBlocks, int mcBlock, int ncBlock, float alpha, float beta) {
        int bi = (int) (task / ((long) mBlocks * nBlocks));
        int rem = (int) (task % ((long) mBlocks * nBlocks));
        int m0 = (rem / nBlocks) * mcBlock, n0 = (rem % nBlocks) * ncBlock;
        int m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        int mc = Math.min(mcBlock, m - m0), nc = Math.min(ncBlock, n - n0);
        MemorySegment as = ((CpuBuffer) a.buffer()).segment(), bs = ((CpuBuffer) b.buffer()).segment(), cs = ((CpuBuffer) c.buffer()).segment();
        long[] sa = a.strides(), sb = b.strides(), sc = c.strides();
        long aBase = a.offset() + bi * sa[0] + m0 * sa[1];
        long bBase = b.offset() + bi * sb[0] + n0 * sb[2];
        long cBase = c.offset() + bi * sc[0] + m0 * sc[1] + n0 * sc[2];
        float[][] p = packs.get();
        float[] ap = p[0], bp = p[1], acc = p[2];
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            packB(bs, bBase + k0 * sb[1], sb[1], sb[2], kc, nc, bp);
            packA(as, aBase + k0 * sa[2], sa[1], sa[2], mc, kc, ap, p[3]);
            float bet = k0 == 0 ? beta : 1f;
            for (int j = 0; j < nc; j += nr) {
                int nv = Math.min(nr, nc - j);
                int bo = (j / nr) * kc * nr;
                for (int i = 0; i < mc; i += mr) {
                    int mv = Math.min(mr, mc - i);
                    kernel.tile(kc, ap, (i / mr) * kc * mr, bp, bo, cs, cBase + i * sc[1] + j * sc[2], sc[1], sc[2], mv, nv, alpha, bet, acc);
                }
            }
        }
    }

    /** Packs rows [0, mc) x cols [0, kc) of A (element (i, k) at base + i*rs + k*cs) into MR-row panels, zero-padded. */
    private void packA(MemorySegment s, long base, long rs, long cs, int mc, int kc, float[] ap, float[] rowBuf) {
        for (int i0 = 0; i0 < mc; i0 += mr) {
            int panel = (i0 / mr) * kc * mr;
            for (int i = 0; i < mr; i++) {
                int row = i0 + i;
                if (row >= mc) {
                    for (int kk = 0; kk < kc; kk++) ap[panel + kk * mr + i] = 0f;
                    continue;
                }
                long r = base + row * rs;
                if (cs == 1) {
                    // Row-major A: one bulk read of the row, then the interleave.
                    MemorySegment.copy(s, F, r * 4, rowBuf, 0, kc);
                    for (int kk = 0; kk < kc; kk++) ap[panel + kk * mr + i] = rowBuf[kk];
                } else {
                    for (int kk = 0; kk < kc; kk++) ap[panel + kk * mr + i] = s.getAtIndex(F, r + kk * cs);
                }
            }
        }
    }

    /** Packs rows [0, kc) x cols [0, nc) of B (element (k, j) at base + k*rs + j*cs) into NR-column panels, zero-padded. */
    private void packB(MemorySegment s, long base, long rs, long cs, int kc, int nc, float[] bp) {
        for (int j0 = 0; j0 < nc; j0 += nr) {
            int panel = (j0 / nr) * kc * nr;
            int nv = Math.min(nr, nc - j0);
            if (cs == 1 && nv == nr) {
                for (int kk = 0; kk < kc; kk++) MemorySegment.copy(s, F, (base + kk * rs + j0) * 4, bp, panel + kk * nr, nr);
                continue;
            }
            for (int j = 0; j < nr; j++) {
                if (j >= nv) {
                    for (int kk = 0; kk < kc; kk++) bp[panel + kk * nr + j] = 0f;
                    continue;
                }
                long col = base + (j0 + j) * cs;
                for (int kk = 0; kk < kc; kk++) bp[panel + kk * nr + j] = s.getAtIndex(F, col + kk * rs);
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
