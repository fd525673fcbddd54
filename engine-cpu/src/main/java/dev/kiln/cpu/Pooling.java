package dev.kiln.cpu;

import static dev.kiln.cpu.CpuFastPaths.off;
import static dev.kiln.cpu.CpuFastPaths.seg;
import static dev.kiln.cpu.Elem.F;

import dev.kiln.DType;
import dev.kiln.Pool2dParams;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.BinaryOp;
import java.lang.foreign.MemorySegment;

/**
 * Max and average pooling as direct loops over each window clipped to the input, parallel over the
 * N*C planes (each plane is read into a float[] once and written back once). Forward passes are
 * separable: rows combined across the width with vector ops, then columns per output. Semantics follow
 * PyTorch as the composite does: max propagates NaN and routes the gradient to the first maximum in
 * row-major order (an all -inf window picks its first input element); average divides by the
 * window clipped to the padded input (or to the input without countIncludePad).
 */
final class Pooling {
    private Pooling() {}

    /** One plane's window bounds: rows [y0[i], y1[i]) of output row i, columns [x0[j], x1[j]) of output column j. */
    private record Windows(int[] y0, int[] y1, int[] x0, int[] x1, float[] divisor) {
        static Windows of(int h, int w, Pool2dParams p) {
            int oh = p.outH(h), ow = p.outW(w);
            int[] y0 = new int[oh], y1 = new int[oh], x0 = new int[ow], x1 = new int[ow];
            float[] div = new float[oh * ow];
            for (int i = 0; i < oh; i++) {
                int hs = i * p.strideH() - p.padH();
                y0[i] = Math.max(hs, 0);
                y1[i] = Math.min(hs + p.kernelH(), h);
            }
            for (int j = 0; j < ow; j++) {
                int ws = j * p.strideW() - p.padW();
                x0[j] = Math.max(ws, 0);
                x1[j] = Math.min(ws + p.kernelW(), w);
            }
            for (int i = 0; i < oh; i++) {
                int hs = i * p.strideH() - p.padH(), he = Math.min(hs + p.kernelH(), h + p.padH());
                for (int j = 0; j < ow; j++) {
                    int ws = j * p.strideW() - p.padW(), we = Math.min(ws + p.kernelW(), w + p.padW());
                    div[i * ow + j] = p.countIncludePad() ? (he - hs) * (we - ws) : (y1[i] - y0[i]) * (x1[j] - x0[j]);
                }
            }
            return new Windows(y0, y1, x0, x1, div);
        }
    }

    /** Runs body(plane, in, out) over planes [0, planes), in parallel; in and out are plane-sized float[]s the body owns. */
    private interface PlaneBody {
        void run(int plane, float[] in, float[] out);
    }

    private static void planes(int planes, int inSize, int outSize, PlaneBody body) {
        long grain = Math.max(1, 16384 / Math.max(1, inSize + outSize));
        Parallel.forRange(planes, 2, grain, (s, e) -> {
            float[] in = new float[inSize], out = new float[outSize];
            for (int pl = (int) s; pl < e; pl++) body.run(pl, in, out);
        });
    }

    static Tensor maxForward(Tensor x, Pool2dParams p, F32Kernels k) {
        return separable(x, p, k, true);
    }

