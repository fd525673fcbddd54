package dev.kiln.composite;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.spi.View;

/**
 * Scaled dot-product attention composed from primitives:
 * {@code S = scale * q k^T + mask}, keys j > i dropped when causal (top-left aligned, as PyTorch's
 * {@code is_causal}, also when Tq != Tk), {@code P = softmax(S)} along keys, {@code out = P v}.
 * The softmax subtracts each row's maximum, so large logits stay finite.
 *
 * <p>{@code logSumExp} is {@code log(sum_j exp(S_ij))} per row; a row whose every key is dropped
 * (all -inf) has output 0 and log-sum-exp <b>+inf</b>, so that the backward's
 * {@code P = exp(S - lse) = exp(-inf - inf)} is 0 there and its gradients are 0, not NaN.
 */
public final class AttentionComposite {
    private AttentionComposite() {}

    public static AttentionResult forward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        Device dev = q.device();
        if (k.dim(2) == 0) {  // no keys at all: every row is fully dropped
            return new AttentionResult(dev.zeros(q.shape().dims()), dev.full(Double.POSITIVE_INFINITY, q.dim(0), q.dim(1), q.dim(2)));
        }
        try (Scope scope = Kiln.scope()) {
            Tensor s = scores(q, k, mask, causal, scale);
            Tensor rowMax = s.max(new int[] {-1}, true);
            // a fully dropped row has max -inf: shift it by 0 instead, so exp gives 0, not NaN
            Tensor live = rowMax.gt(Double.NEGATIVE_INFINITY);
            Tensor shift = Tensor.where(live, rowMax, dev.scalar(0));
            Tensor e = s.sub(shift).exp();
            Tensor sum = e.sum(new int[] {-1}, true);
            // live rows sum to >= 1 (their maximum contributes exp(0)); dead rows sum to 0 and stay 0
            Tensor p = e.div(sum.maximum(1));
            Tensor out = batchedMatmul(p, false, v, false);
            Tensor lse = Tensor.where(live, shift.add(sum.log()), dev.scalar(Double.POSITIVE_INFINITY)).squeeze(-1);
            return new AttentionResult(scope.keep(out), scope.keep(lse));
        }
    }

    public static AttentionGrads backward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale,
                                          AttentionResult forward) {
        Device dev = q.device();
        if (k.dim(2) == 0) return new AttentionGrads(dev.zeros(q.shape().dims()), dev.zeros(k.shape().dims()), dev.zeros(v.shape().dims()));
        try (Scope scope = Kiln.scope()) {
            Tensor s = scores(q, k, mask, causal, scale);
            Tensor lse = forward.logSumExp().unsqueeze(-1);
            Tensor p = s.sub(lse).exp();
            Tensor gradV = batchedMatmul(p, true, gradOut, false);
            Tensor gradP = batchedMatmul(gradOut, false, v, true);
            Tensor rowDot = gradOut.mul(forward.out()).sum(new int[] {-1}, true);
            Tensor gradS = p.mul(gradP.sub(rowDot));
            Tensor gradQ = batchedMatmul(gradS, false, k, false).mul(scale);
            Tensor gradK = batchedMatmul(gradS, true, q, false).mul(scale);
            return new AttentionGrads(scope.keep(gradQ), scope.keep(gradK), scope.keep(gradV));
        }
    }

    /** {@code scale * q k^T + mask}, with -inf where the causal rule drops a key: [N, H, Tq, Tk]. */
    private static Tensor scores(Tensor q, Tensor k, Tensor mask, boolean causal, double scale) {
        Device dev = q.device();
        Tensor s = batchedMatmul(q, false, k, true).mul(scale);
        if (mask != null) s = s.add(mask);
        if (causal) {
            Tensor rows = dev.arange(DType.F32, 0, q.dim(2), 1).unsqueeze(-1);
            Tensor cols = dev.arange(DType.F32, 0, k.dim(2), 1);
            s = Tensor.where(cols.le(rows), s, dev.scalar(Double.NEGATIVE_INFINITY));
        }
        return s;
    }

    /**
     * {@code op(a) @ op(b)} over matching leading batch axes of two rank-4 tensors, op transposing
     * the last two axes where asked (as strides, no copy).
     */
    static Tensor batchedMatmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        int batch = a.dim(0) * a.dim(1);
        int ar = a.dim(2), ac = a.dim(3), br = b.dim(2), bc = b.dim(3);
        int m = transA ? ac : ar, kk = transA ? ar : ac, n = transB ? br : bc;
        Tensor c = a.device().empty(DType.F32, a.dim(0), a.dim(1), m, n);
        if (c.numel() > 0) {
            if (kk == 0) {
                c.fill(0);
            } else {
                View av = a.view(), bv = b.view();
                View a3 = new View(av.buffer(), DType.F32, av.offset(), new int[] {batch, m, kk},
                        transA ? new long[] {(long) ar * ac, 1, ac} : new long[] {(long) ar * ac, ac, 1});
                View b3 = new View(bv.buffer(), DType.F32, bv.offset(), new int[] {batch, kk, n},
                        transB ? new long[] {(long) br * bc, 1, bc} : new long[] {(long) br * bc, bc, 1});
                View cv = c.view();
                a.device().backend().matmul(a3, b3, View.contiguous(cv.buffer(), DType.F32, cv.offset(), batch, m, n), 1f, 0f);
            }
        }
        return c.markWritten();
    }
}
