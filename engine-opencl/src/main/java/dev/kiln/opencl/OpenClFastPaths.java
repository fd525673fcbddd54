package dev.kiln.opencl;

import dev.kiln.AdamParams;
import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.DropoutResult;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.Pool2dParams;
import dev.kiln.Reduction;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.SgdParams;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import java.util.List;

/**
 * The OpenCL backend's fast paths, each on its own kernels: the softmax family (one pass per row),
 * max/average pooling forward and backward, batch norm with running statistics, LRN forward and layer
 * norm forward and backward (here); convolution ({@link OpenClConv}: im2col + GEMM, direct kernels for
 * few im2col rows); batch norm in training, LRN backward, adaptive average pooling ({@link OpenClNorm});
 * attention ({@link OpenClAttention}); LSTM and GRU ({@link OpenClRnn}); cross-entropy, dropout, SGD
 * and Adam ({@link OpenClTrainingOps}). {@code linear} keeps the composite default (the backend's GEMM).
 * Arguments arrive validated by {@link dev.kiln.Functional}; tensors are always contiguous.
 */
final class OpenClFastPaths implements FastPaths {
    private static final int SOFTMAX = 0, LOG_SOFTMAX = 1, SOFTMAX_BACKWARD = 2, LOG_SOFTMAX_BACKWARD = 3;

    private final OpenClBackend backend;
    private final OpenClConv conv;
    private final OpenClTrainingOps training;
    private final OpenClNorm norm;
    private final OpenClAttention attention;
    private final OpenClRnn rnn;

    OpenClFastPaths(OpenClBackend backend) {
        this.backend = backend;
        conv = new OpenClConv(backend);
        training = new OpenClTrainingOps(backend);
        norm = new OpenClNorm(backend);
        attention = new OpenClAttention(backend);
        rnn = new OpenClRnn(backend);
    }

