package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;

/**
 * OpenCL kernels for the fast paths that pay most against their composition from primitives: the
 * softmax family (one pass per row instead of five primitive launches). Everything else keeps the
 * composite default. Arguments arrive validated by {@link dev.kiln.Functional} (F32, contiguous).
 */
final class OpenClFastPaths implements FastPaths {
    private static final int SOFTMAX = 0, LOG_SOFTMAX = 1, SOFTMAX_BACKWARD = 2, LOG_SOFTMAX_BACKWARD = 3;

    private final OpenClBackend backend;

    OpenClFastPaths(OpenClBackend backend) { this.backend = backend; }

    @Override
    public Tensor softmax(Tensor x, int axis) { return rows(SOFTMAX, x, x, axis); }

    @Override
    public Tensor logSoftmax(Tensor x, int axis) { return rows(LOG_SOFTMAX, x, x, axis); }

    @Override
    public Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) { return rows(SOFTMAX_BACKWARD, out, gradOut, axis); }

    @Override
    public Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) { return rows(LOG_SOFTMAX_BACKWARD, out, gradOut, axis); }

    /** Runs softmax_rows over x (and g) seen as [outer, len, inner] around {@code axis}. */
    private Tensor rows(int mode, Tensor x, Tensor g, int axis) {
        int[] dims = x.shape().dims();
        long len = dims[axis], inner = 1;
        for (int d = axis + 1; d < dims.length; d++) inner *= dims[d];
        long rows = len == 0 ? 0 : x.numel() / len;
        Tensor y = x.device().empty(DType.F32, dims);
        if (rows > 0) {
            var xv = x.view();
            var gv = g.view();
            var yv = y.view();
            long program = backend.programs().get("softmax.cl", "");
            backend.ctx().kernel(program, "softmax_rows").i32(mode).i64(rows).i64(len).i64(inner)
                    .mem(Checks.buffer(backend, "softmax", xv.buffer())).i64(xv.offset())
                    .mem(Checks.buffer(backend, "softmax", gv.buffer())).i64(gv.offset())
                    .mem(Checks.buffer(backend, "softmax", yv.buffer())).i64(yv.offset())
                    .launch1d(rows);
        }
        return y.markWritten();
    }
}