    /**
     * Forward pooling in two passes per output row: the window's input rows combined element by
     * element across the whole width (vector max or add through {@link F32Kernels}), then each
     * output the max or sum of its columns of that row. Max propagates NaN (Math.max semantics);
     * average sums in float over rows, then in double over columns.
     */
    private static Tensor separable(Tensor x, Pool2dParams p, F32Kernels k, boolean max) {
        int h = x.dim(2), w = x.dim(3), oh = p.outH(h), ow = p.outW(w);
        Tensor out = x.device().empty(DType.F32, x.dim(0), x.dim(1), oh, ow);
        if (out.numel() == 0) return out.markWritten();
        Windows win = Windows.of(h, w, p);
        MemorySegment xs = seg(x), os = seg(out);
        long xo = off(x), oo = off(out);
        BinaryOp combine = max ? BinaryOp.MAXIMUM : BinaryOp.ADD;
        planes(x.dim(0) * x.dim(1), h * w + w, oh * ow, (pl, in, o) -> {
            MemorySegment.copy(xs, F, (xo + (long) pl * h * w) * 4, in, 0, h * w);
            MemorySegment buf = MemorySegment.ofArray(in);
            int row = h * w;  // the combined row lives after the plane
            for (int i = 0; i < oh; i++) {
                int y0 = win.y0[i], y1 = win.y1[i];
                if (y1 <= y0) {
                    java.util.Arrays.fill(in, row, row + w, max ? Float.NEGATIVE_INFINITY : 0f);
                } else {
                    System.arraycopy(in, y0 * w, in, row, w);
                    for (int y = y0 + 1; y < y1; y++) k.binary(combine, buf, row, false, buf, (long) y * w, false, buf, row, w);
                }
                for (int j = 0; j < ow; j++) {
                    if (max) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int xx = win.x0[j]; xx < win.x1[j]; xx++) m = Math.max(m, in[row + xx]);
                        o[i * ow + j] = m;
                    } else {
                        double s = 0;
                        for (int xx = win.x0[j]; xx < win.x1[j]; xx++) s += in[row + xx];
                        o[i * ow + j] = (float) s / win.divisor[i * ow + j];
                    }
                }
            }
            MemorySegment.copy(o, 0, os, F, (oo + (long) pl * oh * ow) * 4, oh * ow);
        });
        return out.markWritten();
    }

    static Tensor maxBackward(Tensor gradOut, Tensor x, Pool2dParams p) {
        int h = x.dim(2), w = x.dim(3), oh = p.outH(h), ow = p.outW(w);
        Tensor gradX = x.device().empty(DType.F32, x.shape().dims());
        if (gradX.numel() == 0) return gradX.markWritten();
        Windows win = Windows.of(h, w, p);
        MemorySegment xs = seg(x), gs = seg(gradOut), ds = seg(gradX);
        long xo = off(x), go = off(gradOut), dof = off(gradX);
        int hw = h * w, ohw = oh * ow;
        planes(x.dim(0) * x.dim(1), 2 * hw, ohw, (pl, in, g) -> {
            MemorySegment.copy(xs, F, (xo + (long) pl * hw) * 4, in, 0, hw);
            MemorySegment.copy(gs, F, (go + (long) pl * ohw) * 4, g, 0, ohw);
            java.util.Arrays.fill(in, hw, 2 * hw, 0f);  // the plane's gradient lives after its input
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = -1;
                    float bv = Float.NEGATIVE_INFINITY;
                    search:
                    for (int y = win.y0[i]; y < win.y1[i]; y++) {
                        for (int xx = win.x0[j]; xx < win.x1[j]; xx++) {
                            float v = Math.max(in[y * w + xx], -Float.MAX_VALUE);
                            if (v != v) { best = y * w + xx; break search; }
                            if (v > bv) { bv = v; best = y * w + xx; }
                        }
                    }
                    if (best >= 0) in[hw + best] += g[i * ow + j];
                }
            }
            MemorySegment.copy(in, hw, ds, F, (dof + (long) pl * hw) * 4, hw);
        });
        return gradX.markWritten();
    }

    static Tensor avgForward(Tensor x, Pool2dParams p, F32Kernels k) {
        return separable(x, p, k, false);
    }

    static Tensor avgBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        int h = inputShape.dim(2), w = inputShape.dim(3), oh = p.outH(h), ow = p.outW(w);
        Tensor gradX = gradOut.device().empty(DType.F32, inputShape.dims());
        if (gradX.numel() == 0) return gradX.markWritten();
        Windows win = Windows.of(h, w, p);
        MemorySegment gs = seg(gradOut), ds = seg(gradX);
        long go = off(gradOut), dof = off(gradX);
        int hw = h * w, ohw = oh * ow;
        planes(inputShape.dim(0) * inputShape.dim(1), hw, ohw, (pl, d, g) -> {
            MemorySegment.copy(gs, F, (go + (long) pl * ohw) * 4, g, 0, ohw);
            java.util.Arrays.fill(d, 0f);
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    float share = g[i * ow + j] / win.divisor[i * ow + j];
                    for (int y = win.y0[i]; y < win.y1[i]; y++) {
                        for (int xx = win.x0[j]; xx < win.x1[j]; xx++) d[y * w + xx] += share;
                    }
                }
            }
            MemorySegment.copy(d, 0, ds, F, (dof + (long) pl * hw) * 4, hw);
        });
        return gradX.markWritten();
    }
}
