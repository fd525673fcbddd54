package dev.kiln.opencl;

import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.List;

/**
 * 2-d convolution as im2col + the backend's GEMM (conv.cl): forward W · cols per image and group,
 * backward data W^T · dY into columns then col2im, backward filter dY · cols^T summed over images.
 * Columns are built for a chunk of images at a time, at most {@link #columnBudgetBytes} of them (at
 * least one image), so a batch-32 AlexNet layer does not allocate gigabytes. A 1x1 convolution with
 * stride 1 and no padding needs no columns: the images already are them. Layers with few im2col rows
 * (one input channel, depthwise) run direct kernels instead, forward and backward data.
 */
final class OpenClConv {
    /** Default bound on one chunk's columns: 64 MiB. */
    static final long DEFAULT_COLUMN_BUDGET = 64L << 20;

    /**
     * Im2col rows up to which the direct kernels run instead of im2col + GEMM: forward, channels per
     * group * KH * KW (a one-channel 5x5 first layer, depthwise filters up to 5x5); backward data,
     * output channels per group * KH * KW (depthwise 3x3). Above them the GEMM's K is long enough to
     * pay for the columns. Measured on PoCL (docs/opencl-backend.md, "Direct convolution").
     */
    static final int FORWARD_DIRECT_MAX_ROWS = 25, BACKWARD_DIRECT_MAX_ROWS = 9;

    /** How a convolution is computed: the rule above, or forced (-Dkiln.opencl.conv=direct|gemm) for comparisons and tests. */
    enum Method { AUTO, DIRECT, GEMM }

    private final OpenClBackend backend;
    private volatile long columnBudgetBytes = DEFAULT_COLUMN_BUDGET;
    private volatile Method method = Method.valueOf(System.getProperty("kiln.opencl.conv", "auto").toUpperCase(java.util.Locale.ROOT));

    OpenClConv(OpenClBackend backend) { this.backend = backend; }

    /** Lets tests force one method. */
    void method(Method m) { method = m; }

    private boolean direct(long rows, int maxRows) { return method == Method.DIRECT || (method == Method.AUTO && rows <= maxRows); }

    /** Lets tests force small chunks. */
    void columnBudget(long bytes) { columnBudgetBytes = bytes; }

