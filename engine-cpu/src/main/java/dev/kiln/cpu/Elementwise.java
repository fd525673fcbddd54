package dev.kiln.cpu;

import dev.kiln.DType;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.TernaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.MemorySegment;

/**
 * Unary, binary and ternary ops. Every op walks its operands with a {@link StridedLoop} in segments,
 * in parallel above {@link Parallel#ELEMENT_THRESHOLD}. A segment where all operands are F32 and
 * either contiguous or a broadcast scalar goes to the {@link F32Kernels}; any other segment is
 * loaded into a double[] or long[] tile, computed by {@link MathFns}, and stored converted to the
 * output's dtype.
 */
final class Elementwise {
    /** Tile length of the generic path (fits L1 with a few operands). */
    static final int TILE = 512;
    /** Segment length of the F32 fast path (long runs; still splits a huge row across workers). */
    static final int RUN = 1 << 16;

    private final F32Kernels f32;

    Elementwise(F32Kernels f32) { this.f32 = f32; }

    private static MemorySegment seg(View v) { return ((CpuBuffer) v.buffer()).segment(); }

    void unary(UnaryOp op, View x, View out) {
        StridedLoop loop = StridedLoop.of(out.shape(), out, x);
        MemorySegment xs = seg(x), os = seg(out);
        DType xt = x.dtype(), ot = out.dtype();
        boolean fast = xt == DType.F32 && ot == DType.F32 && f32.supports(op)
                && loop.innerStride(0) == 1 && loop.innerStride(1) == 1;
        if (fast) {
            Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, RUN / 4, (s, e) ->
                    loop.run(s, e, RUN, (o, n, i) -> f32.unary(op, xs, o[1], os, o[0], n)));
            return;
        }
        long so = loop.innerStride(0), sx = loop.innerStride(1);
        if (op == UnaryOp.COPY && xt == ot) {
            copySameType(loop, xs, os, xt, so, sx);
            return;
        }
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, TILE * 8, (s, e) -> {
            if (xt.isFloating()) {
                double[] t = new double[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadD(xs, xt, o[1], sx, n, t);
                    MathFns.unary(op, t, n);
                    Elem.storeD(os, ot, o[0], so, n, t);
                });
            } else {
                long[] t = new long[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadL(xs, xt, o[1], sx, n, t);
                    MathFns.unary(op, t, n);
                    Elem.storeL(os, ot, o[0], so, n, t);
                });
            }
        });
    }

    /** COPY without conversion (permutes, slices, concatenation): bulk runs where both sides are contiguous, else bit copies. */
    private static void copySameType(StridedLoop loop, MemorySegment xs, MemorySegment os, DType t, long so, long sx) {
        int size = t.byteSize();
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, TILE * 8, (s, e) -> loop.run(s, e, RUN, (o, n, i) -> {
            if (so == 1 && sx == 1) {
                MemorySegment.copy(xs, o[1] * size, os, o[0] * size, (long) n * size);
            } else {
                for (int j = 0; j < n; j++) Elem.copyBits(xs, o[1] + j * sx, os, o[0] + j * so, t);
            }
        }));
    }

    void binary(BinaryOp op, View a, View b, View out) {
        StridedLoop loop = StridedLoop.of(out.shape(), out, a, b);
        MemorySegment as = seg(a), bs = seg(b), os = seg(out);
        DType it = a.dtype(), ot = out.dtype();
        long so = loop.innerStride(0), sa = loop.innerStride(1), sb = loop.innerStride(2);
        boolean fast = it == DType.F32 && ot == DType.F32 && f32.supports(op) && so == 1
                && (sa == 1 || sa == 0) && (sb == 1 || sb == 0);
        if (fast) {
            Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, RUN / 4, (s, e) ->
                    loop.run(s, e, RUN, (o, n, i) -> f32.binary(op, as, o[1], sa == 0, bs, o[2], sb == 0, os, o[0], n)));
            return;
        }
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, TILE * 8, (s, e) -> {
            if (it.isFloating()) {
                double[] ta = new double[TILE], tb = new double[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadD(as, it, o[1], sa, n, ta);
                    Elem.loadD(bs, it, o[2], sb, n, tb);
                    MathFns.binary(op, ta, tb, n);
                    Elem.storeD(os, ot, o[0], so, n, ta);
                });
            } else {
                long[] ta = new long[TILE], tb = new long[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadL(as, it, o[1], sa, n, ta);
                    Elem.loadL(bs, it, o[2], sb, n, tb);
                    MathFns.binary(op, ta, tb, n);
                    Elem.storeL(os, ot, o[0], so, n, ta);
                });
            }
        });
    }

    void ternary(TernaryOp op, View a, View b, View c, View out) {
        StridedLoop loop = StridedLoop.of(out.shape(), out, a, b, c);
        MemorySegment as = seg(a), bs = seg(b), cs = seg(c), os = seg(out);
        DType at = a.dtype(), vt = b.dtype(), ot = out.dtype();
        long so = loop.innerStride(0), sa = loop.innerStride(1), sb = loop.innerStride(2), sc = loop.innerStride(3);
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, TILE * 8, (s, e) -> {
            double[] cond = new double[TILE];
            if (vt.isFloating()) {
                double[] ta = new double[TILE], tb = new double[TILE], tc = new double[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadD(bs, vt, o[2], sb, n, tb);
                    Elem.loadD(cs, vt, o[3], sc, n, tc);
                    if (op == TernaryOp.WHERE) {
                        Elem.loadD(as, at, o[1], sa, n, cond);
                        for (int j = 0; j < n; j++) ta[j] = cond[j] != 0 ? tb[j] : tc[j];
                    } else {
                        Elem.loadD(as, at, o[1], sa, n, ta);
                        for (int j = 0; j < n; j++) ta[j] = Math.min(Math.max(ta[j], tb[j]), tc[j]);
                    }
                    Elem.storeD(os, ot, o[0], so, n, ta);
                });
            } else {
                long[] ta = new long[TILE], tb = new long[TILE], tc = new long[TILE];
                loop.run(s, e, TILE, (o, n, i) -> {
                    Elem.loadL(bs, vt, o[2], sb, n, tb);
                    Elem.loadL(cs, vt, o[3], sc, n, tc);
                    if (op == TernaryOp.WHERE) {
                        Elem.loadD(as, at, o[1], sa, n, cond);
                        for (int j = 0; j < n; j++) ta[j] = cond[j] != 0 ? tb[j] : tc[j];
                    } else {
                        Elem.loadL(as, at, o[1], sa, n, ta);
                        for (int j = 0; j < n; j++) ta[j] = Math.min(Math.max(ta[j], tb[j]), tc[j]);
                    }
                    Elem.storeL(os, ot, o[0], so, n, ta);
                });
            }
        });
    }

    /** Writes {@code value} converted to out's dtype into every element. */
    void fill(View out, double value) {
        StridedLoop loop = StridedLoop.of(out.shape(), out);
        MemorySegment os = seg(out);
        DType t = out.dtype();
        long so = loop.innerStride(0);
        boolean integral = !t.isFloating();
        Parallel.forRange(loop.numel, Parallel.ELEMENT_THRESHOLD, TILE * 8, (s, e) -> {
            if (integral) {
                long[] tile = new long[TILE];
                java.util.Arrays.fill(tile, (long) value);
                loop.run(s, e, TILE, (o, n, i) -> Elem.storeL(os, t, o[0], so, n, tile));
            } else {
                double[] tile = new double[TILE];
                java.util.Arrays.fill(tile, value);
                loop.run(s, e, TILE, (o, n, i) -> Elem.storeD(os, t, o[0], so, n, tile));
            }
        });
    }
}
