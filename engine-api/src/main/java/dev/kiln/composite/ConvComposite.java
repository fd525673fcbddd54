package dev.kiln.composite;

import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;

/**
 * Linear layers and 2-D convolution composed from primitives: im2col as one strided copy, then one
 * batched matrix product per chunk of images.
 *
 * <p>The column matrix of a chunk of {@code n} images is laid out {@code [G, C/G * KH * KW, n * OH * OW]}
 * (group, then the contraction axis, then every output position of every image), so each pass is a
 * single matmul batched over the groups:
 * <ul>
 *   <li>forward: {@code y[g] = W[g] · cols[g]}, then one strided copy (adding the bias) puts
 *       {@code y [OC, n, OH*OW]} into NCHW;</li>
 *   <li>backward data: {@code dcols[g] = W[g]^T · gradOut[g]}, then col2im as KH*KW strided in-place
 *       additions (each kernel offset writes disjoint input positions);</li>
 *   <li>backward filter: {@code gradW[g] += gradOut[g] · cols[g]^T}, accumulating over chunks.</li>
 * </ul>
 * Images are processed in chunks so the column matrix stays under {@link #IM2COL_BUDGET_PROPERTY}
 * elements (default 2^25, 128 MiB of F32).
 */
public final class ConvComposite {
    private ConvComposite() {}

    /** System property: the most elements one im2col matrix may hold; larger batches are split into chunks. */
    public static final String IM2COL_BUDGET_PROPERTY = "kiln.composite.im2colElements";

    private static final long DEFAULT_IM2COL_BUDGET = 1L << 25;

    // ---- linear ----

