package dev.kiln.cuda;

import dev.kiln.AdamParams;
import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Conv2dParams;
import dev.kiln.DropoutResult;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.Pool2dParams;
import dev.kiln.ShapeException;
import dev.kiln.Shape;
import java.util.Arrays;
import dev.kiln.DType;
import dev.kiln.Reduction;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;

/**
 * The fast paths of the CUDA backend that run on Kiln's own kernels (softmax.cu, loss.cu, optim.cu). Every
 * other operation keeps the composite default of {@link FastPaths}. Inputs arrive validated (F32, shapes
 * fit) and contiguous, since tensors always are.
 */
final class CudaFastPaths implements FastPaths {
    static final String OWN_KERNELS = "batch norm, local response norm, layer norm, dropout, max/avg/adaptive-avg pooling, softmax, log-softmax, cross-entropy, SGD, Adam, attention (head size <= "
            + AttentionLaunch.MAX_HEAD_SIZE + ")";

    private final CudaBackend backend;

    CudaFastPaths(CudaBackend backend) { this.backend = backend; }

    private long address(Tensor t) { return backend.cuda(t.view().buffer()).address + t.view().offset() * t.dtype().byteSize(); }

    private static int rows(long n) { return (int) Math.min(Math.max(1, n), Launch.MAX_BLOCKS); }

    // ---- convolution (cuDNN) ----

