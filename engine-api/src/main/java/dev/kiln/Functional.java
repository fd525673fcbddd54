package dev.kiln;

import dev.kiln.spi.FastPaths;
import java.util.Arrays;
import java.util.List;

/**
 * The neural-network operations (as {@code torch.nn.functional}) and their backward passes. Each
 * checks its arguments, then runs on the backend's {@link FastPaths}: a library kernel where the
 * backend has one, the composition from primitives otherwise.
 */
public final class Functional {
    private Functional() {}

    private static FastPaths fast(Tensor t) { return t.device().backend().fastPaths(); }

    static void require(boolean ok, String message) {
        if (!ok) throw new ShapeException(message);
    }

    private static void f32(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) continue;
            if (t.isClosed()) throw new ClosedTensorException(op + ": tensor " + t.dtype() + " " + t.shape() + " was already closed");
            if (t.dtype() != DType.F32) throw new DTypeException(op + ": expected F32, got " + t.dtype() + " " + t.shape());
            if (t.device() != ts[0].device()) throw new DeviceMismatchException(op + ": tensors on " + ts[0].device() + " and " + t.device());
        }
    }

    private static void rank(String op, String what, Tensor t, int r) {
        require(t.rank() == r, op + ": " + what + " must have rank " + r + ", got " + t.shape());
    }

    private static void shape(String op, String what, Tensor t, int... dims) {
        require(t.shape().equals(Shape.of(dims)), op + ": " + what + " has shape " + t.shape() + ", expected " + Arrays.toString(dims));
    }

    // ---- linear and convolution ----

    /** {@code x @ w^T + b}: x [..., in], w [out, in], b [out] or null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        f32("linear", x, w, b);
        rank("linear", "weight", w, 2);
        require(x.rank() >= 1 && x.dim(-1) == w.dim(1), "linear: input " + x.shape() + " has " + (x.rank() == 0 ? "no" : x.dim(-1))
                + " features, weight " + w.shape() + " expects " + w.dim(1));
        if (b != null) shape("linear", "bias", b, w.dim(0));
        return Graph.op(new Tensor[] {x, w, b}, () -> fast(x).linear(x, w, b), r -> FunctionalRules.linear(x, w, b));
    }

    private static void checkConv(String op, Shape x, Shape w, Conv2dParams p) {
        require(x.rank() == 4, op + ": input must be [N, C, H, W], got " + x);
        require(w.rank() == 4, op + ": weight must be [OC, C/groups, KH, KW], got " + w);
        int c = x.dim(1), oc = w.dim(0);
        require(c % p.groups() == 0 && oc % p.groups() == 0, op + ": channels " + c + " in and " + oc + " out must divide by groups " + p.groups());
        require(w.dim(1) * p.groups() == c, op + ": weight " + w + " expects " + w.dim(1) * p.groups() + " input channels, input " + x + " has " + c);
        int oh = p.outH(x.dim(2), w.dim(2)), ow = p.outW(x.dim(3), w.dim(3));
        require(oh >= 1 && ow >= 1, op + ": kernel " + w.dim(2) + "x" + w.dim(3) + " with " + p + " does not fit input " + x);
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        f32("conv2d", x, w, bias);
        checkConv("conv2d", x.shape(), w.shape(), p);
        if (bias != null) shape("conv2d", "bias", bias, w.dim(0));
        return Graph.op(new Tensor[] {x, w, bias}, () -> fast(x).conv2d(x, w, bias, p), r -> FunctionalRules.conv2d(x, w, bias, p));
    }

    public static Tensor conv2dBackwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        f32("conv2dBackwardData", gradOut, w);
        checkConv("conv2dBackwardData", inputShape, w.shape(), p);
        shape("conv2dBackwardData", "gradOut", gradOut, inputShape.dim(0), w.dim(0),
                p.outH(inputShape.dim(2), w.dim(2)), p.outW(inputShape.dim(3), w.dim(3)));
        return fast(gradOut).conv2dBackwardData(gradOut, w, inputShape, p);
    }

    public static Tensor conv2dBackwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        f32("conv2dBackwardFilter", gradOut, x);
        checkConv("conv2dBackwardFilter", x.shape(), weightShape, p);
        shape("conv2dBackwardFilter", "gradOut", gradOut, x.dim(0), weightShape.dim(0),
                p.outH(x.dim(2), weightShape.dim(2)), p.outW(x.dim(3), weightShape.dim(3)));
        return fast(gradOut).conv2dBackwardFilter(gradOut, x, weightShape, p);
    }

    // ---- pooling ----

    private static void checkPool(String op, Shape x, Pool2dParams p) {
        require(x.rank() == 4, op + ": input must be [N, C, H, W], got " + x);
        require(p.outH(x.dim(2)) >= 1 && p.outW(x.dim(3)) >= 1, op + ": window " + p + " does not fit input " + x);
    }

    private static int[] pooled(Shape x, Pool2dParams p) { return new int[] {x.dim(0), x.dim(1), p.outH(x.dim(2)), p.outW(x.dim(3))}; }

    public static Tensor maxPool2d(Tensor x, Pool2dParams p) {
        f32("maxPool2d", x);
        checkPool("maxPool2d", x.shape(), p);
        return Graph.op(new Tensor[] {x}, () -> fast(x).maxPool2d(x, p), r -> FunctionalRules.maxPool2d(x, r, p));
    }

    public static Tensor maxPool2dBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        f32("maxPool2dBackward", gradOut, x, out);
        checkPool("maxPool2dBackward", x.shape(), p);
        shape("maxPool2dBackward", "gradOut", gradOut, pooled(x.shape(), p));
        shape("maxPool2dBackward", "out", out, pooled(x.shape(), p));
        return fast(x).maxPool2dBackward(gradOut, x, out, p);
    }

    public static Tensor avgPool2d(Tensor x, Pool2dParams p) {
        f32("avgPool2d", x);
        checkPool("avgPool2d", x.shape(), p);
        Shape in = x.shape();
        return Graph.op(new Tensor[] {x}, () -> fast(x).avgPool2d(x, p), r -> FunctionalRules.avgPool2d(in, p));
    }

    public static Tensor avgPool2dBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        f32("avgPool2dBackward", gradOut);
        checkPool("avgPool2dBackward", inputShape, p);
        shape("avgPool2dBackward", "gradOut", gradOut, pooled(inputShape, p));
        return fast(gradOut).avgPool2dBackward(gradOut, inputShape, p);
    }

    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        f32("adaptiveAvgPool2d", x);
        rank("adaptiveAvgPool2d", "input", x, 4);
        require(outH >= 1 && outW >= 1 && x.dim(2) >= 1 && x.dim(3) >= 1, "adaptiveAvgPool2d: output " + outH + "x" + outW + " from input " + x.shape());
        Shape in = x.shape();
        return Graph.op(new Tensor[] {x}, () -> fast(x).adaptiveAvgPool2d(x, outH, outW), r -> FunctionalRules.adaptiveAvgPool2d(in));
    }

    public static Tensor adaptiveAvgPool2dBackward(Tensor gradOut, Shape inputShape) {
        f32("adaptiveAvgPool2dBackward", gradOut);
        rank("adaptiveAvgPool2dBackward", "gradOut", gradOut, 4);
        require(inputShape.rank() == 4 && inputShape.dim(0) == gradOut.dim(0) && inputShape.dim(1) == gradOut.dim(1),
                "adaptiveAvgPool2dBackward: gradOut " + gradOut.shape() + " does not match input " + inputShape);
        return fast(gradOut).adaptiveAvgPool2dBackward(gradOut, inputShape);
    }

    // ---- softmax ----

    public static Tensor softmax(Tensor x, int axis) {
        f32("softmax", x);
        int a = x.shape().normalizeAxis(axis);
        return Graph.op(new Tensor[] {x}, () -> fast(x).softmax(x, a), r -> FunctionalRules.softmax(r, a, false));
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        f32("logSoftmax", x);
        int a = x.shape().normalizeAxis(axis);
        return Graph.op(new Tensor[] {x}, () -> fast(x).logSoftmax(x, a), r -> FunctionalRules.softmax(r, a, true));
    }

    public static Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) {
        f32("softmaxBackward", gradOut, out);
        require(gradOut.shape().equals(out.shape()), "softmaxBackward: gradOut " + gradOut.shape() + " and out " + out.shape() + " differ");
        return fast(out).softmaxBackward(gradOut, out, out.shape().normalizeAxis(axis));
    }

    public static Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) {
        f32("logSoftmaxBackward", gradOut, out);
        require(gradOut.shape().equals(out.shape()), "logSoftmaxBackward: gradOut " + gradOut.shape() + " and out " + out.shape() + " differ");
        return fast(out).logSoftmaxBackward(gradOut, out, out.shape().normalizeAxis(axis));
    }

    // ---- normalization ----

    private static int[] trailing(Tensor x, int k) { return Arrays.copyOfRange(x.shape().dims(), x.rank() - k, x.rank()); }

    public static NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        f32("layerNorm", x, weight, bias);
        require(normalizedDims >= 1 && normalizedDims <= x.rank(), "layerNorm: cannot normalize the last " + normalizedDims + " axes of " + x.shape());
        if (weight != null) shape("layerNorm", "weight", weight, trailing(x, normalizedDims));
        if (bias != null) shape("layerNorm", "bias", bias, trailing(x, normalizedDims));
        if (!Graph.needs(x, weight, bias)) return fast(x).layerNorm(x, normalizedDims, weight, bias, eps);
        NormResult r;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            r = fast(x).layerNorm(x, normalizedDims, weight, bias, eps);
        }
        Graph.record(FunctionalRules.layerNorm(x, r, weight, bias, normalizedDims), new Tensor[] {r.out()}, x, weight, bias);
        return r;
    }

    public static NormGrads layerNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias, int normalizedDims) {
        f32("layerNormBackward", gradOut, x, weight, bias);
        require(gradOut.shape().equals(x.shape()), "layerNormBackward: gradOut " + gradOut.shape() + " and input " + x.shape() + " differ");
        return fast(x).layerNormBackward(gradOut, x, forward, weight, bias, normalizedDims);
    }

    private static void checkBatchNorm(String op, Tensor x, Tensor... perChannel) {
        require(x.rank() >= 2, op + ": input must be [N, C, ...], got " + x.shape());
        for (Tensor t : perChannel) if (t != null) shape(op, "per-channel parameter", t, x.dim(1));
    }

    public static NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                               double momentum, double eps) {
        f32("batchNorm", x, weight, bias, runningMean, runningVar);
        checkBatchNorm("batchNorm", x, weight, bias, runningMean, runningVar);
        require(x.numel() / x.dim(1) > 1, "batchNorm: training needs more than one value per channel, got input " + x.shape());
        if (!Graph.needs(x, weight, bias)) return fast(x).batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
        NormResult r;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            r = fast(x).batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
        }
        Graph.record(FunctionalRules.batchNorm(x, r, weight, bias), new Tensor[] {r.out()}, x, weight, bias);
        return r;
    }

    public static Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        f32("batchNorm", x, weight, bias, runningMean, runningVar);
        checkBatchNorm("batchNorm", x, weight, bias, runningMean, runningVar);
        require(runningMean != null && runningVar != null, "batchNorm: inference needs the running mean and variance");
        return Graph.op(new Tensor[] {x, weight, bias}, () -> fast(x).batchNormInference(x, weight, bias, runningMean, runningVar, eps),
                r -> FunctionalRules.batchNormInference(x, weight, bias, runningMean, runningVar, eps));
    }

    public static NormGrads batchNormBackward(Tensor gradOut, Tensor x, NormResult forward, Tensor weight, Tensor bias) {
        f32("batchNormBackward", gradOut, x, weight, bias);
        require(gradOut.shape().equals(x.shape()), "batchNormBackward: gradOut " + gradOut.shape() + " and input " + x.shape() + " differ");
        checkBatchNorm("batchNormBackward", x, weight, bias);
        return fast(x).batchNormBackward(gradOut, x, forward, weight, bias);
    }

    public static Tensor lrn(Tensor x, LrnParams p) {
        f32("lrn", x);
        require(x.rank() >= 3, "lrn: input must be [N, C, ...], got " + x.shape());
        return Graph.op(new Tensor[] {x}, () -> fast(x).lrn(x, p), r -> FunctionalRules.lrn(x, r, p));
    }

    public static Tensor lrnBackward(Tensor gradOut, Tensor x, Tensor out, LrnParams p) {
        f32("lrnBackward", gradOut, x, out);
        require(gradOut.shape().equals(x.shape()) && out.shape().equals(x.shape()), "lrnBackward: gradOut " + gradOut.shape()
                + ", input " + x.shape() + " and out " + out.shape() + " must match");
        return fast(x).lrnBackward(gradOut, x, out, p);
    }

    /** Dropout with probability p; the generator makes it reproducible on every backend. */
    public static DropoutResult dropout(Tensor x, double p, Generator g) {
        f32("dropout", x);
        if (!(p >= 0 && p < 1)) throw new KilnException("dropout: probability must be in [0, 1), got " + p);
        long offset = g.reserve(dev.kiln.spi.Distribution.UNIFORM, x.numel());
        if (!Graph.needs(x)) return fast(x).dropout(x, p, g.seed(), offset);
        DropoutResult r;
        try (var off = dev.kiln.autograd.Autograd.noGrad()) {
            r = fast(x).dropout(x, p, g.seed(), offset);
        }
        Graph.record(FunctionalRules.dropout(r.mask()), new Tensor[] {r.out()}, x);
        return r;
    }

    public static Tensor dropoutBackward(Tensor gradOut, Tensor mask) {
        f32("dropoutBackward", gradOut, mask);
        require(gradOut.shape().equals(mask.shape()), "dropoutBackward: gradOut " + gradOut.shape() + " and mask " + mask.shape() + " differ");
        return gradOut.mul(mask);
    }

    // ---- recurrent ----

    private static void checkRnn(String op, RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights) {
        f32(op, x, h0, c0);
        rank(op, "input [T, N, C]", x, 3);
        require(x.dim(2) == p.inputSize(), op + ": input " + x.shape() + " has " + x.dim(2) + " features, expected " + p.inputSize());
        int states = p.numLayers() * p.directions();
        shape(op, "h0", h0, states, x.dim(1), p.hiddenSize());
        if (p.mode() == RnnParams.Mode.LSTM) {
            require(c0 != null, op + ": an LSTM needs c0");
            shape(op, "c0", c0, states, x.dim(1), p.hiddenSize());
        } else {
            require(c0 == null, op + ": a GRU has no cell state; pass c0 = null");
        }
        require(weights.size() == p.weightCount(), op + ": expected " + p.weightCount() + " weight tensors, got " + weights.size());
        int g = p.gates() * p.hiddenSize();
        for (int l = 0; l < p.numLayers(); l++) {
            for (int d = 0; d < p.directions(); d++) {
                int base = 4 * (l * p.directions() + d);
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                f32(op, x, weights.get(base), weights.get(base + 1), weights.get(base + 2), weights.get(base + 3));
                shape(op, "weight_ih" + sfx, weights.get(base), g, p.layerInput(l));
                shape(op, "weight_hh" + sfx, weights.get(base + 1), g, p.hiddenSize());
                shape(op, "bias_ih" + sfx, weights.get(base + 2), g);
                shape(op, "bias_hh" + sfx, weights.get(base + 3), g);
            }
        }
    }

    public static RnnResult rnn(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        checkRnn("rnn", p, x, h0, c0, weights);
        Tensor[] inputs = new Tensor[3 + weights.size()];
        inputs[0] = x;
        inputs[1] = h0;
        inputs[2] = c0;
        for (int i = 0; i < weights.size(); i++) inputs[3 + i] = weights.get(i);
        if (!Graph.needs(inputs)) return fast(x).rnn(p, x, h0, c0, weights, training);
        RnnResult r;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            r = fast(x).rnn(p, x, h0, c0, weights, true);  // the backward pass needs the reserve
        }
        Graph.record(FunctionalRules.rnn(p, x, h0, c0, weights, r), new Tensor[] {r.output(), r.hN(), r.cN()}, inputs);
        return r;
    }

    public static RnnGrads rnnBackward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward,
                                       Tensor gradOutput, Tensor gradHN, Tensor gradCN) {
        checkRnn("rnnBackward", p, x, h0, c0, weights);
        f32("rnnBackward", gradOutput, gradHN, gradCN);
        shape("rnnBackward", "gradOutput", gradOutput, x.dim(0), x.dim(1), p.hiddenSize() * p.directions());
        if (gradHN != null) require(gradHN.shape().equals(h0.shape()), "rnnBackward: gradHN " + gradHN.shape() + ", expected " + h0.shape());
        if (gradCN != null) require(c0 != null && gradCN.shape().equals(c0.shape()), "rnnBackward: gradCN " + gradCN.shape() + " does not match c0");
        return fast(x).rnnBackward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
    }

    // ---- attention ----

    private static void checkAttention(String op, Tensor q, Tensor k, Tensor v, Tensor mask) {
        f32(op, q, k, v, mask);
        rank(op, "q [N, H, Tq, D]", q, 4);
        rank(op, "k [N, H, Tk, D]", k, 4);
        require(k.shape().equals(v.shape()), op + ": k " + k.shape() + " and v " + v.shape() + " differ");
        require(q.dim(0) == k.dim(0) && q.dim(1) == k.dim(1) && q.dim(3) == k.dim(3),
                op + ": q " + q.shape() + " and k " + k.shape() + " must agree on N, H and D");
        if (mask != null) {
            Shape full = Shape.of(q.dim(0), q.dim(1), q.dim(2), k.dim(2));
            Shape b = Shape.broadcast(mask.shape(), full);
            require(mask.rank() <= 4 && full.equals(b), op + ": mask " + mask.shape() + " does not broadcast to " + full);
        }
    }

    /** Scaled dot-product attention; {@code scale} is usually 1/sqrt(D). */
    public static AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        checkAttention("attention", q, k, v, mask);
        if (!Graph.needs(q, k, v)) return fast(q).attention(q, k, v, mask, causal, scale);
        AttentionResult r;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            r = fast(q).attention(q, k, v, mask, causal, scale);
        }
        Graph.record(FunctionalRules.attention(q, k, v, mask, causal, scale, r), new Tensor[] {r.out()}, q, k, v);
        return r;
    }

    public static AttentionGrads attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal,
                                                   double scale, AttentionResult forward) {
        checkAttention("attentionBackward", q, k, v, mask);
        f32("attentionBackward", gradOut);
        require(gradOut.shape().equals(q.shape()), "attentionBackward: gradOut " + gradOut.shape() + ", expected " + q.shape());
        return fast(q).attentionBackward(gradOut, q, k, v, mask, causal, scale, forward);
    }

    // ---- losses ----

    private static void checkCrossEntropy(String op, Tensor logits, Tensor target, double labelSmoothing) {
        f32(op, logits);
        rank(op, "logits [N, C]", logits, 2);
        if (target.dtype() != DType.I64) throw new DTypeException(op + ": target must be I64 class indices, got " + target.dtype());
        shape(op, "target", target, logits.dim(0));
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new KilnException(op + ": labelSmoothing must be in [0, 1], got " + labelSmoothing);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing, Reduction reduction) {
        checkCrossEntropy("crossEntropy", logits, target, labelSmoothing);
        return Graph.op(new Tensor[] {logits}, () -> fast(logits).crossEntropy(logits, target, ignoreIndex, labelSmoothing, reduction),
                r -> FunctionalRules.crossEntropy(logits, target, ignoreIndex, labelSmoothing, reduction));
    }

    public static Tensor crossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, int ignoreIndex, double labelSmoothing,
                                              Reduction reduction) {
        checkCrossEntropy("crossEntropyBackward", logits, target, labelSmoothing);
        f32("crossEntropyBackward", gradLoss);
        if (reduction == Reduction.NONE) shape("crossEntropyBackward", "gradLoss", gradLoss, logits.dim(0));
        else require(gradLoss.numel() == 1, "crossEntropyBackward: gradLoss must be a scalar, got " + gradLoss.shape());
        return fast(logits).crossEntropyBackward(gradLoss, logits, target, ignoreIndex, labelSmoothing, reduction);
    }

    /** Cross-entropy with PyTorch's defaults: no ignored class, no smoothing, mean over the batch. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) { return crossEntropy(logits, target, -100, 0, Reduction.MEAN); }

    /**
     * Negative log-likelihood of log-probabilities [N, C] at I64 targets [N], as {@code torch.nn.functional.nll_loss}:
     * rows whose target is {@code ignoreIndex} give 0 and MEAN divides by the rows not ignored.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, int ignoreIndex, Reduction reduction) {
        f32("nllLoss", logProbs);
        rank("nllLoss", "log-probabilities [N, C]", logProbs, 2);
        if (target.dtype() != DType.I64) throw new DTypeException("nllLoss: target must be I64 class indices, got " + target.dtype());
        shape("nllLoss", "target", target, logProbs.dim(0));
        try (Scope s = Kiln.scope()) {
            Tensor valid = target.ne(ignoreIndex);
            Tensor safe = Tensor.where(valid, target, target.device().zeros(DType.I64));
            Tensor picked = logProbs.gather(1, safe.unsqueeze(1)).reshape(target.dim(0));
            Tensor loss = Tensor.where(valid, picked.neg(), logProbs.device().zeros(DType.F32));
            return s.keep(reduce(loss, reduction, valid));
        }
    }

    /** Mean squared error, as {@code torch.nn.functional.mse_loss}; input and target broadcast. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        f32("mseLoss", input, target);
        require(Shape.broadcast(input.shape(), target.shape()) != null, "mseLoss: input " + input.shape() + " and target " + target.shape() + " do not broadcast");
        try (Scope s = Kiln.scope()) {
            return s.keep(reduce(input.sub(target).square(), reduction, null));
        }
    }

    /**
     * Binary cross-entropy on logits, as {@code torch.nn.functional.binary_cross_entropy_with_logits}, in the stable
     * form {@code max(x, 0) - x * y + log(1 + exp(-|x|))}; its gradient with respect to x is {@code sigmoid(x) - y}.
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor target, Reduction reduction) {
        f32("bceWithLogits", logits, target);
        require(logits.shape().equals(target.shape()), "bceWithLogits: logits " + logits.shape() + " and target " + target.shape() + " differ");
        Tensor perElement = Graph.op(new Tensor[] {logits, target}, () -> {
            try (Scope s = Kiln.scope()) {
                return s.keep(logits.relu().sub(logits.mul(target)).add(logits.abs().neg().exp().log1p()));
            }
        }, r -> FunctionalRules.bceWithLogits(logits, target));
        if (reduction == Reduction.NONE) return perElement;
        try (perElement) {
            return reduce(perElement, reduction, null);
        }
    }

    /** A per-element loss reduced as asked; MEAN over {@code valid}'s count when given, else over all elements. */
    private static Tensor reduce(Tensor loss, Reduction reduction, Tensor valid) {
        return switch (reduction) {
            case NONE -> loss.copy();
            case SUM -> loss.sum();
            case MEAN -> {
                if (valid == null) yield loss.mean();
                try (Tensor total = loss.sum(); Tensor count = valid.sum()) {
                    yield total.div(count);
                }
            }
        };
    }

    // ---- optimizer steps ----

    public static void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, long step, SgdParams p) {
        f32("sgdStep", param, grad, momentumBuffer);
        require(grad.shape().equals(param.shape()), "sgdStep: grad " + grad.shape() + " for param " + param.shape());
        require(p.momentum() == 0 || (momentumBuffer != null && momentumBuffer.shape().equals(param.shape())),
                "sgdStep: momentum needs a buffer of the param's shape " + param.shape());
        fast(param).sgdStep(param, grad, momentumBuffer, step, p);
    }

    public static void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, long step, AdamParams p) {
        f32("adamStep", param, grad, m, v);
        for (Tensor t : new Tensor[] {grad, m, v}) {
            require(t.shape().equals(param.shape()), "adamStep: state " + t.shape() + " for param " + param.shape());
        }
        require(step >= 1, "adamStep: step counts from 1, got " + step);
        fast(param).adamStep(param, grad, m, v, step, p);
    }
}
