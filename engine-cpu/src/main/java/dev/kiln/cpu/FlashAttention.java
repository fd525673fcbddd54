package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.DType;
import dev.kiln.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Scaled dot-product attention without the [Tq, Tk] score matrix (FlashAttention-2 on the CPU): each
 * task owns one (batch, head, block of query rows), walks the key blocks with an online softmax
 * (running maximum and sum per row, the output tile rescaled when the maximum grows) and writes its
 * rows once; key blocks wholly past the causal diagonal are skipped. The backward recomputes score
 * tiles from q, k and the log-sum-exp: one pass parallel over key blocks accumulates dK and dV, one
 * over query blocks accumulates dQ, so no two tasks write the same element. Scratch is a few tiles per
 * task on the heap; device memory is the outputs only.
 *
 * <p>Semantics are {@link dev.kiln.composite.AttentionComposite}'s: causal drops key j > query i (top
 * left aligned), a row whose every key is dropped gives zeros and log-sum-exp +inf. Every element is
 * computed in a fixed order (exponentials through {@link Math#exp}), whatever the thread count.
 */
final class FlashAttention {
    /** Query rows per task and keys per tile: a 64 x 64 score tile and 64 x D operand tiles stay in L2. */
    static final int BLOCK_Q = 64, BLOCK_K = 64;

    private final AttentionTiles tiles;

    FlashAttention(AttentionTiles tiles) { this.tiles = tiles; }

    /** The problem's sizes and operands, shared by the passes. */
    private record Problem(int n, int h, int tq, int tk, int d, float scale, boolean causal, HeadOperand q, HeadOperand k,
                           HeadOperand v, HeadOperand mask) {
        static Problem of(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
            int n = q.dim(0), h = q.dim(1), tq = q.dim(2), tk = k.dim(2);
            return new Problem(n, h, tq, tk, q.dim(3), (float) scale, causal, HeadOperand.of(q), HeadOperand.of(k),
                    HeadOperand.of(v), HeadOperand.mask(mask, n, h, tq, tk));
        }

        int queryBlocks() { return (tq + BLOCK_Q - 1) / BLOCK_Q; }

        int keyBlocks() { return (tk + BLOCK_K - 1) / BLOCK_K; }

        /** Keys past this one are dropped for every row of a query block ending (exclusive) at {@code rowEnd}. */
        int keyEnd(int rowEnd) { return causal ? Math.min(tk, rowEnd) : tk; }

        /**
         * Turns a tile of dot products (rows i0.., keys j0..) into scores in place:
         * {@code scale * dot + mask}, -inf where causal drops the key; the composite's float order.
         */
        void scores(float[] s, int b, int hh, int i0, int rows, int j0, int cols) {
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                for (int c = 0; c < cols; c++) {
                    int j = j0 + c;
                    float x = s[r * cols + c] * scale;
                    if (mask != null) x += mask.at(b, hh, i, j);
                    if (causal && j > i) x = Float.NEGATIVE_INFINITY;
                    s[r * cols + c] = x;
                }
            }
        }
    }

    /** The composite handles what has no tiles: no keys, no head dimension, no rows. */
    static boolean handles(Tensor q, Tensor k) { return k.dim(2) > 0 && q.dim(3) > 0 && q.numel() > 0; }

    AttentionResult forward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        return forward(q, k, v, mask, causal, scale, true);
    }

    /** {@code parallel} false runs every task on the caller (the determinism tests compare the two). */
    AttentionResult forward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, boolean parallel) {
        Problem p = Problem.of(q, k, v, mask, causal, scale);
        Tensor out = q.device().empty(DType.F32, p.n, p.h, p.tq, p.d);
        Tensor lse = q.device().empty(DType.F32, p.n, p.h, p.tq);
        MemorySegment os = CpuFastPaths.seg(out), ls = CpuFastPaths.seg(lse);
        long oo = CpuFastPaths.off(out), lo = CpuFastPaths.off(lse);
        int qBlocks = p.queryBlocks();
        Parallel.forRange((long) p.n * p.h * qBlocks, parallel ? 2 : Long.MAX_VALUE, 1, (start, end) -> {
            ForwardScratch w = new ForwardScratch(p.d);
            for (long task = start; task < end; task++) {
                int qb = (int) (task % qBlocks);
                long head = task / qBlocks;
                forwardBlock(p, w, (int) (head / p.h), (int) (head % p.h), qb * BLOCK_Q);
                int rows = Math.min(BLOCK_Q, p.tq - qb * BLOCK_Q);
                long row0 = head * p.tq + (long) qb * BLOCK_Q;
                MemorySegment.copy(w.acc, 0, os, F, (oo + row0 * p.d) * 4, rows * p.d);
                MemorySegment.copy(w.lse, 0, ls, F, (lo + row0) * 4, rows);
            }
        });
        return new AttentionResult(out.markWritten(), lse.markWritten());
    }

    private static final class ForwardScratch {
        final float[] q, kt, v, s, acc, lse, max;
        final double[] sum = new double[BLOCK_Q];

        ForwardScratch(int d) {
            q = new float[BLOCK_Q * d];
            kt = new float[d * BLOCK_K];
            v = new float[BLOCK_K * d];
            s = new float[BLOCK_Q * BLOCK_K];
            acc = new float[BLOCK_Q * d];
            lse = new float[BLOCK_Q];
            max = new float[BLOCK_Q];
        }
    }

    /** One query block: online softmax over the key blocks; leaves the output rows in w.acc and their log-sum-exp in w.lse. */
    private void forwardBlock(Problem p, ForwardScratch w, int b, int hh, int i0) {
        int rows = Math.min(BLOCK_Q, p.tq - i0), d = p.d;
        p.q.loadRows(b, hh, i0, rows, d, w.q);
        Arrays.fill(w.acc, 0, rows * d, 0f);
        Arrays.fill(w.max, Float.NEGATIVE_INFINITY);
        Arrays.fill(w.sum, 0);
        int keyEnd = p.keyEnd(i0 + rows);
        for (int j0 = 0; j0 < keyEnd; j0 += BLOCK_K) {
            int cols = Math.min(BLOCK_K, keyEnd - j0);
            p.k.loadTransposed(b, hh, j0, cols, d, w.kt);
            p.v.loadRows(b, hh, j0, cols, d, w.v);
            tiles.productTransposed(w.q, rows, w.kt, cols, d, w.s);
            p.scores(w.s, b, hh, i0, rows, j0, cols);
            for (int r = 0; r < rows; r++) softmaxStep(w, r, cols, d);
            tiles.accumulate(w.s, rows, cols, w.v, d, w.acc);
        }
        for (int r = 0; r < rows; r++) {
            if (w.max[r] == Float.NEGATIVE_INFINITY) {  // every key dropped: zeros and +inf, as the composite
                Arrays.fill(w.acc, r * d, r * d + d, 0f);
                w.lse[r] = Float.POSITIVE_INFINITY;
                continue;
            }
            float total = (float) w.sum[r];
            for (int e = 0; e < d; e++) w.acc[r * d + e] /= total;
            w.lse[r] = w.max[r] + (float) Math.log(total);
        }
    }

    /**
     * Row r of a score tile becomes its unnormalized probabilities exp(s - max) against the row's
     * running maximum; the output row and the running sum are rescaled when that maximum grows. A row
     * with no live key yet keeps probabilities 0 (never exp(-inf - -inf)).
     */
    private static void softmaxStep(ForwardScratch w, int r, int cols, int d) {
        float[] s = w.s;
        int base = r * cols;
        float tileMax = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) if (s[base + c] > tileMax || s[base + c] != s[base + c]) tileMax = s[base + c];
        float old = w.max[r];
        float max = old >= tileMax || old != old ? old : tileMax;
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(s, base, base + cols, 0f);
            return;
        }
        if (max != old && old != Float.NEGATIVE_INFINITY) {
            float alpha = (float) Math.exp(old - max);
            for (int e = 0; e < d; e++) w.acc[r * d + e] *= alpha;
            w.sum[r] *= alpha;
        }
        double sum = 0;
        for (int c = 0; c < cols; c++) sum += s[base + c] = (float) Math.exp(s[base + c] - max);
        w.sum[r] += sum;
        w.max[r] = max;
    }

    // ---- backward ----

    AttentionGrads backward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, AttentionResult fwd) {
        return backward(gradOut, q, k, v, mask, causal, scale, fwd, true);
    }

    AttentionGrads backward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, AttentionResult fwd,
                            boolean parallel) {
        Problem p = Problem.of(q, k, v, mask, causal, scale);
        Backward bw = new Backward(p, HeadOperand.of(gradOut), HeadOperand.of(fwd.logSumExp()), rowDots(p, gradOut, fwd.out()));
        Tensor dq = q.device().empty(DType.F32, p.n, p.h, p.tq, p.d);
        Tensor dk = q.device().empty(DType.F32, p.n, p.h, p.tk, p.d);
        Tensor dv = q.device().empty(DType.F32, p.n, p.h, p.tk, p.d);
        long threshold = parallel ? 2 : Long.MAX_VALUE;
        int kBlocks = p.keyBlocks(), qBlocks = p.queryBlocks();
        Parallel.forRange((long) p.n * p.h * kBlocks, threshold, 1, (start, end) -> {
            BackwardScratch w = new BackwardScratch(p.d);
            for (long task = start; task < end; task++) {
                long head = task / kBlocks;
                int j0 = (int) (task % kBlocks) * BLOCK_K, cols = Math.min(BLOCK_K, p.tk - j0);
                bw.keyBlock(w, (int) (head / p.h), (int) (head % p.h), j0);
                long row0 = head * p.tk + j0;
                MemorySegment.copy(w.dk, 0, CpuFastPaths.seg(dk), F, (CpuFastPaths.off(dk) + row0 * p.d) * 4, cols * p.d);
                MemorySegment.copy(w.dv, 0, CpuFastPaths.seg(dv), F, (CpuFastPaths.off(dv) + row0 * p.d) * 4, cols * p.d);
            }
        });
        Parallel.forRange((long) p.n * p.h * qBlocks, threshold, 1, (start, end) -> {
            BackwardScratch w = new BackwardScratch(p.d);
            for (long task = start; task < end; task++) {
                long head = task / qBlocks;
                int i0 = (int) (task % qBlocks) * BLOCK_Q, rows = Math.min(BLOCK_Q, p.tq - i0);
                bw.queryBlock(w, (int) (head / p.h), (int) (head % p.h), i0);
                long row0 = head * p.tq + i0;
                MemorySegment.copy(w.dq, 0, CpuFastPaths.seg(dq), F, (CpuFastPaths.off(dq) + row0 * p.d) * 4, rows * p.d);
            }
        });
        return new AttentionGrads(dq.markWritten(), dk.markWritten(), dv.markWritten());
    }

    /** D_i = rowsum(dO * O) for every query row, [N * H * Tq] on the heap (O(T), not O(T^2)); float products summed in double. */
    private static float[] rowDots(Problem p, Tensor gradOut, Tensor out) {
        HeadOperand g = HeadOperand.of(gradOut), o = HeadOperand.of(out);
        float[] dots = new float[p.n * p.h * p.tq];
        Parallel.forRange(dots.length, Parallel.ELEMENT_THRESHOLD / Math.max(1, p.d), 64, (start, end) -> {
            for (long row = start; row < end; row++) {
                int i = (int) (row % p.tq), hh = (int) (row / p.tq % p.h), b = (int) (row / p.tq / p.h);
                double s = 0;
                for (int e = 0; e < p.d; e++) s += g.at(b, hh, i, e) * o.at(b, hh, i, e);
                dots[(int) row] = (float) s;
            }
        });
        return dots;
    }

    private static final class BackwardScratch {
        final float[] q, dO, kt, vt, k, s, dp, t, dq, dk, dv, lse, rowDot;

        BackwardScratch(int d) {
            q = new float[BLOCK_Q * d];
            dO = new float[BLOCK_Q * d];
            kt = new float[d * BLOCK_K];
            vt = new float[d * BLOCK_K];
            k = new float[BLOCK_K * d];
            s = new float[BLOCK_Q * BLOCK_K];
            dp = new float[BLOCK_Q * BLOCK_K];
            t = new float[BLOCK_K * BLOCK_Q];
            dq = new float[BLOCK_Q * d];
            dk = new float[BLOCK_K * d];
            dv = new float[BLOCK_K * d];
            lse = new float[BLOCK_Q];
            rowDot = new float[BLOCK_Q];
        }
    }

    /** The two backward passes over one problem. */
    private final class Backward {
        private final Problem p;
        private final HeadOperand gradOut, lse;
        private final float[] rowDots;

        Backward(Problem p, HeadOperand gradOut, HeadOperand lse, float[] rowDots) {
            this.p = p;
            this.gradOut = gradOut;
            this.lse = lse;
            this.rowDots = rowDots;
        }

        /**
         * For the tile (query rows i0.., keys j0..) with q, dO, lse, rowDot, k^T and v^T loaded:
         * P = exp(S - lse) into w.s, dS = P * (dO v^T - rowDot) into w.dp.
         */
        private void tile(BackwardScratch w, int b, int hh, int i0, int rows, int j0, int cols) {
            int d = p.d;
            tiles.productTransposed(w.q, rows, w.kt, cols, d, w.s);
            p.scores(w.s, b, hh, i0, rows, j0, cols);
            tiles.productTransposed(w.dO, rows, w.vt, cols, d, w.dp);
            for (int r = 0; r < rows; r++) {
                float l = w.lse[r], dot = w.rowDot[r];
                for (int c = r * cols; c < r * cols + cols; c++) {
                    float prob = (float) Math.exp(w.s[c] - l);  // a dead row has lse +inf: exp(-inf) = 0
                    w.s[c] = prob;
                    w.dp[c] = prob * (w.dp[c] - dot);
                }
            }
        }

        private void loadQueries(BackwardScratch w, int b, int hh, int i0, int rows) {
            p.q.loadRows(b, hh, i0, rows, p.d, w.q);
            gradOut.loadRows(b, hh, i0, rows, p.d, w.dO);
            int row0 = (b * p.h + hh) * p.tq + i0;
            for (int r = 0; r < rows; r++) {
                w.lse[r] = lse.at(b, hh, i0 + r);
                w.rowDot[r] = rowDots[row0 + r];
            }
        }

        /** dK and dV of keys j0..: every query block that reaches them, in order; leaves them in w.dk, w.dv. */
        void keyBlock(BackwardScratch w, int b, int hh, int j0) {
            int cols = Math.min(BLOCK_K, p.tk - j0), d = p.d;
            p.k.loadTransposed(b, hh, j0, cols, d, w.kt);
            p.v.loadTransposed(b, hh, j0, cols, d, w.vt);
            Arrays.fill(w.dk, 0, cols * d, 0f);
            Arrays.fill(w.dv, 0, cols * d, 0f);
            int first = p.causal ? j0 / BLOCK_Q : 0;  // causal: query rows before j0 drop all these keys
            for (int i0 = first * BLOCK_Q; i0 < p.tq; i0 += BLOCK_Q) {
                int rows = Math.min(BLOCK_Q, p.tq - i0);
                loadQueries(w, b, hh, i0, rows);
                tile(w, b, hh, i0, rows, j0, cols);
                transpose(w.s, rows, cols, w.t);
                tiles.accumulate(w.t, cols, rows, w.dO, d, w.dv);   // dV += P^T dO
                transpose(w.dp, rows, cols, w.t);
                tiles.accumulate(w.t, cols, rows, w.q, d, w.dk);    // dK += dS^T q
            }
            for (int x = 0; x < cols * d; x++) w.dk[x] *= p.scale;
        }

        /** dQ of query rows i0..: every key block they reach, in order; leaves it in w.dq. */
        void queryBlock(BackwardScratch w, int b, int hh, int i0) {
            int rows = Math.min(BLOCK_Q, p.tq - i0), d = p.d;
            loadQueries(w, b, hh, i0, rows);
            Arrays.fill(w.dq, 0, rows * d, 0f);
            int keyEnd = p.keyEnd(i0 + rows);
            for (int j0 = 0; j0 < keyEnd; j0 += BLOCK_K) {
                int cols = Math.min(BLOCK_K, keyEnd - j0);
                p.k.loadTransposed(b, hh, j0, cols, d, w.kt);
                p.v.loadTransposed(b, hh, j0, cols, d, w.vt);
                p.k.loadRows(b, hh, j0, cols, d, w.k);
                tile(w, b, hh, i0, rows, j0, cols);
                tiles.accumulate(w.dp, rows, cols, w.k, d, w.dq);  // dQ += dS k
            }
            for (int x = 0; x < rows * d; x++) w.dq[x] *= p.scale;
        }
    }

    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    }
}
