package dev.kiln.optim;

import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import java.util.List;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient in place by {@code maxNorm / (total + 1e-6)} when that is below 1, where
     * {@code total} is the L2 norm of all gradients together; returns {@code total} (NaN or infinity
     * when a gradient is not finite, which the caller should check). Parameters without a gradient are skipped.
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        try (var g = Autograd.noGrad()) {
            double sumSquares = 0;
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad == null) continue;
                try (Tensor sq = grad.square(); Tensor s = sq.sum()) {
                    sumSquares += s.item();
                }
            }
            double total = Math.sqrt(sumSquares);
            double coef = maxNorm / (total + 1e-6);
            if (coef < 1) {
                for (Tensor p : params) {
                    Tensor grad = p.grad();
                    if (grad == null) continue;
                    try (Tensor scaled = grad.mul(coef)) {
                        grad.assign(scaled);
                    }
                }
            }
            return total;
        }
    }
}
