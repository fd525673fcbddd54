package dev.kiln;

import dev.kiln.autograd.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * The backward rules of {@link Functional}'s operations: each runs the backend's own backward fast
 * path (cuDNN, hand-written kernels, or the composite default) through {@link Functional}'s
 * backward entry points.
 */
final class FunctionalRules {
    private FunctionalRules() {}

    private static Tensor[] grads(Tensor... g) { return g; }

    static Node linear(Tensor x, Tensor w, Tensor b) {
        int in = w.dim(1), out = w.dim(0);
        Shape xs = x.shape();
        return Graph.node("linear", (g, s, n) -> {
            Tensor gx = n[0] ? g.matmul(s[1]).reshape(xs.dims()) : null;
            Tensor gw = null, gb = null;
            if (n[1] || n[2]) {
                try (Tensor g2 = g.reshape(-1, out)) {
                    if (n[1]) {
                        try (Tensor x2 = s[0].reshape(-1, in); Tensor gt = g2.transpose(0, 1)) {
                            gw = gt.matmul(x2);
                        }
                    }
                    if (n[2]) gb = g2.sum(0);
                }
            }
            return grads(gx, gw, gb);
        }, x, w);
    }

    static Node conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        Shape xs = x.shape(), ws = w.shape();
        return Graph.node("conv2d", (g, s, n) -> grads(
                n[0] ? Functional.conv2dBackwardData(g, s[1], xs, p) : null,
                n[1] ? Functional.conv2dBackwardFilter(g, s[0], ws, p) : null,
                n[2] ? g.sum(0, 2, 3) : null), x, w);
    }

    static Node maxPool2d(Tensor x, Tensor out, Pool2dParams p) {
        return Graph.node("maxPool2d", (g, s, n) -> grads(Functional.maxPool2dBackward(g, s[0], s[1], p)), x, out);
    }

    static Node avgPool2d(Shape in, Pool2dParams p) {
        return Graph.node("avgPool2d", (g, s, n) -> grads(Functional.avgPool2dBackward(g, in, p)));
    }

    static Node adaptiveAvgPool2d(Shape in) {
        return Graph.node("adaptiveAvgPool2d", (g, s, n) -> grads(Functional.adaptiveAvgPool2dBackward(g, in)));
    }

    static Node softmax(Tensor out, int axis, boolean log) {
        return Graph.node(log ? "logSoftmax" : "softmax", (g, s, n) -> grads(log
                ? Functional.logSoftmaxBackward(g, s[0], axis)
                : Functional.softmaxBackward(g, s[0], axis)), out);
    }

    static Node layerNorm(Tensor x, NormResult r, Tensor weight, Tensor bias, int normalizedDims) {
        return Graph.node("layerNorm", (g, s, n) -> {
            NormGrads ng = Functional.layerNormBackward(g, s[0], new NormResult(s[1], s[2], s[3]), s[4], s[5], normalizedDims);
            return grads(ng.input(), ng.weight(), ng.bias());
        }, x, r.out(), r.mean(), r.rstd(), weight, bias);
    }

    static Node batchNorm(Tensor x, NormResult r, Tensor weight, Tensor bias) {
        return Graph.node("batchNorm", (g, s, n) -> {
            NormGrads ng = Functional.batchNormBackward(g, s[0], new NormResult(s[1], s[2], s[3]), s[4], s[5]);
            return grads(ng.input(), ng.weight(), ng.bias());
        }, x, r.out(), r.mean(), r.rstd(), weight, bias);
    }

    /** Evaluation-mode batch norm is an affine map per channel: {@code y = (x - mean) * rstd * w + b}. */
    static Node batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        int[] perChannel = new int[x.rank()];
        java.util.Arrays.fill(perChannel, 1);
        perChannel[1] = x.dim(1);
        int[] others = new int[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) if (i != 1) others[j++] = i;
        return Graph.node("batchNorm", (g, s, n) -> {
            Tensor rstd = s[3].add(eps).rsqrt().reshape(perChannel);
            Tensor scale = s[1] == null ? rstd : rstd.mul(s[1].reshape(perChannel));
            Tensor gx = n[0] ? g.mul(scale) : null;
            Tensor gw = n[1] ? g.mul(s[0].sub(s[2].reshape(perChannel)).mul(rstd)).sum(others) : null;
            Tensor gb = n[2] ? g.sum(others) : null;
            return grads(gx, gw, gb);
        }, x, weight, runningMean, runningVar);
    }

    static Node lrn(Tensor x, Tensor out, LrnParams p) {
        return Graph.node("lrn", (g, s, n) -> grads(Functional.lrnBackward(g, s[0], s[1], p)), x, out);
    }

    static Node dropout(Tensor mask) {
        return Graph.node("dropout", (g, s, n) -> grads(Functional.dropoutBackward(g, s[0])), mask);
    }

    static Node crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        return Graph.node("crossEntropy", (g, s, n) -> grads(
                Functional.crossEntropyBackward(g, s[0], s[1], ignoreIndex, labelSmoothing, reduction)), logits, target);
    }

    static Node attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale, AttentionResult r) {
        return Graph.node("attention", (g, s, n) -> {
            AttentionGrads ag = Functional.attentionBackward(g, s[0], s[1], s[2], s[3], causal, scale, new AttentionResult(s[4], s[5]));
            return grads(ag.q(), ag.k(), ag.v());
        }, q, k, v, mask, r.out(), r.logSumExp());
    }

    /** Three outputs (output, hN, cN) and inputs x, h0, c0, then the weights. */
    static Node rnn(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult r) {
        return new Node("rnn", 3) {
            private final Tensor sx = save(x), sh0 = save(h0), sc0 = save(c0);
            private final List<Tensor> sw = weights.stream().map(this::save).toList();
            private final RnnResult forward = new RnnResult(save(r.output()), save(r.hN()), save(r.cN()), save(r.reserve()));

            @Override
            public Tensor[] apply(Tensor[] g) {
                Tensor gradOut = g[0] != null ? g[0] : sx.device().zeros(forward.output().shape().dims());
                RnnGrads rg = Functional.rnnBackward(p, sx, sh0, sc0, sw, forward, gradOut, g[1], g[2]);
                List<Tensor> out = new ArrayList<>(List.of(rg.input(), rg.h0()));
                out.add(rg.c0());
                out.addAll(rg.weights());
                return out.toArray(Tensor[]::new);
            }
        };
    }

    /** d/dx = sigmoid(x) - y, d/dy = -x. */
    static Node bceWithLogits(Tensor logits, Tensor target) {
        return Graph.node("bceWithLogits", (g, s, n) -> grads(
                n[0] ? g.mul(s[0].sigmoid().sub(s[1])) : null,
                n[1] ? g.mul(s[0]).neg() : null), logits, target);
    }
}