    /** {@code x @ w^T + bias}: x [..., in], w [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int in = w.dim(1), outF = w.dim(0);
        int[] outDims = x.shape().dims();
        outDims[outDims.length - 1] = outF;
        int rows = (int) (x.numel() / Math.max(1, in));
        if (in == 0) rows = (int) (Shape.of(outDims).numel() / Math.max(1, outF));
        Backend be = x.device().backend();
        try (Scope scope = Kiln.scope()) {
            Tensor out = x.device().empty(DType.F32, outDims);
            if (out.numel() == 0) return scope.keep(out.markWritten());
            View c = View.contiguous(out.view().buffer(), DType.F32, out.view().offset(), 1, rows, outF);
            if (in == 0) {
                be.fill(c, 0);
            } else {
                View a = strided(x, 0, new int[] {1, rows, in}, 0, in, 1);
                View b = strided(w, 0, new int[] {1, in, outF}, 0, 1, in);  // w^T
                be.matmul(a, b, c, 1f, 0f);
            }
            if (bias != null) be.binary(BinaryOp.ADD, c, strided(bias, 0, c.shape(), 0, 0, 1), c);
            return scope.keep(out.markWritten());
        }
    }

    // ---- convolution ----

    /** Sizes of one convolution, with the padded input extent. */
    record Geometry(int n, int c, int h, int w, int oc, int kh, int kw, int oh, int ow, int groups, Conv2dParams p) {
        static Geometry of(Shape x, Shape weight, Conv2dParams p) {
            int kh = weight.dim(2), kw = weight.dim(3);
            return new Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), kh, kw,
                    p.outH(x.dim(2), kh), p.outW(x.dim(3), kw), p.groups(), p);
        }

        int cg() { return c / groups; }
        int ocg() { return oc / groups; }
        /** The contraction length of one group: C/G * KH * KW. */
        int k() { return cg() * kh * kw; }
        int positions() { return oh * ow; }
        int hp() { return h + 2 * p.padH(); }
        int wp() { return w + 2 * p.padW(); }
        boolean padded() { return p.padH() > 0 || p.padW() > 0; }

        /** Images per chunk, so that one column matrix stays within the budget. */
        int chunk() {
            long budget = Math.max(1, Long.getLong(IM2COL_BUDGET_PROPERTY, DEFAULT_IM2COL_BUDGET));
            long perImage = Math.max(1, (long) c * kh * kw * positions());
            return (int) Math.clamp(budget / perImage, 1, Math.max(1, n));
        }
    }

    /** x [N, C, H, W], w [OC, C / groups, KH, KW], bias [OC] or null: out [N, OC, OH, OW]. */
    public static Tensor forward(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        Geometry g = Geometry.of(x.shape(), w.shape(), p);
        Backend be = x.device().backend();
        try (Scope scope = Kiln.scope()) {
            Tensor out = x.device().empty(DType.F32, g.n, g.oc, g.oh, g.ow);
            if (out.numel() == 0) return scope.keep(out.markWritten());
            int step = g.chunk();
            for (int n0 = 0; n0 < g.n; n0 += step) {
                int nc = Math.min(step, g.n - n0);
                int cols = nc * g.positions();
                Tensor y = x.device().empty(DType.F32, g.groups, g.ocg(), cols);
                if (g.k() == 0) {
                    be.fill(y.view(), 0);
                } else {
                    try (Tensor col = im2col(x, g, n0, nc)) {
                        View a = strided(w, 0, new int[] {g.groups, g.ocg(), g.k()}, (long) g.ocg() * g.k(), g.k(), 1);
                        be.matmul(a, col.view(), y.view(), 1f, 0f);
                    }
                }
                // y [OC, nc, OH*OW] -> out [nc, OC, OH*OW]
                int[] dims = {nc, g.oc, g.positions()};
                View src = strided(y, 0, dims, g.positions(), cols, 1);
                View dst = strided(out, (long) n0 * g.oc * g.positions(), dims, (long) g.oc * g.positions(), g.positions(), 1);
                if (bias != null) be.binary(BinaryOp.ADD, src, strided(bias, 0, dims, 0, 1, 0), dst);
                else be.unary(UnaryOp.COPY, src, dst);
                y.close();
            }
            return scope.keep(out.markWritten());
        }
    }

    /** The gradient of {@link #forward} with respect to x. */
    public static Tensor backwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        Geometry g = Geometry.of(inputShape, w.shape(), p);
        Backend be = gradOut.device().backend();
        try (Scope scope = Kiln.scope()) {
            // without padding, col2im accumulates straight into gradX; with it, every chunk copies its interior in
            Tensor gradX = g.padded() ? gradOut.device().empty(DType.F32, g.n, g.c, g.h, g.w) : gradOut.device().zeros(g.n, g.c, g.h, g.w);
            if (gradX.numel() == 0 || g.oc == 0) return scope.keep(gradX.fill(0));
            int step = g.chunk();
            int hp = g.hp(), wp = g.wp();
            for (int n0 = 0; n0 < g.n; n0 += step) {
                int nc = Math.min(step, g.n - n0);
                int cols = nc * g.positions();
                try (Scope chunkScope = Kiln.scope()) {
                    Tensor gy = groupMajor(gradOut, g, n0, nc);
                    Tensor dcols = gradOut.device().empty(DType.F32, g.groups, g.k(), cols);
                    View wt = strided(w, 0, new int[] {g.groups, g.k(), g.ocg()}, (long) g.ocg() * g.k(), 1, g.k());
                    be.matmul(wt, gy.view(), dcols.view(), 1f, 0f);
                    // col2im: accumulate into the padded gradient (or straight into gradX without padding)
                    Tensor target = g.padded() ? gradOut.device().zeros(nc, g.c, hp, wp) : gradX;
                    long base = g.padded() ? 0 : (long) n0 * g.c * hp * wp;
                    int[] dims = {nc, g.c, g.oh, g.ow};
                    for (int i = 0; i < g.kh; i++) {
                        for (int j = 0; j < g.kw; j++) {
                            long at = base + (long) i * p.dilationH() * wp + (long) j * p.dilationW();
                            View dst = strided(target, at, dims, (long) g.c * hp * wp, (long) hp * wp,
                                    (long) p.strideH() * wp, p.strideW());
                            View src = strided(dcols, (long) (i * g.kw + j) * cols, dims,
                                    g.positions(), (long) g.kh * g.kw * cols, g.ow, 1);
                            be.binary(BinaryOp.ADD, dst, src, dst);
                        }
                    }
                    if (g.padded()) {
                        int[] inner = {nc, g.c, g.h, g.w};
                        View interior = strided(target, (long) p.padH() * wp + p.padW(), inner,
                                (long) g.c * hp * wp, (long) hp * wp, wp, 1);
                        be.unary(UnaryOp.COPY, interior, strided(gradX, (long) n0 * g.c * g.h * g.w, inner,
                                (long) g.c * g.h * g.w, (long) g.h * g.w, g.w, 1));
                    }
                }
            }
            return scope.keep(gradX.markWritten());
        }
    }

    /** The gradient of {@link #forward} with respect to w. */
    public static Tensor backwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        Geometry g = Geometry.of(x.shape(), weightShape, p);
        Backend be = x.device().backend();
        try (Scope scope = Kiln.scope()) {
            Tensor gradW = x.device().empty(DType.F32, weightShape.dims());
            if (gradW.numel() == 0 || g.n == 0) return scope.keep(gradW.fill(0));
            View c = strided(gradW, 0, new int[] {g.groups, g.ocg(), g.k()}, (long) g.ocg() * g.k(), g.k(), 1);
            int step = g.chunk();
            for (int n0 = 0; n0 < g.n; n0 += step) {
                int nc = Math.min(step, g.n - n0);
                int cols = nc * g.positions();
                try (Scope chunkScope = Kiln.scope()) {
                    Tensor gy = groupMajor(gradOut, g, n0, nc);
                    Tensor col = im2col(x, g, n0, nc);
                    View colT = strided(col, 0, new int[] {g.groups, cols, g.k()}, (long) g.k() * cols, 1, cols);
                    be.matmul(gy.view(), colT, c, 1f, n0 == 0 ? 0f : 1f);
                }
            }
            return scope.keep(gradW.markWritten());
        }
    }

    /**
     * The column matrix of images {@code [n0, n0 + nc)}: [G, C/G * KH * KW, nc * OH * OW], copied
     * in one strided pass from the (zero-padded) input.
     */
    private static Tensor im2col(Tensor x, Geometry g, int n0, int nc) {
        Backend be = x.device().backend();
        Conv2dParams p = g.p;
        int hp = g.hp(), wp = g.wp();
        Tensor padded = null;
        Tensor source = x;
        long base = (long) n0 * g.c * g.h * g.w;
        if (g.padded()) {
            padded = x.device().zeros(nc, g.c, hp, wp);
            int[] inner = {nc, g.c, g.h, g.w};
            be.unary(UnaryOp.COPY, strided(x, base, inner, (long) g.c * g.h * g.w, (long) g.h * g.w, g.w, 1),
                    strided(padded, (long) p.padH() * wp + p.padW(), inner, (long) g.c * hp * wp, (long) hp * wp, wp, 1));
            source = padded;
            base = 0;
        }
        Tensor col = x.device().empty(DType.F32, g.groups, g.k(), nc * g.positions());
        long plane = (long) hp * wp;
        View window = strided(source, base, new int[] {g.groups, g.cg(), g.kh, g.kw, nc, g.oh, g.ow},
                g.cg() * plane, plane, (long) p.dilationH() * wp, p.dilationW(), g.c * plane, (long) p.strideH() * wp, p.strideW());
        be.unary(UnaryOp.COPY, window, View.contiguous(col.view().buffer(), DType.F32, col.view().offset(),
                g.groups, g.cg(), g.kh, g.kw, nc, g.oh, g.ow));
        if (padded != null) padded.close();
        return col.markWritten();
    }

    /** gradOut of images {@code [n0, n0 + nc)} reordered to [G, OC/G, nc * OH * OW]. */
    private static Tensor groupMajor(Tensor gradOut, Geometry g, int n0, int nc) {
        Tensor gy = gradOut.device().empty(DType.F32, g.groups, g.ocg(), nc * g.positions());
        int[] dims = {g.oc, nc, g.positions()};
        View src = strided(gradOut, (long) n0 * g.oc * g.positions(), dims, g.positions(), (long) g.oc * g.positions(), 1);
        gradOut.device().backend().unary(UnaryOp.COPY, src, View.contiguous(gy.view().buffer(), DType.F32, gy.view().offset(), dims));
        return gy.markWritten();
    }

    /** A hand-made view of {@code t}'s buffer: {@code offset} counts elements from t's first element. */
    static View strided(Tensor t, long offset, int[] shape, long... strides) {
        View v = t.view();
        return new View(v.buffer(), v.dtype(), v.offset() + offset, shape.clone(), strides);
    }
}
