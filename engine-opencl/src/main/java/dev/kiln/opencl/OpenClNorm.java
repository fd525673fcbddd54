package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.composite.NormComposite;

/**
 * Batch norm in training (forward and backward), local response norm's backward and adaptive average
 * pooling (norm.cl, pool.cl). Batch norm runs one work-group per channel that reduces its statistics
 * in local memory and then normalizes its own elements, so a training step costs one launch per
 * batch-norm layer each way instead of a dozen primitive launches and their temporaries. NormResult
 * holds mean and rstd as [C], as the composite's, so either side's backward reads the other's forward.
 */
final class OpenClNorm {
    private final OpenClBackend backend;

    OpenClNorm(OpenClBackend backend) { this.backend = backend; }

    /** norm.cl, built with the cooperative group size its batch-norm kernels require. */
    long normProgram() { return backend.programs().get("norm.cl", "#define KILN_WG " + backend.reduceGroup() + "\n"); }

    private KernelCall arg(KernelCall call, String op, Tensor t) {
        var v = t.view();
        return call.mem(Checks.buffer(backend, op, v.buffer())).i64(v.offset());
    }

    /** An optional tensor: a presence flag, then the tensor or a stand-in that is never read. */
    private KernelCall optional(KernelCall call, String op, Tensor t, Tensor standIn) {
        call.i32(t != null ? 1 : 0);
        return arg(call, op, t != null ? t : standIn);
    }

    /** Elements per channel of an [N, C, ...] tensor. */
    private static long inner(int[] d) {
        long inner = 1;
        for (int i = 2; i < d.length; i++) inner *= d[i];
        return inner;
    }

    NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                 double momentum, double eps) {
        int[] d = x.shape().dims();
        int channels = d[1];
        long n = d[0], inner = inner(d), count = n * inner;
        if (channels == 0 || count == 0) {
            // nothing to normalize: the composite's statistics of no values (0 / 0), with no launch
            return NormComposite.batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
        }
        Tensor y = x.device().empty(DType.F32, d);
        Tensor mean = x.device().empty(DType.F32, channels), rstd = x.device().empty(DType.F32, channels);
        // count 1 makes the unbiased variance's factor infinite, as in the composite
        KernelCall call = backend.ctx().kernel(normProgram(), "batch_norm_training").i64(n).i32(channels).i64(inner)
                .f32((float) eps).f32((float) (1 - momentum)).f32((float) momentum)
                .f32((float) (momentum * count / (count - 1.0)));
        arg(call, "batchNormTraining", x);
        optional(call, "batchNormTraining", weight, x);
        optional(call, "batchNormTraining", bias, x);
        optional(call, "batchNormTraining", runningMean, mean);
        optional(call, "batchNormTraining", runningVar, rstd);
        arg(call, "batchNormTraining", y);
        arg(call, "batchNormTraining", mean);
        arg(call, "batchNormTraining", rstd);
        int group = backend.reduceGroup();
        call.launch(new long[] {(long) channels * group}, new long[] {group});
        if (runningMean != null) runningMean.markWritten();
        if (runningVar != null) runningVar.markWritten();
        return new NormResult(y.markWritten(), mean.markWritten(), rstd.markWritten());
    }

    NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        int[] d = x.shape().dims();
        int channels = d[1];
        long n = d[0], inner = inner(d);
        if (channels == 0 || n * inner == 0) return NormComposite.batchNormBackward(gradOut, x, forward, weight, bias);
        Tensor dx = x.device().empty(DType.F32, d);
        Tensor dw = weight != null ? x.device().empty(DType.F32, channels) : null;
        Tensor db = bias != null ? x.device().empty(DType.F32, channels) : null;
        KernelCall call = backend.ctx().kernel(normProgram(), "batch_norm_backward").i64(n).i32(channels).i64(inner);
        arg(call, "batchNormBackward", gradOut);
        arg(call, "batchNormBackward", x);
        arg(call, "batchNormBackward", forward.mean());
        arg(call, "batchNormBackward", forward.rstd());
        optional(call, "batchNormBackward", weight, x);
        arg(call, "batchNormBackward", dx);
        optional(call, "batchNormBackward", dw, dx);
        optional(call, "batchNormBackward", db, dx);
        int group = backend.reduceGroup();
        call.launch(new long[] {(long) channels * group}, new long[] {group});
        return new NormGrads(dx.markWritten(), dw == null ? null : dw.markWritten(), db == null ? null : db.markWritten());
    }

    Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) {
        int[] d = x.shape().dims();
        Tensor dx = x.device().empty(DType.F32, d);
        long n = x.numel();
        if (n > 0) {
            KernelCall call = backend.ctx().kernel(normProgram(), "lrn_backward").i64(n).i32(d[1]).i64(inner(d))
                    .i32(p.size()).f32((float) p.alpha()).f32((float) p.beta()).f32((float) p.k());
            arg(call, "lrnBackward", gradOut);
            arg(call, "lrnBackward", x);
            arg(call, "lrnBackward", out);
            arg(call, "lrnBackward", dx);
            call.launch1d(n);
        }
        return dx.markWritten();
    }

    Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        int[] d = x.shape().dims();
        Tensor y = x.device().empty(DType.F32, d[0], d[1], outH, outW);
        long n = y.numel();
        if (n > 0) {
            KernelCall call = backend.ctx().kernel(backend.programs().get("pool.cl", ""), "adaptive_avg_pool_forward")
                    .i64(n).i32(d[2]).i32(d[3]).i32(outH).i32(outW);
            arg(call, "adaptiveAvgPool2d", x);
            arg(call, "adaptiveAvgPool2d", y);
            call.launch1d(n);
        }
        return y.markWritten();
    }

    Tensor adaptiveAvgPool2dBackward(Tensor gradOut, Shape inputShape) {
        int[] d = inputShape.dims();
        Tensor dx = gradOut.device().empty(DType.F32, d);
        long n = dx.numel();
        if (n > 0) {
            KernelCall call = backend.ctx().kernel(backend.programs().get("pool.cl", ""), "adaptive_avg_pool_backward")
                    .i64(n).i32(d[2]).i32(d[3]).i32(gradOut.dim(2)).i32(gradOut.dim(3));
            arg(call, "adaptiveAvgPool2dBackward", gradOut);
            arg(call, "adaptiveAvgPool2dBackward", dx);
            call.launch1d(n);
        }
        return dx.markWritten();
    }
}
