package dev.kiln.cpu;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Reductions. The input's axes split into kept axes (the output's) and reduced axes; each output
 * element reduces its block of the input, walked with a {@link StridedLoop} over the reduced axes.
 * Many outputs: parallel over outputs. Few outputs with large blocks: each block is cut into chunks
 * whose partial results combine left to right (so ARGMAX still finds the first index). Floating SUM
 * and PROD accumulate in double; an F32 block whose innermost run is contiguous goes to the
 * {@link F32Kernels} (SUM, MAX, MIN).
 */
final class Reductions {
    private static final int TILE = 512;

    private final F32Kernels f32;

    Reductions(F32Kernels f32) { this.f32 = f32; }

    /** Partial result of one chunk: value (double or long domain), index of ARGMAX/ARGMIN. */
    private static final class Acc {
        double d;
        long l;
        long index = -1;
        boolean empty = true;
    }

    void reduce(ReduceOp op, View x, View out) {
        int r = x.rank();
        int[] xs = x.shape(), os = out.shape();
        int keptCount = 0;
        for (int d = 0; d < r; d++) if (os[d] == xs[d]) keptCount++;
        int[] keptShape = new int[keptCount], redShape = new int[r - keptCount];
        long[] keptX = new long[keptCount], keptOut = new long[keptCount], redX = new long[r - keptCount];
        int ki = 0, ri = 0, reducedNonTrivial = 0;
        for (int d = 0; d < r; d++) {
            if (os[d] == xs[d]) {
                keptShape[ki] = xs[d];
                keptX[ki] = x.strides()[d];
                keptOut[ki++] = out.strides()[d];
            } else {
                redShape[ri] = xs[d];
                redX[ri++] = x.strides()[d];
                reducedNonTrivial++;
            }
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        if (arg && reducedNonTrivial > 1) {
            throw new ShapeException("reduce " + op + ": reduces exactly one axis, got input " + Arrays.toString(xs)
                    + " to output " + Arrays.toString(os));
        }
        if (x.dtype().isFloating() && (op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.MIN) && reducedNonTrivial > 0
                && r > 0 && os[r - 1] == xs[r - 1] && xs[r - 1] >= 8 && x.strides()[r - 1] == 1 && out.strides()[r - 1] == 1 && Arrays.stream(redShape).allMatch(e -> e > 0)) {
            byColumns(op, x, out, keptShape, keptOut, keptX, redShape, redX);
            return;
        }
        StridedLoop outer = new StridedLoop(keptShape, new long[] {out.offset(), x.offset()}, keptOut, keptX);
        StridedLoop inner = new StridedLoop(redShape, new long[] {0}, redX);
        long blocks = outer.numel, blockSize = inner.numel;
        if (blocks == 0) return;
        if (blockSize == 0 && (op != ReduceOp.SUM && op != ReduceOp.PROD)) {
            throw new ShapeException("reduce " + op + ": cannot reduce an empty axis (input " + Arrays.toString(xs) + ")");
        }
        MemorySegment xseg = ((CpuBuffer) x.buffer()).segment(), oseg = ((CpuBuffer) out.buffer()).segment();
        DType xt = x.dtype(), ot = out.dtype();
        boolean floating = xt.isFloating();
        long so = outer.innerStride(0), sx = outer.innerStride(1);

        if (blocks >= Parallel.THREADS || blocks * blockSize < Parallel.ELEMENT_THRESHOLD) {
            long grain = Math.max(1, Parallel.ELEMENT_THRESHOLD / Math.max(1, blockSize));
            Parallel.forRange(blocks, Math.max(2, grain), Math.max(1, grain / 4), (s, e) ->
                    outer.run(s, e, 1 << 20, (o, n, i) -> {
                        for (int j = 0; j < n; j++) {
                            Acc acc = new Acc();
                            block(op, xseg, xt, o[1] + j * sx, inner, 0, blockSize, acc);
                            write(op, oseg, ot, o[0] + j * so, acc, floating);
                        }
                    }));
            return;
        }
        // Few outputs, big blocks: split each block.
        int chunks = (int) Math.min(Parallel.THREADS * 4L, Math.max(1, blockSize / 8192));
        outer.run(0, blocks, 1 << 20, (o, n, i) -> {
            for (int j = 0; j < n; j++) {
                long base = o[1] + j * sx;
                Acc[] parts = new Acc[chunks];
                Parallel.forRange(chunks, 2, 1, (s, e) -> {
                    for (long c = s; c < e; c++) {
                        Acc acc = new Acc();
                        block(op, xseg, xt, base, inner, blockSize * c / chunks, blockSize * (c + 1) / chunks, acc);
                        parts[(int) c] = acc;
                    }
                });
                Acc total = new Acc();
                for (Acc p : parts) combine(op, total, p, floating);
                write(op, oseg, ot, o[0] + j * so, total, floating);
            }
        });
    }

    /**
     * The last axis is kept and contiguous, outer axes are reduced ([N, C] summed over N, the bias
     * gradient): walk x row by row, accumulating a strip of columns in double, instead of one
     * strided column per output element.
     */
    private static void byColumns(ReduceOp op, View x, View out, int[] keptShape, long[] keptOut, long[] keptX, int[] redShape, long[] redX) {
        int k = keptShape.length, cols = keptShape[k - 1];
        StridedLoop outer = new StridedLoop(java.util.Arrays.copyOf(keptShape, k - 1), new long[] {out.offset(), x.offset()},
                java.util.Arrays.copyOf(keptOut, k - 1), java.util.Arrays.copyOf(keptX, k - 1));
        StridedLoop inner = new StridedLoop(redShape, new long[] {0}, redX);
        MemorySegment xs = ((CpuBuffer) x.buffer()).segment(), os = ((CpuBuffer) out.buffer()).segment();
        DType xt = x.dtype(), ot = out.dtype();
        int strips = (cols + TILE - 1) / TILE;
        long tasks = outer.numel * strips, rows = inner.numel, st = inner.innerStride(0);
        Parallel.forRange(tasks, Math.max(2, Parallel.ELEMENT_THRESHOLD / Math.max(1, rows * Math.min(cols, TILE))), 1, (s, e) -> {
            double[] acc = new double[TILE], row = new double[TILE];
            for (long t = s; t < e; t++) {
                long p = t / strips;
                int c0 = (int) (t % strips) * TILE, w = Math.min(TILE, cols - c0);
                long[] base = new long[2];
                outer.run(p, p + 1, 1, (o, n, i) -> { base[0] = o[0]; base[1] = o[1]; });
                java.util.Arrays.fill(acc, 0, w, 0);
                boolean[] first = {true};
                inner.run(0, rows, 1 << 20, (o, n, i) -> {
                    for (int q = 0; q < n; q++) {
                        Elem.loadD(xs, xt, base[1] + o[0] + q * st + c0, 1, w, row);
                        if (first[0]) { System.arraycopy(row, 0, acc, 0, w); first[0] = false; }
                        else if (op == ReduceOp.SUM) for (int j = 0; j < w; j++) acc[j] += row[j];
                        else if (op == ReduceOp.MAX) for (int j = 0; j < w; j++) acc[j] = Math.max(acc[j], row[j]);
                        else for (int j = 0; j < w; j++) acc[j] = Math.min(acc[j], row[j]);
                    }
                });
                Elem.storeD(os, ot, base[0] + c0, 1, w, acc);
            }
        });
    }

    /** Reduces elements [from, to) (row-major within the block) of the block at {@code base} into acc. */
    private void block(ReduceOp op, MemorySegment xs, DType xt, long base, StridedLoop inner, long from, long to, Acc acc) {
        long st = inner.innerStride(0);
        boolean floating = xt.isFloating();
        boolean vec = xt == DType.F32 && st == 1 && (op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.MIN);
        double[] td = floating && !vec ? new double[TILE] : null;
        long[] tl = floating ? null : new long[TILE];
        inner.run(from, to, vec ? 1 << 20 : TILE, (o, n, first) -> {
            long off = base + o[0];
            Acc part = new Acc();
            if (vec) {
                if (op == ReduceOp.SUM) part.d = f32.sum(xs, off, n);
                else part.d = f32.extremum(op == ReduceOp.MAX, xs, off, n);
                part.empty = false;
            } else if (floating) {
                Elem.loadD(xs, xt, off, st, n, td);
                reduceRow(op, td, n, first, part);
            } else {
                Elem.loadL(xs, xt, off, st, n, tl);
                reduceRow(op, tl, n, first, part);
            }
            combine(op, acc, part, floating);
        });
    }

    private static void reduceRow(ReduceOp op, double[] t, int n, long first, Acc p) {
        p.empty = false;
        switch (op) {
            case SUM -> { double s = 0; for (int j = 0; j < n; j++) s += t[j]; p.d = s; }
            case PROD -> { double s = 1; for (int j = 0; j < n; j++) s *= t[j]; p.d = s; }
            case MAX -> { double s = t[0]; for (int j = 1; j < n; j++) s = Math.max(s, t[j]); p.d = s; }
            case MIN -> { double s = t[0]; for (int j = 1; j < n; j++) s = Math.min(s, t[j]); p.d = s; }
            case ARGMAX, ARGMIN -> {
                boolean max = op == ReduceOp.ARGMAX;
                int best = 0;
                double bv = t[0];
                for (int j = 1; j < n && !Double.isNaN(bv); j++) {
                    double v = t[j];
                    if (Double.isNaN(v) || (max ? v > bv : v < bv)) { best = j; bv = v; }
                }
                p.d = bv;
                p.index = first + best;
            }
        }
    }

    private static void reduceRow(ReduceOp op, long[] t, int n, long first, Acc p) {
        p.empty = false;
        switch (op) {
            case SUM -> { long s = 0; for (int j = 0; j < n; j++) s += t[j]; p.l = s; }
            case PROD -> { long s = 1; for (int j = 0; j < n; j++) s *= t[j]; p.l = s; }
            case MAX -> { long s = t[0]; for (int j = 1; j < n; j++) s = Math.max(s, t[j]); p.l = s; }
            case MIN -> { long s = t[0]; for (int j = 1; j < n; j++) s = Math.min(s, t[j]); p.l = s; }
            case ARGMAX, ARGMIN -> {
                boolean max = op == ReduceOp.ARGMAX;
                int best = 0;
                long bv = t[0];
                for (int j = 1; j < n; j++) {
                    if (max ? t[j] > bv : t[j] < bv) { best = j; bv = t[j]; }
                }
                p.l = bv;
                p.index = first + best;
            }
        }
    }

    /** Folds {@code p} (the later part) into {@code acc} (the earlier parts). */
    private static void combine(ReduceOp op, Acc acc, Acc p, boolean floating) {
        if (p.empty) return;
        if (acc.empty) {
            acc.d = p.d; acc.l = p.l; acc.index = p.index; acc.empty = false;
            return;
        }
        switch (op) {
            case SUM -> { acc.d += p.d; acc.l += p.l; }
            case PROD -> { acc.d *= p.d; acc.l *= p.l; }
            case MAX -> { acc.d = Math.max(acc.d, p.d); acc.l = Math.max(acc.l, p.l); }
            case MIN -> { acc.d = Math.min(acc.d, p.d); acc.l = Math.min(acc.l, p.l); }
            case ARGMAX, ARGMIN -> {
                boolean max = op == ReduceOp.ARGMAX;
                boolean better = floating
                        ? !Double.isNaN(acc.d) && (Double.isNaN(p.d) || (max ? p.d > acc.d : p.d < acc.d))
                        : (max ? p.l > acc.l : p.l < acc.l);
                if (better) { acc.d = p.d; acc.l = p.l; acc.index = p.index; }
            }
        }
    }

    private static void write(ReduceOp op, MemorySegment os, DType ot, long at, Acc acc, boolean floating) {
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
            Elem.putL(os, ot, at, Math.max(acc.index, 0));
        } else if (acc.empty) {
            Elem.putD(os, ot, at, op == ReduceOp.PROD ? 1 : 0);
        } else if (floating) {
            Elem.putD(os, ot, at, acc.d);
        } else {
            Elem.putL(os, ot, at, acc.l);
        }
    }
}
