package dev.kiln.composite;

import dev.kiln.DType;
import dev.kiln.DropoutResult;
import dev.kiln.Kiln;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.Scope;
import dev.kiln.Tensor;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BinaryOp;
import dev.kiln.spi.Distribution;
import dev.kiln.spi.View;
import java.util.Arrays;

/**
 * Layer norm, batch norm, local response norm and dropout, from primitives.
 *
 * <p>What {@link NormResult} holds: layer norm's mean and rstd keep x's rank with extent 1 on the
 * normalized axes (as PyTorch's {@code native_layer_norm}); batch norm's are [C] (as
 * {@code native_batch_norm}'s saved mean and inverse std). The backward passes only rely on the
 * element count and order, so a fast path may hand them over in another shape of the same layout.
 */
public final class NormComposite {
    private NormComposite() {}

    // ---- layer norm ----

    public static NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        int[] axes = trailingAxes(x.rank(), normalizedDims);
        try (Scope s = Kiln.scope()) {
            Tensor mean = x.mean(axes, true);
            Tensor centered = x.sub(mean);
            Tensor rstd = centered.square().mean(axes, true).add(eps).rsqrt();
            Tensor out = affine(centered.mul(rstd), weight, bias);
            return new NormResult(s.keep(out), s.keep(mean), s.keep(rstd));
        }
    }

    /**
     * With xhat = (x - mean) * rstd and g' = gradOut * weight, the input gradient is
     * {@code rstd * (g' - mean(g') - xhat * mean(g' * xhat))}, means over the normalized axes.
     */
    public static NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias,
                                              int normalizedDims) {
        int[] axes = trailingAxes(x.rank(), normalizedDims);
        int[] leading = new int[x.rank() - normalizedDims];
        Arrays.setAll(leading, i -> i);
        int[] statDims = x.shape().dims();
        for (int a : axes) statDims[a] = 1;
        try (Scope s = Kiln.scope()) {
            Tensor mean = forward.mean().reshape(statDims);
            Tensor rstd = forward.rstd().reshape(statDims);
            Tensor xhat = x.sub(mean).mul(rstd);
            Tensor g = weight == null ? gradOut : gradOut.mul(weight);
            Tensor dx = g.sub(g.mean(axes, true)).sub(xhat.mul(g.mul(xhat).mean(axes, true))).mul(rstd);
            Tensor dw = weight == null ? null : s.keep(sumOver(gradOut.mul(xhat), leading));
            Tensor db = bias == null ? null : s.keep(sumOver(gradOut, leading));
            return new NormGrads(s.keep(dx), dw, db);
        }
    }

    // ---- batch norm ----

    /** Normalizes with the biased batch variance; the running variance takes the unbiased one, as PyTorch. */
    public static NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                               double momentum, double eps) {
        int channels = x.dim(1);
        int[] axes = allButChannel(x.rank());
        long perChannel = x.numel() / Math.max(1, channels);
        try (Scope s = Kiln.scope()) {
            Tensor mean = x.mean(axes, true);
            Tensor centered = x.sub(mean);
            Tensor var = centered.square().mean(axes, true);
            Tensor rstd = var.add(eps).rsqrt();
            Tensor out = affine(centered.mul(rstd), perChannel(weight, x.rank()), perChannel(bias, x.rank()));
            if (runningMean != null) {
                runningMean.assign(runningMean.mul(1 - momentum).add(mean.reshape(channels).mul(momentum)));
            }
            if (runningVar != null) {
                double unbias = (double) perChannel / (perChannel - 1);
                runningVar.assign(runningVar.mul(1 - momentum).add(var.reshape(channels).mul(momentum * unbias)));
            }
            return new NormResult(s.keep(out), s.keep(mean.reshape(channels)), s.keep(rstd.reshape(channels)));
        }
    }

    public static Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        int r = x.rank();
        try (Scope s = Kiln.scope()) {
            Tensor rstd = perChannel(runningVar, r).add(eps).rsqrt();
            Tensor normalized = x.sub(perChannel(runningMean, r)).mul(rstd);
            return s.keep(affine(normalized, perChannel(weight, r), perChannel(bias, r)));
        }
    }

    /** As layer norm's backward, with the statistics per channel over N and the spatial axes. */
    public static NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        int r = x.rank();
        int channels = x.dim(1);
        int[] axes = allButChannel(r);
        double count = (double) x.numel() / Math.max(1, channels);
        try (Scope s = Kiln.scope()) {
            Tensor xhat = x.sub(perChannel(forward.mean(), r)).mul(perChannel(forward.rstd(), r));
            Tensor gradSum = gradOut.sum(axes, true);
            Tensor gradDotXhat = gradOut.mul(xhat).sum(axes, true);
            Tensor scale = perChannel(forward.rstd(), r);
            if (weight != null) scale = scale.mul(perChannel(weight, r));
            Tensor dx = gradOut.sub(gradSum.mul(1 / count)).sub(xhat.mul(gradDotXhat.mul(1 / count))).mul(scale);
            Tensor dw = weight == null ? null : s.keep(gradDotXhat.reshape(channels));
            Tensor db = bias == null ? null : s.keep(gradSum.reshape(channels));
            return new NormGrads(s.keep(dx), dw, db);
        }
    }

    // ---- local response norm ----

    /** {@code out = x / D^beta}, {@code D = k + alpha / size * windowSum(x^2)}. */
    public static Tensor lrn(Tensor x, LrnParams p) {
        try (Scope s = Kiln.scope()) {
            Tensor denom = lrnDenominator(x, p);
            return s.keep(x.div(denom.pow(p.beta())));
        }
    }

    /**
     * {@code dx = g / D^beta - 2 alpha beta / size * x * windowSum^T(g * out / D)}: the second term
     * runs each channel's contribution back through the windows that contain it.
     */
    public static Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) {
        try (Scope s = Kiln.scope()) {
            Tensor denom = lrnDenominator(x, p);
            Tensor back = channelWindowSum(gradOut.mul(out).div(denom), (p.size() - 1) / 2, p.size() / 2);
            Tensor dx = gradOut.div(denom.pow(p.beta())).sub(x.mul(back).mul(2 * p.alpha() * p.beta() / p.size()));
            return s.keep(dx);
        }
    }

    private static Tensor lrnDenominator(Tensor x, LrnParams p) {
        try (Scope s = Kiln.scope()) {
            Tensor sums = channelWindowSum(x.square(), p.size() / 2, (p.size() - 1) / 2);
            return s.keep(sums.mul(p.alpha() / p.size()).add(p.k()));
        }
    }

    /**
     * {@code out[:, c] = sum of t[:, c + o]} for o in [-before, after], channels outside [0, C) being
     * zero: one strided in-place add per window offset, each over the channel range it can reach.
     */
    private static Tensor channelWindowSum(Tensor t, int before, int after) {
        Tensor acc = t.device().zeros(t.shape().dims());
        if (t.numel() == 0) return acc;
        Backend backend = t.device().backend();
        View dst = acc.view(), src = t.view();
        int channels = t.dim(1);
        for (int o = -before; o <= after; o++) {
            int lo = Math.max(0, -o), hi = Math.min(channels, channels - o);
            if (hi <= lo) continue;
            int[] dims = dst.shape().clone();
            dims[1] = hi - lo;
            View d = new View(dst.buffer(), DType.F32, dst.offset() + lo * dst.strides()[1], dims, dst.strides());
            View a = new View(src.buffer(), DType.F32, src.offset() + (lo + o) * src.strides()[1], dims, src.strides());
            backend.binary(BinaryOp.ADD, d, a, d);
        }
        return acc.markWritten();
    }

    // ---- dropout ----

    /**
     * Keeps element i when Philox UNIFORM(seed, offset, i) >= p. The uniforms are multiples of 2^-24,
     * so comparing with p rounded up to that grid (exact in F32) is exactly the rule in double.
     */
    public static DropoutResult dropout(Tensor x, double p, long seed, long offset) {
        if (p == 0) return new DropoutResult(x.copy(), x.device().ones(x.shape().dims()));
        double threshold = Math.ceil(p * 0x1p24) * 0x1p-24;
        try (Scope s = Kiln.scope()) {
            Tensor uniform = x.device().empty(DType.F32, x.shape().dims());
            if (uniform.numel() > 0) x.device().backend().random(Distribution.UNIFORM, seed, offset, uniform.view());
            uniform.markWritten();
            Tensor mask = uniform.ge(threshold).mul(1 / (1 - p));
            return new DropoutResult(s.keep(x.mul(mask)), s.keep(mask));
        }
    }

    // ---- helpers ----

    private static Tensor affine(Tensor normalized, Tensor weight, Tensor bias) {
        Tensor out = weight == null ? normalized : normalized.mul(weight);
        return bias == null ? out : out.add(bias);
    }

    /** A [C] tensor as [1, C, 1, ...] of the given rank, to broadcast over x [N, C, ...]; null stays null. */
    private static Tensor perChannel(Tensor t, int rank) {
        if (t == null) return null;
        int[] dims = new int[rank];
        Arrays.fill(dims, 1);
        dims[1] = (int) t.numel();
        return t.reshape(dims);
    }

    private static int[] trailingAxes(int rank, int count) {
        int[] axes = new int[count];
        Arrays.setAll(axes, i -> rank - count + i);
        return axes;
    }

    private static int[] allButChannel(int rank) {
        int[] axes = new int[rank - 1];
        axes[0] = 0;
        for (int i = 2; i < rank; i++) axes[i - 1] = i;
        return axes;
    }

    /** Sum over {@code axes}, or a copy when there are none ({@code sum()} with no axes would reduce all). */
    private static Tensor sumOver(Tensor t, int[] axes) {
        return axes.length == 0 ? t.copy() : t.sum(axes, false);
    }
}