    OpenClConv conv() { return conv; }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return conv.forward(x, w, bias, p); }

    @Override
    public Tensor conv2dBackwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        return conv.backwardData(gradOut, w, inputShape, p);
    }

    @Override
    public Tensor conv2dBackwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        return conv.backwardFilter(gradOut, x, weightShape, p);
    }

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

    @Override
    public Tensor maxPool2d(Tensor x, Pool2dParams p) { return poolForward("max_pool_forward", x, p); }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) { return poolForward("avg_pool_forward", x, p); }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        return poolBackward("max_pool_backward", gradOut, x, x.shape(), p);
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        return poolBackward("avg_pool_backward", gradOut, null, inputShape, p);
    }

    private Tensor poolForward(String kernel, Tensor x, Pool2dParams p) {
        int[] d = x.shape().dims();
        int oh = p.outH(d[2]), ow = p.outW(d[3]);
        Tensor y = x.device().empty(DType.F32, d[0], d[1], oh, ow);
        long n = (long) d[0] * d[1] * oh * ow;
        if (n > 0) {
            var xv = x.view();
            var yv = y.view();
            KernelCall call = pool(kernel, n, d[2], d[3], oh, ow, p);
            if (kernel.startsWith("avg")) call.i32(p.countIncludePad() ? 1 : 0);
            call.mem(Checks.buffer(backend, kernel, xv.buffer())).i64(xv.offset())
                    .mem(Checks.buffer(backend, kernel, yv.buffer())).i64(yv.offset())
                    .launch1d(n);
        }
        return y.markWritten();
    }

    private Tensor poolBackward(String kernel, Tensor gradOut, Tensor x, Shape inputShape, Pool2dParams p) {
        int[] d = inputShape.dims();
        int oh = p.outH(d[2]), ow = p.outW(d[3]);
        Tensor dx = gradOut.device().empty(DType.F32, d);
        long n = (long) d[0] * d[1] * d[2] * d[3];
        if (n > 0) {
            var gv = gradOut.view();
            var dv = dx.view();
            KernelCall call = pool(kernel, n, d[2], d[3], oh, ow, p);
            if (x != null) {
                var xv = x.view();
                call.mem(Checks.buffer(backend, kernel, xv.buffer())).i64(xv.offset());
            } else {
                call.i32(p.countIncludePad() ? 1 : 0);
            }
            call.mem(Checks.buffer(backend, kernel, gv.buffer())).i64(gv.offset())
                    .mem(Checks.buffer(backend, kernel, dv.buffer())).i64(dv.offset())
                    .launch1d(n);
        }
        return dx.markWritten();
    }

    /** The pooling kernel with its geometry arguments set. */
    private KernelCall pool(String kernel, long n, int h, int w, int oh, int ow, Pool2dParams p) {
        long program = backend.programs().get("pool.cl", "");
        return backend.ctx().kernel(program, kernel).i64(n).i32(h).i32(w).i32(oh).i32(ow)
                .i32(p.kernelH()).i32(p.kernelW()).i32(p.strideH()).i32(p.strideW()).i32(p.padH()).i32(p.padW());
    }

    @Override
    public Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        int[] d = x.shape().dims();
        Tensor y = x.device().empty(DType.F32, d);
        long n = x.numel();
        if (n > 0) {
            var xv = x.view();
            long program = norm.normProgram();
            KernelCall call = backend.ctx().kernel(program, "batch_norm_inference").i64(n).i32(d[1]).i64(inner(d)).f32((float) eps);
            tensorArg(call, x);
            tensorArg(call, runningMean);
            tensorArg(call, runningVar);
            call.i32(weight != null ? 1 : 0);
            tensorArg(call, weight != null ? weight : x);
            call.i32(bias != null ? 1 : 0);
            tensorArg(call, bias != null ? bias : x);
            tensorArg(call, y);
            call.launch1d(n);
        }
        return y.markWritten();
    }

    @Override
    public NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                        double momentum, double eps) {
        return norm.batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
    }

    @Override
    public NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        return norm.batchNormBackward(gradOut, x, forward, weight, bias);
    }

    @Override
    public Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) { return norm.lrnBackward(gradOut, x, out, p); }

    @Override
    public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) { return norm.adaptiveAvgPool2d(x, outH, outW); }

    @Override
    public Tensor adaptiveAvgPool2dBackward(Tensor gradOut, Shape inputShape) {
        return norm.adaptiveAvgPool2dBackward(gradOut, inputShape);
    }

    @Override
    public Tensor lrn(Tensor x, LrnParams p) {
        int[] d = x.shape().dims();
        Tensor y = x.device().empty(DType.F32, d);
        long n = x.numel();
        if (n > 0) {
            long program = norm.normProgram();
            KernelCall call = backend.ctx().kernel(program, "lrn_forward").i64(n).i32(d[1]).i64(inner(d))
                    .i32(p.size()).f32((float) p.alpha()).f32((float) p.beta()).f32((float) p.k());
            tensorArg(call, x);
            tensorArg(call, y);
            call.launch1d(n);
        }
        return y.markWritten();
    }

    @Override
    public NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        int[] d = x.shape().dims();
        long len = normalizedLength(d, normalizedDims), rows = len == 0 ? 0 : x.numel() / len;
        Tensor y = x.device().empty(DType.F32, d);
        Tensor mean = x.device().empty(DType.F32, statShape(d, normalizedDims));
        Tensor rstd = x.device().empty(DType.F32, statShape(d, normalizedDims));
        if (rows > 0) {
            long program = norm.normProgram();
            KernelCall call = backend.ctx().kernel(program, "layer_norm_forward").i64(rows).i64(len).f32((float) eps);
            tensorArg(call, x);
            call.i32(weight != null ? 1 : 0);
            tensorArg(call, weight != null ? weight : x);
            call.i32(bias != null ? 1 : 0);
            tensorArg(call, bias != null ? bias : x);
            tensorArg(call, y);
            tensorArg(call, mean);
            tensorArg(call, rstd);
            call.launch1d(rows);
        }
        return new NormResult(y.markWritten(), mean.markWritten(), rstd.markWritten());
    }

    @Override
    public NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias, int normalizedDims) {
        int[] d = x.shape().dims();
        long len = normalizedLength(d, normalizedDims), rows = len == 0 ? 0 : x.numel() / len;
        int[] paramShape = java.util.Arrays.copyOfRange(d, d.length - normalizedDims, d.length);
        Tensor dx = x.device().empty(DType.F32, d);
        Tensor dw = weight != null ? x.device().empty(DType.F32, paramShape) : null;
        Tensor db = bias != null ? x.device().empty(DType.F32, paramShape) : null;
        long program = norm.normProgram();
        if (rows > 0) {
            KernelCall call = backend.ctx().kernel(program, "layer_norm_backward_input").i64(rows).i64(len);
            tensorArg(call, gradOut);
            tensorArg(call, x);
            tensorArg(call, forward.mean());
            tensorArg(call, forward.rstd());
            call.i32(weight != null ? 1 : 0);
            tensorArg(call, weight != null ? weight : x);
            tensorArg(call, dx);
            call.launch1d(rows);
        }
        if (len > 0 && (dw != null || db != null)) {
            // with no rows the sums are empty: the kernel writes zeros
            KernelCall call = backend.ctx().kernel(program, "layer_norm_backward_params").i64(rows).i64(len);
            tensorArg(call, gradOut);
            tensorArg(call, x);
            tensorArg(call, forward.mean());
            tensorArg(call, forward.rstd());
            call.i32(dw != null ? 1 : 0);
            tensorArg(call, dw != null ? dw : dx);
            call.i32(db != null ? 1 : 0);
            tensorArg(call, db != null ? db : dx);
            call.launch1d(len);
        }
        return new NormGrads(dx.markWritten(), dw == null ? null : dw.markWritten(), db == null ? null : db.markWritten());
    }

    @Override
    public RnnResult rnn(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        return rnn.forward(p, x, h0, c0, weights, training);
    }

    @Override
    public RnnGrads rnnBackward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward,
                                Tensor gradOutput, Tensor gradHN, Tensor gradCN) {
        return rnn.backward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        return attention.forward(q, k, v, mask, causal, scale);
    }

    @Override
    public AttentionGrads attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal,
                                            double scale, AttentionResult forward) {
        return attention.backward(gradOut, q, k, v, mask, causal, scale, forward);
    }

    @Override
    public DropoutResult dropout(Tensor x, double p, long seed, long offset) { return training.dropout(x, p, seed, offset); }

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        return training.crossEntropy(logits, target, ignoreIndex, labelSmoothing, reduction);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                       Reduction reduction) {
        return training.crossEntropyBackward(gradLoss, logits, target, ignoreIndex, labelSmoothing, reduction);
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        training.sgdStep(param, grad, momentumBuffer, step, p);
    }

    @Override
    public void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        training.adamStep(param, grad, m, v, step, p);
    }

    /** Elements per row of layer norm: the product of the last {@code k} extents. */
    private static long normalizedLength(int[] d, int k) {
        long len = 1;
        for (int i = d.length - k; i < d.length; i++) len *= d[i];
        return len;
    }

    /** The shape of layer norm's mean and rstd: x's shape with the normalized axes kept as 1. */
    private static int[] statShape(int[] d, int k) {
        int[] s = d.clone();
        for (int i = d.length - k; i < d.length; i++) s[i] = 1;
        return s;
    }

    /** Elements per channel of an [N, C, ...] tensor. */
    private static long inner(int[] d) {
        long inner = 1;
        for (int i = 2; i < d.length; i++) inner *= d[i];
        return inner;
    }

    /** A tensor as a (buffer, element offset) argument pair. */
    private void tensorArg(KernelCall call, Tensor t) {
        var v = t.view();
        call.mem(Checks.buffer(backend, "fast path", v.buffer())).i64(v.offset());
    }
}