    /** The sizes of one convolution; rows of the columns per group are {@code kg = cg * kh * kw}. */
    private record Geometry(int n, int c, int h, int w, int oc, int kh, int kw, int oh, int ow, int groups, Conv2dParams p) {
        static Geometry of(Shape x, Shape weight, Conv2dParams p) {
            int kh = weight.dim(2), kw = weight.dim(3);
            return new Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), kh, kw,
                    p.outH(x.dim(2), kh), p.outW(x.dim(3), kw), p.groups(), p);
        }

        long plane() { return (long) oh * ow; }
        int cg() { return c / groups; }
        int ocg() { return oc / groups; }
        long kg() { return (long) cg() * kh * kw; }
        long imageIn() { return (long) c * h * w; }
        long imageOut() { return (long) oc * plane(); }
        long imageColumns() { return (long) c * kh * kw * plane(); }

        /** The images already are their columns. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
        }
    }

    /**
     * A matrix operand per (image, group) in one buffer: element (r, c) of image i, group g at
     * {@code offset + i * imageStride + g * groupStride + r * rowStride + c * colStride}.
     */
    private record Operand(ClBuffer buffer, long offset, long imageStride, long groupStride,
                           int rows, int cols, long rowStride, long colStride) {
        View images(int images, long first, int group) {
            return new View(buffer, DType.F32, offset + first * imageStride + group * groupStride,
                    new int[] {images, rows, cols}, new long[] {imageStride, rowStride, colStride});
        }

        View groups(int groups, long image) {
            return new View(buffer, DType.F32, offset + image * imageStride,
                    new int[] {groups, rows, cols}, new long[] {groupStride, rowStride, colStride});
        }
    }

    Tensor forward(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        Geometry g = Geometry.of(x.shape(), w.shape(), p);
        Tensor y = x.device().empty(DType.F32, g.n, g.oc, g.oh, g.ow);
        try {
            if (y.numel() == 0) return y.markWritten();
            if (direct(g.kg(), FORWARD_DIRECT_MAX_ROWS)) {
                View xv = x.view(), wv = w.view(), yv = y.view();
                KernelCall call = geometry(backend.ctx().kernel(program(), "conv_direct_forward").i64(y.numel()), g).i32(g.oc).i32(g.groups)
                        .mem(buffer(xv)).i64(xv.offset()).mem(buffer(wv)).i64(wv.offset()).i32(bias != null ? 1 : 0);
                View bv = bias != null ? bias.view() : wv;
                call.mem(buffer(bv)).i64(bv.offset()).mem(buffer(yv)).i64(yv.offset()).launch1d(y.numel());
                return y.markWritten();
            }
            try (Temporaries tmp = new Temporaries()) {
                View xv = tmp.dense(x.view()), wv = tmp.dense(w.view()), yv = y.view();
                ClBuffer xb = buffer(xv), wb = buffer(wv), yb = buffer(yv);
                int chunk = chunk(g);
                ClBuffer cols = g.pointwise() ? null : tmp.floats((long) chunk * g.imageColumns());
                Operand weights = new Operand(wb, wv.offset(), 0, (long) g.ocg() * g.kg(), g.ocg(), (int) g.kg(), g.kg(), 1);
                for (int n0 = 0; n0 < g.n; n0 += chunk) {
                    int nb = Math.min(chunk, g.n - n0);
                    Operand columns = cols == null
                            ? new Operand(xb, xv.offset() + n0 * g.imageIn(), g.imageIn(), g.kg() * g.plane(), (int) g.kg(), (int) g.plane(), g.plane(), 1)
                            : im2col(g, xb, xv.offset() + n0 * g.imageIn(), nb, cols);
                    Operand out = new Operand(yb, yv.offset() + n0 * g.imageOut(), g.imageOut(), (long) g.ocg() * g.plane(),
                            g.ocg(), (int) g.plane(), g.plane(), 1);
                    gemmPerImageAndGroup(g, nb, weights, columns, out);
                }
                if (bias != null) {
                    View bv = tmp.dense(bias.view());
                    backend.ctx().kernel(program(), "conv_bias_add").i64(y.numel()).i32(g.oc).i64(g.plane())
                            .mem(buffer(bv)).i64(bv.offset()).mem(yb).i64(yv.offset()).launch1d(y.numel());
                }
            }
            return y.markWritten();
        } catch (RuntimeException | Error e) {
            y.close();   // a failed launch must not leak the result
            throw e;
        }
    }

    Tensor backwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        Geometry g = Geometry.of(inputShape, w.shape(), p);
        Tensor dx = gradOut.device().empty(DType.F32, inputShape.dims());
        try {
            if (dx.numel() == 0) return dx.markWritten();
            if (direct((long) g.ocg() * g.kh * g.kw, BACKWARD_DIRECT_MAX_ROWS)) {
                View dyv = gradOut.view(), wv = w.view(), dxv = dx.view();
                geometry(backend.ctx().kernel(program(), "conv_direct_backward_data").i64(dx.numel()), g).i32(g.oc).i32(g.groups)
                        .mem(buffer(dyv)).i64(dyv.offset()).mem(buffer(wv)).i64(wv.offset()).mem(buffer(dxv)).i64(dxv.offset())
                        .launch1d(dx.numel());
                return dx.markWritten();
            }
            try (Temporaries tmp = new Temporaries()) {
                View dyv = tmp.dense(gradOut.view()), wv = tmp.dense(w.view()), dxv = dx.view();
                ClBuffer dyb = buffer(dyv), wb = buffer(wv), dxb = buffer(dxv);
                int chunk = chunk(g);
                ClBuffer cols = g.pointwise() ? null : tmp.floats((long) chunk * g.imageColumns());
                // W^T per group: [kg, ocg] read across W's rows
                Operand weightsT = new Operand(wb, wv.offset(), 0, (long) g.ocg() * g.kg(), (int) g.kg(), g.ocg(), 1, g.kg());
                for (int n0 = 0; n0 < g.n; n0 += chunk) {
                    int nb = Math.min(chunk, g.n - n0);
                    Operand dy = new Operand(dyb, dyv.offset() + n0 * g.imageOut(), g.imageOut(), (long) g.ocg() * g.plane(),
                            g.ocg(), (int) g.plane(), g.plane(), 1);
                    if (cols == null) {
                        Operand out = new Operand(dxb, dxv.offset() + n0 * g.imageIn(), g.imageIn(), g.kg() * g.plane(),
                                (int) g.kg(), (int) g.plane(), g.plane(), 1);
                        gemmPerImageAndGroup(g, nb, weightsT, dy, out);
                    } else {
                        gemmPerImageAndGroup(g, nb, weightsT, dy, columnsOperand(g, cols));
                        long total = nb * g.imageIn();
                        geometry(backend.ctx().kernel(program(), "conv_col2im").i64(total), g)
                                .mem(cols).mem(dxb).i64(dxv.offset() + n0 * g.imageIn()).launch1d(total);
                    }
                }
            }
            return dx.markWritten();
        } catch (RuntimeException | Error e) {
            dx.close();   // a failed launch must not leak the result
            throw e;
        }
    }

    Tensor backwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        Geometry g = Geometry.of(x.shape(), weightShape, p);
        Tensor dw = gradOut.device().empty(DType.F32, weightShape.dims());
        try {
            if (dw.numel() == 0) return dw.markWritten();
            View dwv = dw.view();
            if (g.n == 0) {
                backend.fill(dwv, 0);   // a sum over no images
                return dw.markWritten();
            }
            try (Temporaries tmp = new Temporaries()) {
                View dyv = tmp.dense(gradOut.view()), xv = tmp.dense(x.view());
                ClBuffer dyb = buffer(dyv), xb = buffer(xv), dwb = buffer(dwv);
                int chunk = chunk(g);
                ClBuffer cols = g.pointwise() ? null : tmp.floats((long) chunk * g.imageColumns());
                Operand grads = new Operand(dwb, dwv.offset(), 0, (long) g.ocg() * g.kg(), g.ocg(), (int) g.kg(), g.kg(), 1);
                for (int n0 = 0; n0 < g.n; n0 += chunk) {
                    int nb = Math.min(chunk, g.n - n0);
                    Operand columns = cols == null
                            ? new Operand(xb, xv.offset() + n0 * g.imageIn(), g.imageIn(), g.kg() * g.plane(), (int) g.kg(), (int) g.plane(), g.plane(), 1)
                            : im2col(g, xb, xv.offset() + n0 * g.imageIn(), nb, cols);
                    // cols^T per image and group: [plane, kg]
                    Operand columnsT = new Operand(columns.buffer(), columns.offset(), columns.imageStride(), columns.groupStride(),
                            (int) g.plane(), (int) g.kg(), 1, g.plane());
                    Operand dy = new Operand(dyb, dyv.offset() + n0 * g.imageOut(), g.imageOut(), (long) g.ocg() * g.plane(),
                            g.ocg(), (int) g.plane(), g.plane(), 1);
                    // every image adds into the same dW, so images go one call each, groups batched
                    for (int i = 0; i < nb; i++) {
                        backend.matmul(dy.groups(g.groups, i), columnsT.groups(g.groups, i), grads.groups(g.groups, 0),
                                1f, n0 + i == 0 ? 0f : 1f);
                    }
                }
            }
            return dw.markWritten();
        } catch (RuntimeException | Error e) {
            dw.close();   // a failed launch must not leak the result
            throw e;
        }
    }

    /** c = a · b for every image of the chunk and every group, batched over the more numerous of the two. */
    private void gemmPerImageAndGroup(Geometry g, int images, Operand a, Operand b, Operand c) {
        if (g.groups <= images) {
            for (int grp = 0; grp < g.groups; grp++) backend.matmul(a.images(images, 0, grp), b.images(images, 0, grp), c.images(images, 0, grp), 1f, 0f);
        } else {
            for (int i = 0; i < images; i++) backend.matmul(a.groups(g.groups, i), b.groups(g.groups, i), c.groups(g.groups, i), 1f, 0f);
        }
    }

    /** Writes the columns of {@code images} images starting at element {@code xOffset} of x into cols. */
    private Operand im2col(Geometry g, ClBuffer x, long xOffset, int images, ClBuffer cols) {
        long total = images * g.imageColumns();
        geometry(backend.ctx().kernel(program(), "conv_im2col").i64(total), g)
                .mem(x).i64(xOffset).mem(cols).launch1d(total);
        return columnsOperand(g, cols);
    }

    private static Operand columnsOperand(Geometry g, ClBuffer cols) {
        return new Operand(cols, 0, g.imageColumns(), g.kg() * g.plane(), (int) g.kg(), (int) g.plane(), g.plane(), 1);
    }

    private static KernelCall geometry(KernelCall call, Geometry g) {
        Conv2dParams p = g.p;
        return call.i32(g.c).i32(g.h).i32(g.w).i32(g.kh).i32(g.kw).i32(g.oh).i32(g.ow)
                .i32(p.strideH()).i32(p.strideW()).i32(p.padH()).i32(p.padW()).i32(p.dilationH()).i32(p.dilationW());
    }

    /** Images per chunk: as many as fit the column budget, at least one. */
    private int chunk(Geometry g) {
        long perImage = Math.max(1, g.imageColumns() * Float.BYTES);
        return (int) Math.max(1, Math.min(g.n, columnBudgetBytes / perImage));
    }

    private long program() { return backend.programs().get("conv.cl", ""); }

    private ClBuffer buffer(View v) { return Checks.buffer(backend, "conv2d", v.buffer()); }

    /** Device buffers one call needs, freed when it ends (frees wait for queued kernels: DeferredFrees). */
    private final class Temporaries implements AutoCloseable {
        private final List<ClBuffer> buffers = new ArrayList<>();

        ClBuffer floats(long count) {
            ClBuffer b = (ClBuffer) backend.allocate(Math.max(1, count) * Float.BYTES);
            buffers.add(b);
            return b;
        }

        /** v itself when it is row-major, else a row-major copy. */
        View dense(View v) {
            if (v.isContiguous()) return v;
            View copy = View.contiguous(floats(v.numel()), DType.F32, 0, v.shape());
            backend.unary(UnaryOp.COPY, v, copy);
            return copy;
        }

        @Override
        public void close() { buffers.forEach(backend::free); }
    }
}
