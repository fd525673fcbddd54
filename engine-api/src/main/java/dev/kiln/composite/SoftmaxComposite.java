package dev.kiln.composite;

import dev.kiln.Kiln;
import dev.kiln.Scope;
import dev.kiln.Tensor;

/**
 * Softmax and log-softmax along one axis, and their backward passes, from primitives. The forward
 * passes subtract the row maximum first, so large logits (1e4) do not overflow and -inf entries give
 * 0 (softmax) or -inf (log-softmax); a row of only -inf gives NaN, as PyTorch does.
 */
public final class SoftmaxComposite {
    private SoftmaxComposite() {}

    public static Tensor softmax(Tensor x, int axis) {
        if (x.numel() == 0) return x.copy();
        int[] ax = {axis};
        try (Scope s = Kiln.scope()) {
            Tensor e = x.sub(x.max(ax, true)).exp();
            return s.keep(e.div(e.sum(ax, true)));
        }
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        if (x.numel() == 0) return x.copy();
        int[] ax = {axis};
        try (Scope s = Kiln.scope()) {
            Tensor shifted = x.sub(x.max(ax, true));
            Tensor logSum = shifted.exp().sum(ax, true).log();
            return s.keep(shifted.sub(logSum));
        }
    }

    /** dx = y * (g - sum(g * y)) with y = softmax(x). */
    public static Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) {
        if (out.numel() == 0) return gradOut.copy();
        try (Scope s = Kiln.scope()) {
            Tensor dot = gradOut.mul(out).sum(new int[] {axis}, true);
            return s.keep(out.mul(gradOut.sub(dot)));
        }
    }

    /** dx = g - exp(y) * sum(g) with y = logSoftmax(x). */
    public static Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) {
        if (out.numel() == 0) return gradOut.copy();
        try (Scope s = Kiln.scope()) {
            Tensor total = gradOut.sum(new int[] {axis}, true);
            return s.keep(gradOut.sub(out.exp().mul(total)));
        }
    }
}
