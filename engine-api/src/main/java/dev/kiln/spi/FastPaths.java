package dev.kiln.spi;

import dev.kiln.AdamParams;
import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Conv2dParams;
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
import dev.kiln.composite.AttentionComposite;
import dev.kiln.composite.ConvComposite;
import dev.kiln.composite.LossComposite;
import dev.kiln.composite.NormComposite;
import dev.kiln.composite.OptimizerComposite;
import dev.kiln.composite.PoolComposite;
import dev.kiln.composite.RnnComposite;
import dev.kiln.composite.SoftmaxComposite;
import java.util.List;

/**
 * The operations a backend may do faster than their composition from primitives. Every method has
 * a default built from {@link Backend}'s primitives only (through the primitive-backed operations of
 * {@link Tensor}), so a plugin that implements the primitives runs everything; a backend overrides
 * the ones its libraries do better (cuDNN convolution, a fused attention kernel, ...).
 *
 * <p>Arguments arrive validated by {@link dev.kiln.Functional}: shapes fit, dtypes are F32 (targets
 * I64), all tensors live on this backend. Results are new tensors owned by the caller, except where
 * a method says it updates an argument in place. Layouts follow PyTorch (NCHW images, [T, N, C]
 * sequences, [N, H, T, D] attention heads).
 */
public interface FastPaths {
    /** Every operation composed from primitives. */
    FastPaths COMPOSITE = new FastPaths() {};

    /** {@code x @ w^T + bias} for x [..., in], w [out, in], bias [out] or null. */
    default Tensor linear(Tensor x, Tensor w, Tensor bias) { return ConvComposite.linear(x, w, bias); }

    /** x [N, C, H, W], w [OC, C / groups, KH, KW], bias [OC] or null: out [N, OC, OH, OW]. */
    default Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) { return ConvComposite.forward(x, w, bias, p); }

    /** The gradient with respect to the input of {@link #conv2d}. */
    default Tensor conv2dBackwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        return ConvComposite.backwardData(gradOut, w, inputShape, p);
    }

    /** The gradient with respect to the weight of {@link #conv2d} (the bias gradient is {@code gradOut.sum(0, 2, 3)}). */
    default Tensor conv2dBackwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        return ConvComposite.backwardFilter(gradOut, x, weightShape, p);
    }

    default Tensor maxPool2d(Tensor x, Pool2dParams p) { return PoolComposite.maxForward(x, p); }

    /** Routes each output gradient to the first maximum of its window (PyTorch's choice). */
    default Tensor maxPool2dBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        return PoolComposite.maxBackward(gradOut, x, out, p);
    }

    default Tensor avgPool2d(Tensor x, Pool2dParams p) { return PoolComposite.avgForward(x, p); }

    default Tensor avgPool2dBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        return PoolComposite.avgBackward(gradOut, inputShape, p);
    }

    /** {@code torch.nn.AdaptiveAvgPool2d}: window i spans [floor(i*H/outH), ceil((i+1)*H/outH)). */
    default Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) { return PoolComposite.adaptiveAvgForward(x, outH, outW); }

    default Tensor adaptiveAvgPool2dBackward(Tensor gradOut, Shape inputShape) {
        return PoolComposite.adaptiveAvgBackward(gradOut, inputShape);
    }

    default Tensor softmax(Tensor x, int axis) { return SoftmaxComposite.softmax(x, axis); }

    default Tensor logSoftmax(Tensor x, int axis) { return SoftmaxComposite.logSoftmax(x, axis); }

    /** Given the forward output {@code out = softmax(x)}. */
    default Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) { return SoftmaxComposite.softmaxBackward(gradOut, out, axis); }

    /** Given the forward output {@code out = logSoftmax(x)}. */
    default Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) { return SoftmaxComposite.logSoftmaxBackward(gradOut, out, axis); }

    /** Normalizes over the last {@code normalizedDims} axes; weight and bias (that trailing shape) may be null. */
    default NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        return NormComposite.layerNorm(x, normalizedDims, weight, bias, eps);
    }

    /** Bias is passed only to say whether it exists; its gradient is returned when it does. */
    default NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias, int normalizedDims) {
        return NormComposite.layerNormBackward(gradOut, x, forward, weight, bias, normalizedDims);
    }

    /**
     * Batch statistics over N, H, W of x [N, C, ...]; running mean and variance (unbiased), when given,
     * are updated in place: {@code r = (1 - momentum) * r + momentum * batch}.
     */
    default NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                         double momentum, double eps) {
        return NormComposite.batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
    }

    default Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        return NormComposite.batchNormInference(x, weight, bias, runningMean, runningVar, eps);
    }

    default NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        return NormComposite.batchNormBackward(gradOut, x, forward, weight, bias);
    }

    default Tensor lrn(Tensor x, LrnParams p) { return NormComposite.lrn(x, p); }

    default Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) { return NormComposite.lrnBackward(gradOut, x, out, p); }

    /** Zeroes each element with probability p using Philox UNIFORM at (seed, offset): element i is kept when its uniform >= p. */
    default DropoutResult dropout(Tensor x, double p, long seed, long offset) { return NormComposite.dropout(x, p, seed, offset); }

    default RnnResult rnn(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        return RnnComposite.forward(p, x, h0, c0, weights, training);
    }

    /** gradHN and gradCN may be null (no gradient flows into the final states). */
    default RnnGrads rnnBackward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward,
                                 Tensor gradOutput, Tensor gradHN, Tensor gradCN) {
        return RnnComposite.backward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
    }

    /**
     * Scaled dot-product attention: q [N, H, Tq, D], k and v [N, H, Tk, D]; {@code mask} null or an
     * additive F32 mask broadcastable to [N, H, Tq, Tk] (0 keeps, -inf drops); {@code causal} drops
     * key j > query i. A row with every key dropped gives zeros.
     */
    default AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        return AttentionComposite.forward(q, k, v, mask, causal, scale);
    }

    default AttentionGrads attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal,
                                             double scale, AttentionResult forward) {
        return AttentionComposite.backward(gradOut, q, k, v, mask, causal, scale, forward);
    }

    /** logits [N, C], target I64 [N]: as {@code torch.nn.functional.cross_entropy}. */
    default Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        return LossComposite.crossEntropy(logits, target, ignoreIndex, labelSmoothing, reduction);
    }

    /** gradLoss has the loss's shape (a scalar, or [N] for Reduction.NONE). */
    default Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                       Reduction reduction) {
        return LossComposite.crossEntropyBackward(gradLoss, logits, target, ignoreIndex, labelSmoothing, reduction);
    }

    /** One {@code torch.optim.SGD} step, in place on param and momentumBuffer (null without momentum). */
    default void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        OptimizerComposite.sgd(param, grad, momentumBuffer, step, p);
    }

    /** One Adam/AdamW step (step counts from 1), in place on param, m and v. */
    default void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        OptimizerComposite.adam(param, grad, m, v, step, p);
    }
}
