package dev.kiln.composite;

import static dev.kiln.composite.ConvComposite.strided;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Pool2dParams;
import dev.kiln.Scope;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.ReduceOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;

/**
 * Pooling composed from primitives. The input is copied once into a padded buffer (-inf for max,
 * 0 for average) large enough for every window, ceil-mode windows included; the windows are then a
 * strided view [N, C, OH, OW, KH, KW] of that buffer, reduced over the last two axes. Adaptive
 * average pooling is two matrix products with host-built averaging matrices.
 */
public final class PoolComposite {
    private PoolComposite() {}

    /** Sizes of one pooling, with the padded buffer that holds every window. */
    private record Geometry(int n, int c, int h, int w, int oh, int ow, int hp, int wp, Pool2dParams p) {
        static Geometry of(Shape x, Pool2dParams p) {
            int h = x.dim(2), w = x.dim(3), oh = p.outH(h), ow = p.outW(w);
            // ceil-mode windows may run past the right padding: make room for them
            int hp = Math.max(h + 2 * p.padH(), (oh - 1) * p.strideH() + p.kernelH());
            int wp = Math.max(w + 2 * p.padW(), (ow - 1) * p.strideW() + p.kernelW());
            return new Geometry(x.dim(0), x.dim(1), h, w, oh, ow, hp, wp, p);
        }

        long plane() { return (long) hp * wp; }

        int[] outDims() { return new int[] {n, c, oh, ow}; }

        /** The padded buffer's interior, where the input lives. */
        View interior(Tensor padded) {
            return strided(padded, (long) p.padH() * wp + p.padW(), new int[] {n * c, h, w}, plane(), wp, 1);
        }

        /** Every window: [N*C, OH, OW, KH, KW] over the padded buffer. */
        View windows(Tensor padded) {
            return strided(padded, 0, new int[] {n * c, oh, ow, p.kernelH(), p.kernelW()},
                    plane(), (long) p.strideH() * wp, p.strideW(), wp, 1);
        }

        /** The positions of kernel offset (kh, kw) in every window: [N*C, OH, OW]. */
        View offsetPositions(Tensor padded, int kh, int kw) {
            return strided(padded, (long) kh * wp + kw, new int[] {n * c, oh, ow}, plane(), (long) p.strideH() * wp, p.strideW());
        }
    }

    private static View flat3(Tensor t, int a, int b, int c) {
        return strided(t, 0, new int[] {a, b, c}, (long) b * c, c, 1);
    }

    /** x copied into a [N, C, hp, wp] buffer filled with {@code fill} outside the input. */
    private static Tensor pad(Tensor x, Geometry g, double fill) {
        Tensor padded = x.device().full(fill, g.n, g.c, g.hp, g.wp);
        x.device().backend().unary(UnaryOp.COPY, flat3(x, g.n * g.c, g.h, g.w), g.interior(padded));
        return padded;
    }

    /**
     * As {@link #pad} with -inf, but inputs raised to at least -Float.MAX_VALUE: a window whose
     * inputs are all -inf then still picks an input element, the first, as PyTorch does.
     */
    private static Tensor padForArgmax(Tensor x, Geometry g) {
        Device dev = x.device();
        Tensor padded = dev.full(Double.NEGATIVE_INFINITY, g.n, g.c, g.hp, g.wp);
        try (Tensor floor = dev.scalar(-Float.MAX_VALUE)) {
            View in = flat3(x, g.n * g.c, g.h, g.w);
            dev.backend().binary(BinaryOp.MAXIMUM, in, floor.view().broadcastTo(in.shape()), g.interior(padded));
        }
        return padded;
    }

    /** The gradient in the padded buffer cut back to the input's [N, C, H, W]. */
    private static Tensor unpad(Tensor paddedGrad, Geometry g) {
        Tensor gradX = paddedGrad.device().empty(DType.F32, g.n, g.c, g.h, g.w);
        paddedGrad.device().backend().unary(UnaryOp.COPY, g.interior(paddedGrad), flat3(gradX, g.n * g.c, g.h, g.w));
        return gradX.markWritten();
    }

    // ---- max ----

    public static Tensor maxForward(Tensor x, Pool2dParams p) {
        Geometry g = Geometry.of(x.shape(), p);
        try (Scope scope = Kiln.scope()) {
            Tensor out = x.device().empty(DType.F32, g.outDims());
            if (out.numel() == 0) return scope.keep(out.markWritten());
            Tensor padded = pad(x, g, Double.NEGATIVE_INFINITY);
            View dst = strided(out, 0, new int[] {g.n * g.c, g.oh, g.ow, 1, 1}, (long) g.oh * g.ow, g.ow, 1, 1, 1);
            x.device().backend().reduce(ReduceOp.MAX, g.windows(padded), dst);
            return scope.keep(out.markWritten());
        }
    }

