package dev.kiln.composite;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Reduction;
import dev.kiln.Scope;
import dev.kiln.Tensor;

/**
 * Cross-entropy over logits [N, C] and I64 class targets [N], as
 * {@code torch.nn.functional.cross_entropy} (no class weights): with smoothing e, the loss of a row
 * is {@code (1 - e) * -logp[t] + e / C * sum_c -logp[c]}; rows whose target is {@code ignoreIndex}
 * contribute 0. MEAN divides by the number of rows not ignored, so a batch with every target ignored
 * gives NaN (0 / 0), as PyTorch does; its gradient is zero everywhere, also as PyTorch.
 */
public final class LossComposite {
    private LossComposite() {}

    public static Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        int classes = logits.dim(1);
        try (Scope s = Kiln.scope()) {
            Tensor valid = target.ne(ignoreIndex);
            Tensor logp = SoftmaxComposite.logSoftmax(logits, 1);
            Tensor picked = logp.gather(1, safeTarget(target, valid).unsqueeze(1)).reshape(target.dim(0));
            Tensor perRow = picked.mul(-(1 - labelSmoothing));
            if (labelSmoothing != 0) perRow = perRow.sub(logp.sum(1).mul(labelSmoothing / classes));
            // where, not a product: an ignored row may hold inf or NaN (e.g. -inf logits) and must still give 0
            Tensor loss = Tensor.where(valid, perRow, zero(logits));
            Tensor result = switch (reduction) {
                case NONE -> loss;
                case SUM -> loss.sum();
                case MEAN -> loss.sum().div(valid.sum());
            };
            return s.keep(result);
        }
    }

    /** Row i's gradient is {@code w_i * (softmax(z_i) - (1 - e) * onehot(t_i) - e / C)}, zero for ignored rows. */
    public static Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                              Reduction reduction) {
        int n = logits.dim(0), classes = logits.dim(1);
        try (Scope s = Kiln.scope()) {
            Tensor valid = target.ne(ignoreIndex);
            Tensor wanted = safeTarget(target, valid).oneHot(classes).mul(1 - labelSmoothing).add(labelSmoothing / classes);
            Tensor diff = SoftmaxComposite.softmax(logits, 1).sub(wanted);
            Tensor rowWeight = switch (reduction) {
                case NONE -> gradLoss.reshape(n, 1);
                case SUM -> gradLoss.reshape(1, 1);
                case MEAN -> gradLoss.reshape(1, 1).div(valid.sum());
            };
            return s.keep(Tensor.where(valid.reshape(n, 1), diff.mul(rowWeight), zero(logits)));
        }
    }

    /** Targets with ignored entries replaced by class 0, so the gather stays in range. */
    private static Tensor safeTarget(Tensor target, Tensor valid) {
        try (Tensor zero = target.device().zeros(DType.I64)) {
            return Tensor.where(valid, target, zero);
        }
    }

    private static Tensor zero(Tensor like) { return like.device().zeros(like.dtype()); }
}