    private static boolean empty(int[] shape) { return Arrays.stream(shape).anyMatch(d -> d == 0); }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        if (!backend.hasCudnn() || x.numel() == 0 || w.numel() == 0) return FastPaths.super.conv2d(x, w, bias, p);
        ConvGeometry g = ConvGeometry.of(x.shape().dims(), w.shape().dims(), p);
        Tensor y = x.device().empty(DType.F32, g.output());
        backend.convolution(Cudnn.Direction.FORWARD, g, address(x), address(w), address(y));
        if (bias != null) backend.addBias(g.output(), address(bias), address(y));
        return y.markWritten();
    }

    @Override
    public Tensor conv2dBackwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        if (!backend.hasCudnn() || gradOut.numel() == 0 || empty(inputShape.dims())) {
            return FastPaths.super.conv2dBackwardData(gradOut, w, inputShape, p);
        }
        ConvGeometry g = ConvGeometry.of(inputShape.dims(), w.shape().dims(), p);
        checkGradOut("conv2dBackwardData", g, gradOut);
        Tensor dx = gradOut.device().empty(DType.F32, inputShape.dims());
        backend.convolution(Cudnn.Direction.BACKWARD_DATA, g, address(dx), address(w), address(gradOut));
        return dx.markWritten();
    }

    @Override
    public Tensor conv2dBackwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        if (!backend.hasCudnn() || gradOut.numel() == 0 || x.numel() == 0) {
            return FastPaths.super.conv2dBackwardFilter(gradOut, x, weightShape, p);
        }
        ConvGeometry g = ConvGeometry.of(x.shape().dims(), weightShape.dims(), p);
        checkGradOut("conv2dBackwardFilter", g, gradOut);
        Tensor dw = gradOut.device().empty(DType.F32, weightShape.dims());
        backend.convolution(Cudnn.Direction.BACKWARD_FILTER, g, address(x), address(dw), address(gradOut));
        return dw.markWritten();
    }

    private static void checkGradOut(String op, ConvGeometry g, Tensor gradOut) {
        if (!Arrays.equals(g.output(), gradOut.shape().dims())) {
            throw new ShapeException(op + ": gradOut " + gradOut.shape() + " does not match the convolution output "
                    + Arrays.toString(g.output()) + " of input " + Arrays.toString(g.input()) + " and weight "
                    + Arrays.toString(g.weight()));
        }
    }

    // ---- attention (own FlashAttention-style kernels) ----

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        AttentionLaunch a = AttentionLaunch.of(q, k);
        if (!a.supported()) return FastPaths.super.attention(q, k, v, mask, causal, scale);
        Tensor out = q.device().empty(DType.F32, q.shape().dims());
        Tensor lse = q.device().empty(DType.F32, a.n(), a.heads(), a.tq());
        backend.launch2d("attention_forward", a.queryBlocks(), a.n() * a.heads(), AttentionLaunch.TILE, new Launch()
                .i64(address(q)).i64(address(k)).i64(address(v)).bytes(maskArgument(mask, a)).i64(address(out))
                .i64(address(lse)).i32(a.heads()).i32(a.tq()).i32(a.tk()).i32(a.d()).f32((float) scale).i32(causal ? 1 : 0));
        return new AttentionResult(out.markWritten(), lse.markWritten());
    }

    @Override
    public AttentionGrads attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal,
                                            double scale, AttentionResult forward) {
        AttentionLaunch a = AttentionLaunch.of(q, k);
        if (!a.supported()) return FastPaths.super.attentionBackward(gradOut, q, k, v, mask, causal, scale, forward);
        byte[] m = maskArgument(mask, a);
        Tensor dq = q.device().empty(DType.F32, q.shape().dims());
        Tensor dk = k.device().empty(DType.F32, k.shape().dims());
        Tensor dv = v.device().empty(DType.F32, v.shape().dims());
        try (Tensor delta = q.device().empty(DType.F32, a.n(), a.heads(), a.tq())) {
            backend.launch2d("attention_backward_dq", a.queryBlocks(), a.n() * a.heads(), AttentionLaunch.TILE, new Launch()
                    .i64(address(q)).i64(address(k)).i64(address(v)).bytes(m).i64(address(forward.out()))
                    .i64(address(gradOut)).i64(address(forward.logSumExp())).i64(address(delta)).i64(address(dq))
                    .i32(a.heads()).i32(a.tq()).i32(a.tk()).i32(a.d()).f32((float) scale).i32(causal ? 1 : 0));
            backend.launch2d("attention_backward_dkv", a.keyBlocks(), a.n() * a.heads(), AttentionLaunch.TILE, new Launch()
                    .i64(address(q)).i64(address(k)).i64(address(v)).bytes(m).i64(address(gradOut))
                    .i64(address(forward.logSumExp())).i64(address(delta)).i64(address(dk)).i64(address(dv))
                    .i32(a.heads()).i32(a.tq()).i32(a.tk()).i32(a.d()).f32((float) scale).i32(causal ? 1 : 0));
        }
        return new AttentionGrads(dq.markWritten(), dk.markWritten(), dv.markWritten());
    }

    /** The AttMask struct: data pointer (0 for none), then its strides (n, h, i, j) broadcast to [N, H, Tq, Tk]. */
    private byte[] maskArgument(Tensor mask, AttentionLaunch a) {
        if (mask == null) return AttentionLaunch.packMask(0, new long[4]);
        long[] strides = mask.view().broadcastTo(new int[] {a.n(), a.heads(), a.tq(), a.tk()}).strides();
        return AttentionLaunch.packMask(address(mask), strides);
    }

    // ---- pooling (own kernels) ----

    private Tensor poolForward(String kernel, Tensor x, Pool2dParams p) {
        PoolGeometry g = PoolGeometry.of(x.shape().dims(), p);
        Tensor y = x.device().empty(DType.F32, g.outputShape(x.shape().dims()));
        long n = g.planes() * g.oh() * g.ow();
        if (!g.empty()) {
            backend.launch(kernel, Launch.blocksFor(n, Launch.THREADS), Launch.THREADS,
                    new Launch().i64(address(x)).i64(address(y)).i64(g.planes()).bytes(g.pack()));
        }
        return y.markWritten();
    }

    @Override
    public Tensor maxPool2d(Tensor x, Pool2dParams p) { return poolForward("max_pool_forward", x, p); }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) { return poolForward("avg_pool_forward", x, p); }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        PoolGeometry g = PoolGeometry.of(x.shape().dims(), p);
        Tensor gx = x.device().empty(DType.F32, x.shape().dims());
        if (x.numel() > 0) {
            backend.launch("max_pool_backward", Launch.blocksFor(x.numel(), Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(gradOut)).i64(address(x)).i64(address(gx)).i64(g.planes()).bytes(g.pack()));
        }
        return gx.markWritten();
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        PoolGeometry g = PoolGeometry.of(inputShape.dims(), p);
        Tensor gx = gradOut.device().empty(DType.F32, inputShape.dims());
        if (inputShape.numel() > 0) {
            backend.launch("avg_pool_backward", Launch.blocksFor(inputShape.numel(), Launch.THREADS), Launch.THREADS,
                    new Launch().i64(address(gradOut)).i64(address(gx)).i64(g.planes()).bytes(g.pack()));
        }
        return gx.markWritten();
    }

    @Override
    public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        int[] dims = x.shape().dims();
        int r = dims.length, h = dims[r - 2], w = dims[r - 1];
        int[] od = dims.clone();
        od[r - 2] = outH;
        od[r - 1] = outW;
        Tensor y = x.device().empty(DType.F32, od);
        long planes = h * (long) w == 0 ? 0 : x.numel() / ((long) h * w);
        long n = planes * outH * outW;
        if (n > 0 && h > 0 && w > 0) {
            backend.launch("adaptive_avg_pool_forward", Launch.blocksFor(n, Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(x)).i64(address(y)).i64(planes).i32(h).i32(w).i32(outH).i32(outW));
        }
        return y.markWritten();
    }

    @Override
    public Tensor adaptiveAvgPool2dBackward(Tensor gradOut, Shape inputShape) {
        int[] dims = inputShape.dims();
        int r = dims.length, h = dims[r - 2], w = dims[r - 1], oh = gradOut.dim(r - 2), ow = gradOut.dim(r - 1);
        Tensor gx = gradOut.device().empty(DType.F32, dims);
        long planes = h * (long) w == 0 ? 0 : inputShape.numel() / ((long) h * w);
        if (inputShape.numel() > 0 && oh > 0 && ow > 0) {
            backend.launch("adaptive_avg_pool_backward", Launch.blocksFor(inputShape.numel(), Launch.THREADS), Launch.THREADS,
                    new Launch().i64(address(gradOut)).i64(address(gx)).i64(planes).i32(h).i32(w).i32(oh).i32(ow));
        }
        return gx.markWritten();
    }

    // ---- layer norm and dropout (own kernels) ----

    private long addressOrNull(Tensor t) { return t == null ? 0 : address(t); }

    @Override
    public NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        int[] statDims = x.shape().dims();
        long cols = 1;
        for (int d = x.rank() - normalizedDims; d < x.rank(); d++) {
            cols *= statDims[d];
            statDims[d] = 1;
        }
        long rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor y = x.device().empty(DType.F32, x.shape().dims());
        Tensor mean = x.device().empty(DType.F32, statDims), rstd = x.device().empty(DType.F32, statDims);
        if (rows > 0) {
            backend.launch("layer_norm_forward", rows(rows), Launch.THREADS, new Launch().i64(address(x))
                    .i64(addressOrNull(weight)).i64(addressOrNull(bias)).i64(address(y)).i64(address(mean))
                    .i64(address(rstd)).i64(rows).i64(cols).f32((float) eps));
        }
        return new NormResult(y.markWritten(), mean.markWritten(), rstd.markWritten());
    }

    @Override
    public NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias,
                                       int normalizedDims) {
        long cols = 1;
        for (int d = x.rank() - normalizedDims; d < x.rank(); d++) cols *= x.dim(d);
        long rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor dx = x.device().empty(DType.F32, x.shape().dims());
        Tensor dw = weight == null ? null : x.device().empty(DType.F32, weight.shape().dims());
        Tensor db = bias == null ? null : x.device().empty(DType.F32, bias.shape().dims());
        if (rows > 0) {
            backend.launch("layer_norm_backward_input", rows(rows), Launch.THREADS, new Launch().i64(address(gradOut))
                    .i64(address(x)).i64(address(forward.mean())).i64(address(forward.rstd())).i64(addressOrNull(weight))
                    .i64(address(dx)).i64(rows).i64(cols));
        }
        if ((dw != null || db != null) && cols > 0) {
            backend.launch("layer_norm_backward_params", Launch.blocksFor(cols, Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(gradOut)).i64(address(x)).i64(address(forward.mean())).i64(address(forward.rstd()))
                    .i64(addressOrNull(dw)).i64(addressOrNull(db)).i64(rows).i64(cols));
        }
        if (dw != null) dw.markWritten();
        if (db != null) db.markWritten();
        return new NormGrads(dx.markWritten(), dw, db);
    }

    /** [N, C, S] of x [N, C, ...]. */
    private static long[] channelSplit(Tensor x) {
        long spatial = 1;
        for (int d = 2; d < x.rank(); d++) spatial *= x.dim(d);
        return new long[] {x.dim(0), x.dim(1), spatial};
    }

    @Override
    public NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                        double momentum, double eps) {
        long[] s = channelSplit(x);
        int channels = (int) s[1];
        Tensor y = x.device().empty(DType.F32, x.shape().dims());
        Tensor mean = x.device().empty(DType.F32, channels), rstd = x.device().empty(DType.F32, channels);
        if (x.numel() > 0) {
            backend.launch("batch_norm_training", rows(channels), Launch.THREADS, new Launch().i64(address(x))
                    .i64(addressOrNull(weight)).i64(addressOrNull(bias)).i64(addressOrNull(runningMean))
                    .i64(addressOrNull(runningVar)).i64(address(y)).i64(address(mean)).i64(address(rstd)).i64(s[0])
                    .i32(channels).i64(s[2]).f32((float) momentum).f32((float) eps));
        }
        if (runningMean != null) runningMean.markWritten();
        if (runningVar != null) runningVar.markWritten();
        return new NormResult(y.markWritten(), mean.markWritten(), rstd.markWritten());
    }

    @Override
    public Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        long[] s = channelSplit(x);
        Tensor y = x.device().empty(DType.F32, x.shape().dims());
        if (x.numel() > 0) {
            backend.launch("batch_norm_inference", Launch.blocksFor(x.numel(), Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(x)).i64(addressOrNull(weight)).i64(addressOrNull(bias)).i64(address(runningMean))
                    .i64(address(runningVar)).i64(address(y)).i64(x.numel()).i32((int) s[1]).i64(s[2]).f32((float) eps));
        }
        return y.markWritten();
    }

    @Override
    public NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        long[] s = channelSplit(x);
        int channels = (int) s[1];
        Tensor dx = x.device().empty(DType.F32, x.shape().dims());
        Tensor dw = weight == null ? null : x.device().empty(DType.F32, channels);
        Tensor db = bias == null ? null : x.device().empty(DType.F32, channels);
        if (x.numel() > 0) {
            backend.launch("batch_norm_backward", rows(channels), Launch.THREADS, new Launch().i64(address(gradOut))
                    .i64(address(x)).i64(address(forward.mean())).i64(address(forward.rstd())).i64(addressOrNull(weight))
                    .i64(address(dx)).i64(addressOrNull(dw)).i64(addressOrNull(db)).i64(s[0]).i32(channels).i64(s[2]));
        }
        if (dw != null) dw.markWritten();
        if (db != null) db.markWritten();
        return new NormGrads(dx.markWritten(), dw, db);
    }

    @Override
    public Tensor lrn(Tensor x, LrnParams p) {
        long[] s = channelSplit(x);
        Tensor y = x.device().empty(DType.F32, x.shape().dims());
        if (x.numel() > 0) {
            backend.launch("lrn_forward", Launch.blocksFor(x.numel(), Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(x)).i64(address(y)).i64(x.numel()).i32((int) s[1]).i64(s[2]).i32(p.size())
                    .f32((float) p.alpha()).f32((float) p.beta()).f32((float) p.k()));
        }
        return y.markWritten();
    }

    @Override
    public Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) {
        long[] s = channelSplit(x);
        Tensor gx = x.device().empty(DType.F32, x.shape().dims());
        if (x.numel() > 0) {
            backend.launch("lrn_backward", Launch.blocksFor(x.numel(), Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(address(gradOut)).i64(address(x)).i64(address(out)).i64(address(gx)).i64(x.numel())
                    .i32((int) s[1]).i64(s[2]).i32(p.size()).f32((float) p.alpha()).f32((float) p.beta()).f32((float) p.k()));
        }
        return gx.markWritten();
    }

    @Override
    public DropoutResult dropout(Tensor x, double p, long seed, long offset) {
        Tensor out = x.device().empty(DType.F32, x.shape().dims()), mask = x.device().empty(DType.F32, x.shape().dims());
        long n = x.numel();
        if (n > 0) {
            long threshold = (long) Math.ceil(p * 0x1p24);
            float scale = (float) (1 / (1 - p));
            backend.launch("dropout_forward", Launch.blocksFor((n + 3) / 4, Launch.THREADS), Launch.THREADS, new Launch()
                    .i64(seed).i64(offset).i64(address(x)).i64(address(out)).i64(address(mask)).i64(n).i64(threshold).f32(scale));
        }
        return new DropoutResult(out.markWritten(), mask.markWritten());
    }

    // ---- softmax ----

    /** [outer, n, inner] around {@code axis}. */
    private static long[] split(Tensor x, int axis) {
        int a = x.shape().normalizeAxis(axis);
        long outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= x.dim(d);
        for (int d = a + 1; d < x.rank(); d++) inner *= x.dim(d);
        return new long[] {outer, x.dim(a), inner};
    }

    private Tensor softmaxForward(Tensor x, int axis, boolean log) {
        Tensor y = x.device().empty(DType.F32, x.shape().dims());
        long[] s = split(x, axis);
        long rows = s[0] * s[2];
        if (x.numel() > 0) {
            backend.launch("softmax_forward", rows(rows), Launch.THREADS, new Launch().i64(address(x)).i64(address(y))
                    .i64(rows).i32((int) s[1]).i64(s[2]).i32(log ? 1 : 0));
        }
        return y.markWritten();
    }

    private Tensor softmaxBackwardKernel(Tensor gradOut, Tensor out, int axis, boolean log) {
        Tensor gx = out.device().empty(DType.F32, out.shape().dims());
        long[] s = split(out, axis);
        long rows = s[0] * s[2];
        if (out.numel() > 0) {
            backend.launch("softmax_backward", rows(rows), Launch.THREADS, new Launch().i64(address(gradOut))
                    .i64(address(out)).i64(address(gx)).i64(rows).i32((int) s[1]).i64(s[2]).i32(log ? 1 : 0));
        }
        return gx.markWritten();
    }

    @Override
    public Tensor softmax(Tensor x, int axis) { return softmaxForward(x, axis, false); }

    @Override
    public Tensor logSoftmax(Tensor x, int axis) { return softmaxForward(x, axis, true); }

    @Override
    public Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) { return softmaxBackwardKernel(gradOut, out, axis, false); }

    @Override
    public Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) { return softmaxBackwardKernel(gradOut, out, axis, true); }

    // ---- cross-entropy ----

    @Override
    public Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        int n = logits.dim(0), c = logits.dim(1);
        Tensor loss = logits.device().empty(DType.F32, n);
        try (Tensor valid = logits.device().empty(DType.F32, n)) {
            if (n > 0) {
                backend.launch("cross_entropy_forward", rows(n), Launch.THREADS, new Launch().i64(address(logits))
                        .i64(address(target)).i64(address(loss)).i64(address(valid)).i64(n).i32(c).i64(ignoreIndex)
                        .f32((float) labelSmoothing));
            }
            loss.markWritten();
            valid.markWritten();
            if (reduction == Reduction.NONE) return loss;
            try (loss; Tensor total = loss.sum(0)) {
                if (reduction == Reduction.SUM) return total.copy();
                try (Tensor count = valid.sum(0)) {
                    return total.div(count);   // all samples ignored: 0 / 0 = NaN, as PyTorch gives
                }
            }
        }
    }

    @Override
    public Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                       Reduction reduction) {
        int n = logits.dim(0), c = logits.dim(1);
        Tensor grad = logits.device().empty(DType.F32, n, c);
        Tensor count = null;
        try {
            if (reduction == Reduction.MEAN) {
                try (Tensor counted = target.ne(ignoreIndex)) {
                    count = counted.sum(0);
                }
            }
            if (n > 0) {
                backend.launch("cross_entropy_backward", rows(n), Launch.THREADS, new Launch().i64(address(logits))
                        .i64(address(target)).i64(address(gradLoss)).i64(reduction == Reduction.NONE ? 1 : 0)
                        .i64(count == null ? 0 : address(count)).i64(address(grad)).i64(n).i32(c).i64(ignoreIndex)
                        .f32((float) labelSmoothing));
            }
            return grad.markWritten();
        } finally {
            if (count != null) count.close();
        }
    }

    // ---- optimizers ----

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        long n = param.numel();
        if (n == 0) return;
        boolean momentum = p.momentum() != 0;
        backend.launch("sgd_step", Launch.blocksFor(n, Launch.THREADS), Launch.THREADS, new Launch().i64(address(param))
                .i64(address(grad)).i64(momentum ? address(momentumBuffer) : 0).i64(n).f32((float) p.lr())
                .f32((float) p.momentum()).f32((float) (1 - p.dampening())).f32((float) p.weightDecay()).i32(p.nesterov() ? 1 : 0)
                .i32(step <= 1 ? 1 : 0));
        if (momentum) momentumBuffer.markWritten();
    }

    @Override
    public void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        long n = param.numel();
        if (n == 0) return;
        double stepSize = p.lr() / (1 - Math.pow(p.beta1(), step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(p.beta2(), step));
        backend.launch("adam_step", Launch.blocksFor(n, Launch.THREADS), Launch.THREADS, new Launch().i64(address(param))
                .i64(address(grad)).i64(address(m)).i64(address(v)).i64(n).f32((float) (1 - p.beta1()))
                .f32((float) p.beta2()).f32((float) (1 - p.beta2())).f32((float) p.eps()).f32((float) p.weightDecay())
                .i32(p.decoupled() ? 1 : 0).f32((float) (1 - p.lr() * p.weightDecay())).f32((float) stepSize)
                .f32((float) bc2Sqrt));
        m.markWritten();
        v.markWritten();
    }
}