    /** Routes each output gradient to the first maximum of its window (row-major order, as PyTorch). */
    public static Tensor maxBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        Geometry g = Geometry.of(x.shape(), p);
        Device dev = x.device();
        Backend be = dev.backend();
        try (Scope scope = Kiln.scope()) {
            if (x.numel() == 0) return scope.keep(dev.zeros(x.shape().dims()));
            int kk = p.kernelH() * p.kernelW();
            Tensor padded = padForArgmax(x, g);
            // ARGMAX reduces one axis: copy the windows out with KH and KW merged
            Tensor windows = dev.empty(DType.F32, g.n * g.c, g.oh, g.ow, kk);
            be.unary(UnaryOp.COPY, g.windows(padded), View.contiguous(windows.view().buffer(), DType.F32, windows.view().offset(),
                    g.n * g.c, g.oh, g.ow, p.kernelH(), p.kernelW()));
            Tensor winner = windows.markWritten().argmax(3);  // [N*C, OH, OW], I64
            // position in the flat padded buffer: window origin + kh * wp + kw
            Tensor kh = winner.div(p.kernelW());
            Tensor origin = windowOrigins(dev, g);
            Tensor position = winner.add(kh.mul(g.wp - p.kernelW())).add(origin);
            Tensor gradPadded = dev.zeros(g.n, g.c, g.hp, g.wp);
            int m = g.n * g.c * g.oh * g.ow;
            be.scatterAdd(View.contiguous(gradOut.view().buffer(), DType.F32, gradOut.view().offset(), m), 0,
                    View.contiguous(position.view().buffer(), position.dtype(), position.view().offset(), m),
                    View.contiguous(gradPadded.view().buffer(), DType.F32, gradPadded.view().offset(), (int) gradPadded.numel()));
            return scope.keep(unpad(gradPadded, g));
        }
    }

    /** Flat position, in the padded buffer, of the first element of every window: [N*C, OH, OW], I64. */
    private static Tensor windowOrigins(Device dev, Geometry g) {
        try (Tensor planes = dev.arange(DType.I64, 0, (double) g.n * g.c * g.plane(), g.plane()).reshape(g.n * g.c, 1, 1);
             Tensor rows = dev.arange(DType.I64, 0, (double) g.oh * g.p.strideH() * g.wp, (double) g.p.strideH() * g.wp).reshape(1, g.oh, 1);
             Tensor cols = dev.arange(DType.I64, 0, (double) g.ow * g.p.strideW(), g.p.strideW()).reshape(1, 1, g.ow);
             Tensor planeRows = planes.add(rows)) {
            return planeRows.add(cols);
        }
    }

    // ---- average ----

    public static Tensor avgForward(Tensor x, Pool2dParams p) {
        Geometry g = Geometry.of(x.shape(), p);
        Device dev = x.device();
        try (Scope scope = Kiln.scope()) {
            Tensor out = dev.empty(DType.F32, g.outDims());
            if (out.numel() == 0) return scope.keep(out.markWritten());
            Tensor padded = pad(x, g, 0);
            Tensor sums = dev.empty(DType.F32, g.n * g.c, g.oh, g.ow, 1, 1);
            dev.backend().reduce(ReduceOp.SUM, g.windows(padded), sums.view());
            Tensor divisor = divisors(dev, g);
            int[] dims = {g.n * g.c, g.oh, g.ow};
            dev.backend().binary(BinaryOp.DIV, flat3(sums, g.n * g.c, g.oh, g.ow), strided(divisor, 0, dims, 0, g.ow, 1),
                    flat3(out, g.n * g.c, g.oh, g.ow));
            return scope.keep(out.markWritten());
        }
    }

    public static Tensor avgBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        Geometry g = Geometry.of(inputShape, p);
        Device dev = gradOut.device();
        Backend be = dev.backend();
        try (Scope scope = Kiln.scope()) {
            if (inputShape.numel() == 0) return scope.keep(dev.zeros(inputShape.dims()));
            int[] dims = {g.n * g.c, g.oh, g.ow};
            Tensor divisor = divisors(dev, g);
            Tensor share = dev.empty(DType.F32, dims);
            be.binary(BinaryOp.DIV, flat3(gradOut, g.n * g.c, g.oh, g.ow), strided(divisor, 0, dims, 0, g.ow, 1), share.view());
            Tensor gradPadded = dev.zeros(g.n, g.c, g.hp, g.wp);
            // one in-place add per kernel offset: the windows' elements at one offset are disjoint
            for (int i = 0; i < p.kernelH(); i++) {
                for (int j = 0; j < p.kernelW(); j++) {
                    View dst = g.offsetPositions(gradPadded, i, j);
                    be.binary(BinaryOp.ADD, dst, share.view(), dst);
                }
            }
            return scope.keep(unpad(gradPadded, g));
        }
    }

    /**
     * The divisor of every output position [OH, OW], as PyTorch's avg_pool2d: the window clipped to
     * the padded input (ceil-mode overhang never counts); with countIncludePad false, clipped to the input.
     */
    private static Tensor divisors(Device dev, Geometry g) {
        Pool2dParams p = g.p;
        float[] d = new float[g.oh * g.ow];
        for (int i = 0; i < g.oh; i++) {
            int hs = i * p.strideH() - p.padH(), he = Math.min(hs + p.kernelH(), g.h + p.padH());
            int hIn = Math.min(he, g.h) - Math.max(hs, 0);
            for (int j = 0; j < g.ow; j++) {
                int ws = j * p.strideW() - p.padW(), we = Math.min(ws + p.kernelW(), g.w + p.padW());
                int wIn = Math.min(we, g.w) - Math.max(ws, 0);
                d[i * g.ow + j] = p.countIncludePad() ? (he - hs) * (we - ws) : hIn * wIn;
            }
        }
        return dev.fromArray(d, g.oh, g.ow);
    }

    // ---- adaptive average ----

    /** {@code torch.nn.AdaptiveAvgPool2d}: out[n, c] = Ph · x[n, c] · Pw^T with averaging matrices Ph [outH, H], Pw [outW, W]. */
    public static Tensor adaptiveAvgForward(Tensor x, int outH, int outW) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Device dev = x.device();
        Backend be = dev.backend();
        try (Scope scope = Kiln.scope()) {
            Tensor out = dev.empty(DType.F32, x.dim(0), x.dim(1), outH, outW);
            if (out.numel() == 0) return scope.keep(out.markWritten());
            Tensor ph = averaging(dev, outH, h), pw = averaging(dev, outW, w);
            Tensor rowsPooled = dev.empty(DType.F32, planes * h, outW);  // x · Pw^T
            be.matmul(strided(x, 0, new int[] {1, planes * h, w}, 0, w, 1), strided(pw, 0, new int[] {1, w, outW}, 0, 1, w),
                    flat3(rowsPooled, 1, planes * h, outW), 1f, 0f);
            be.matmul(strided(ph, 0, new int[] {planes, outH, h}, 0, h, 1), flat3(rowsPooled, planes, h, outW),
                    flat3(out, planes, outH, outW), 1f, 0f);
            return scope.keep(out.markWritten());
        }
    }

    /** gradX[n, c] = Ph^T · gradOut[n, c] · Pw. */
    public static Tensor adaptiveAvgBackward(Tensor gradOut, Shape inputShape) {
        int planes = inputShape.dim(0) * inputShape.dim(1), h = inputShape.dim(2), w = inputShape.dim(3);
        int outH = gradOut.dim(2), outW = gradOut.dim(3);
        Device dev = gradOut.device();
        Backend be = dev.backend();
        try (Scope scope = Kiln.scope()) {
            Tensor gradX = dev.empty(DType.F32, inputShape.dims());
            if (gradX.numel() == 0) return scope.keep(gradX.markWritten());
            Tensor ph = averaging(dev, outH, h), pw = averaging(dev, outW, w);
            Tensor spread = dev.empty(DType.F32, planes * outH, w);  // gradOut · Pw
            be.matmul(strided(gradOut, 0, new int[] {1, planes * outH, outW}, 0, outW, 1), flat3(pw, 1, outW, w),
                    flat3(spread, 1, planes * outH, w), 1f, 0f);
            be.matmul(strided(ph, 0, new int[] {planes, h, outH}, 0, 1, h), flat3(spread, planes, outH, w),
                    flat3(gradX, planes, h, w), 1f, 0f);
            return scope.keep(gradX.markWritten());
        }
    }

    /** [out, in]: row i averages the window [floor(i*in/out), ceil((i+1)*in/out)). */
    private static Tensor averaging(Device dev, int out, int in) {
        float[] m = new float[out * in];
        for (int i = 0; i < out; i++) {
            int start = (int) ((long) i * in / out);
            int end = (int) Math.ceilDiv((long) (i + 1) * in, out);
            for (int j = start; j < end; j++) m[i * in + j] = 1f / (end - start);
        }
        return dev.fromArray(m, out, in);
    }
}
