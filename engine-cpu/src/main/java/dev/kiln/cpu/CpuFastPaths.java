package dev.kiln.cpu;

import static dev.kiln.cpu.Elem.F;

import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Conv2dParams;
import dev.kiln.DType;
import dev.kiln.LrnParams;
import dev.kiln.NormResult;
import dev.kiln.Pool2dParams;
import dev.kiln.RnnGrads;
import dev.kiln.RnnParams;
import dev.kiln.RnnResult;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The CPU backend's fast paths: linear layers and convolutions as one {@link Gemm} each with the bias
 * fused into the write-back (no im2col matrix in memory), and direct loops, parallel over planes or
 * rows, for pooling, softmax, batch-norm inference and LRN; attention blocked with a fused online
 * softmax ({@link FlashAttention}), reading its operands through their strides. An operand that is not contiguous takes
 * the composite default. Every loop has a fixed order of operations, so results do not depend on
 * threads or JIT tier.
 */
final class CpuFastPaths implements FastPaths {
    /**
     * Up to this many rows, a linear layer is dot products over w's rows, four input rows per pass
     * (GEMV): packing w for the GEMM would cost more than the product (measured at 9216 -> 4096, CPU
     * time: 1 to 3 rows 18-24 ms against 91-98 ms, 5 rows 35 against 105, 8 rows 26 against 97).
     */
    static final int GEMV_ROWS = 8;

    /** Multiply-adds from which a GEMV is split over the pool (LeNet-5's 400 -> 120 at batch 1, 48k, stays on the caller). */
    static final long GEMV_PARALLEL_MACS = 1L << 18;

    /** {@code -Dkiln.cpu.rnn=false} sends LSTM and GRU to the composite (for comparisons). */
    static final boolean RNN = !"false".equalsIgnoreCase(System.getProperty("kiln.cpu.rnn"));

    private final Gemm gemm;
    private final F32Kernels kernels;
    private final CpuRnn rnn;
    private final FlashAttention attention;

    /** One flavour (Vector API or scalar) of every kernel family: the backend passes all of one kind. */
    CpuFastPaths(Gemm gemm, F32Kernels kernels, RnnKernels rnnKernels, AttentionTiles attentionTiles) {
        this.gemm = gemm;
        this.kernels = kernels;
        this.rnn = new CpuRnn(gemm, kernels, rnnKernels);
        this.attention = new FlashAttention(attentionTiles);
    }

    static MemorySegment seg(Tensor t) { return ((CpuBuffer) t.view().buffer()).segment(); }

    static long off(Tensor t) { return t.view().offset(); }

    static boolean dense(Tensor... ts) {
        for (Tensor t : ts) if (t != null && !t.view().isContiguous()) return false;
        return true;
    }

    static float[] floats(Tensor t) {
        if (t == null) return null;
        float[] v = new float[(int) t.numel()];
        MemorySegment.copy(seg(t), F, off(t) * 4, v, 0, v.length);
        return v;
    }

    // ---- linear and convolution ----

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int in = w.dim(1), outF = w.dim(0);
        if (in == 0 || !dense(x, w, bias)) return FastPaths.super.linear(x, w, bias);
        int[] dims = x.shape().dims();
        dims[dims.length - 1] = outF;
        int rows = (int) (x.numel() / in);
        Tensor out = x.device().empty(DType.F32, dims);
        if (out.numel() == 0) return out.markWritten();
        if (rows <= GEMV_ROWS) {
            gemv(x, w, floats(bias), rows, in, outF, out);
            return out.markWritten();
        }
        Panels a = StridedPanels.of(seg(x), off(x), 0, in, 1);
        Panels b = StridedPanels.of(seg(w), off(w), 0, in, 1);  // w^T: row j of B^T is row j of w
        Gemm.Bias fused = bias == null ? null : new Gemm.Bias(floats(bias), 1, 0, 0, 1);
        gemm.run(1, rows, outF, in, a, b, new Gemm.Out(seg(out), off(out), 0, outF, 1), 1f, 0f, fused);
        return out.markWritten();
    }

    /** out[r, j] = dot(x[r], w[j]) + bias[j], four rows per pass over w, parallel over outputs j. */
    private void gemv(Tensor x, Tensor w, float[] bias, int rows, int in, int outF, Tensor out) {
        MemorySegment xs = seg(x), ws = seg(w), os = seg(out);
        long xo = off(x), wo = off(w), oo = off(out);
        long grain = Math.max(1, 16384 / in);
        // Parallel from GEMV_PARALLEL_MACS multiply-adds: below that, waking the pool costs more than the product.
        Parallel.forRange(outF, Math.max(2, GEMV_PARALLEL_MACS / ((long) in * rows)), grain, (s, e) -> {
            int groups = (rows + 3) / 4;
            long[][] rowOff = new long[groups][4];
            for (int gi = 0; gi < groups; gi++) {
                int group = Math.min(4, rows - 4 * gi);
                for (int q = 0; q < 4; q++) rowOff[gi][q] = xo + (long) (4 * gi + Math.min(q, group - 1)) * in;  // unused slots repeat a row
            }
            float[] dots = new float[4];
            for (long j = s; j < e; j++) {
                for (int gi = 0; gi < groups; gi++) {  // a second group finds w's row still in cache
                    kernels.dot4(xs, rowOff[gi], ws, wo + j * in, in, dots);
                    for (int q = 0; q < Math.min(4, rows - 4 * gi); q++) {
                        float v = dots[q];
                        if (bias != null) v += bias[(int) j];
                        os.setAtIndex(F, oo + (long) (4 * gi + q) * outF + j, v);
                    }
                }
            }
        });
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        ConvGeometry g = ConvGeometry.of(x.shape().dims(), w.shape().dims(), p);
        if (g.k() == 0 || !dense(x, w, bias)) return FastPaths.super.conv2d(x, w, bias, p);
        Tensor out = x.device().empty(DType.F32, g.n(), g.oc(), g.oh(), g.ow());
        if (out.numel() == 0) return out.markWritten();
        convForward(seg(x), off(x), seg(w), off(w), floats(bias), g, seg(out), off(out));
        return out.markWritten();
    }

    /** out[n, g] = W[g] · cols(x[n, g]) (+ bias): one GEMM batched over images and groups. */
    void convForward(MemorySegment x, long xOff, MemorySegment w, long wOff, float[] bias, ConvGeometry g, MemorySegment out, long outOff) {
        if (Winograd.applies(g)) {
            Winograd.forward(gemm, x, xOff, Winograd.filters(w, wOff, g.oc(), g.c()), bias, g, out, outOff);
            return;
        }
        int groups = g.groups(), k = g.k(), positions = g.positions();
        Panels a = new StridedPanels(w, wOff, groups, (long) g.ocg() * k, k, 1);
        Panels b = g.pointwise()
                ? StridedPanels.of(x, xOff, (long) g.cg() * g.plane(), 1, g.plane())
                : new Im2colPanels(x, xOff, g);
        Gemm.Bias fused = bias == null ? null : new Gemm.Bias(bias, groups, g.ocg(), 1, 0);
        gemm.run(g.n() * groups, g.ocg(), positions, k, a, b, new Gemm.Out(out, outOff, (long) g.ocg() * positions, positions, 1),
                1f, 0f, fused);
    }

    /**
     * Stride 1: the input gradient is the convolution of gradOut with the flipped, group-transposed
     * kernel, padded by dilation * (k - 1) - pad. Other strides take the composite.
     */
    @Override
    public Tensor conv2dBackwardData(Tensor gradOut, Tensor w, Shape inputShape, Conv2dParams p) {
        ConvGeometry g = ConvGeometry.of(inputShape.dims(), w.shape().dims(), p);
        int padH = p.dilationH() * (g.kh() - 1) - p.padH(), padW = p.dilationW() * (g.kw() - 1) - p.padW();
        if (p.strideH() != 1 || p.strideW() != 1 || padH < 0 || padW < 0 || g.k() == 0 || g.oc() == 0 || inputShape.numel() == 0
                || !dense(gradOut, w)) {
            return FastPaths.super.conv2dBackwardData(gradOut, w, inputShape, p);
        }
        int groups = g.groups(), cg = g.cg(), ocg = g.ocg(), kh = g.kh(), kw = g.kw();
        float[] wt = new float[(int) w.numel()];
        float[] src = floats(w);
        // wt[gi * cg + c, o, ky, kx] = w[gi * ocg + o, c, kh-1-ky, kw-1-kx]
        for (int gi = 0; gi < groups; gi++) {
            for (int o = 0; o < ocg; o++) {
                for (int c = 0; c < cg; c++) {
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            wt[(((gi * cg + c) * ocg + o) * kh + ky) * kw + kx] = src[(((gi * ocg + o) * cg + c) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)];
                        }
                    }
                }
            }
        }
        Conv2dParams tp = new Conv2dParams(1, 1, padH, padW, p.dilationH(), p.dilationW(), groups);
        ConvGeometry tg = ConvGeometry.of(gradOut.shape().dims(), new int[] {g.c(), ocg, kh, kw}, tp);
        Tensor gradX = gradOut.device().empty(DType.F32, inputShape.dims());
        MemorySegment wts = MemorySegment.ofArray(wt);
        convForward(seg(gradOut), off(gradOut), wts, 0, null, tg, seg(gradX), off(gradX));
        return gradX.markWritten();
    }

    /** gradW[g] = sum over images of gradOut[n, g] · cols(x[n, g])^T, images accumulated in order. */
    @Override
    public Tensor conv2dBackwardFilter(Tensor gradOut, Tensor x, Shape weightShape, Conv2dParams p) {
        ConvGeometry g = ConvGeometry.of(x.shape().dims(), weightShape.dims(), p);
        if (g.n() == 0 || g.positions() == 0 || weightShape.numel() == 0 || !dense(gradOut, x)) {
            return FastPaths.super.conv2dBackwardFilter(gradOut, x, weightShape, p);
        }
        Tensor gradW = x.device().empty(DType.F32, weightShape.dims());
        int groups = g.groups(), k = g.k(), positions = g.positions();
        long imageOut = (long) g.oc() * positions;
        Gemm.Out target = new Gemm.Out(seg(gradW), off(gradW), (long) g.ocg() * k, k, 1);
        for (int n = 0; n < g.n(); n++) {
            Panels a = StridedPanels.of(seg(gradOut), off(gradOut) + n * imageOut, (long) g.ocg() * positions, positions, 1);
            Panels b = new Im2colPanels.Transposed(new Im2colPanels(seg(x), off(x), g), n);
            gemm.run(groups, g.ocg(), k, positions, a, b, target, 1f, n == 0 ? 0f : 1f, null);
        }
        return gradW.markWritten();
    }

    // ---- pooling ----

    @Override
    public Tensor maxPool2d(Tensor x, Pool2dParams p) {
        if (!dense(x)) return FastPaths.super.maxPool2d(x, p);
        return Pooling.maxForward(x, p, kernels);
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, Tensor out, Pool2dParams p) {
        if (!dense(gradOut, x)) return FastPaths.super.maxPool2dBackward(gradOut, x, out, p);
        return Pooling.maxBackward(gradOut, x, p);
    }

    @Override
    public Tensor avgPool2d(Tensor x, Pool2dParams p) {
        if (!dense(x)) return FastPaths.super.avgPool2d(x, p);
        return Pooling.avgForward(x, p, kernels);
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, Shape inputShape, Pool2dParams p) {
        if (!dense(gradOut)) return FastPaths.super.avgPool2dBackward(gradOut, inputShape, p);
        return Pooling.avgBackward(gradOut, inputShape, p);
    }

    // ---- normalization ----

    @Override
    public Tensor softmax(Tensor x, int axis) {
        if (!dense(x) || x.numel() == 0) return FastPaths.super.softmax(x, axis);
        return Normalization.softmax(x, axis, false);
    }

    @Override
    public Tensor logSoftmax(Tensor x, int axis) {
        if (!dense(x) || x.numel() == 0) return FastPaths.super.logSoftmax(x, axis);
        return Normalization.softmax(x, axis, true);
    }

    @Override
    public Tensor softmaxBackward(Tensor gradOut, Tensor out, int axis) {
        if (!dense(gradOut, out) || out.numel() == 0) return FastPaths.super.softmaxBackward(gradOut, out, axis);
        return Normalization.softmaxBackward(gradOut, out, axis, false);
    }

    @Override
    public Tensor logSoftmaxBackward(Tensor gradOut, Tensor out, int axis) {
        if (!dense(gradOut, out) || out.numel() == 0) return FastPaths.super.logSoftmaxBackward(gradOut, out, axis);
        return Normalization.softmaxBackward(gradOut, out, axis, true);
    }

    @Override
    public NormResult layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        if (!dense(x, weight, bias) || x.numel() == 0 || normalizedDims < 1) return FastPaths.super.layerNorm(x, normalizedDims, weight, bias, eps);
        return Normalization.layerNorm(x, normalizedDims, weight, bias, eps);
    }

    @Override
    public NormResult batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double momentum,
                                        double eps) {
        if (!dense(x, weight, bias, runningMean, runningVar) || x.rank() < 2 || x.numel() == 0) {
            return FastPaths.super.batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
        }
        return Normalization.batchNormTraining(x, weight, bias, runningMean, runningVar, momentum, eps);
    }

    @Override
    public Tensor batchNormInference(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        if (!dense(x, weight, bias, runningMean, runningVar) || x.rank() < 2) {
            return FastPaths.super.batchNormInference(x, weight, bias, runningMean, runningVar, eps);
        }
        return Normalization.batchNormInference(x, weight, bias, runningMean, runningVar, eps);
    }

    @Override
    public Tensor lrn(Tensor x, LrnParams p) {
        if (!dense(x) || x.rank() < 2) return FastPaths.super.lrn(x, p);
        return Normalization.lrn(x, p);
    }

    // ---- recurrent ----

    /** Whether {@link CpuRnn} takes this call: contiguous operands and a non-empty sequence. */
    private static boolean rnnApplies(Tensor x, List<Tensor> weights, Tensor... others) {
        return RNN && x.dim(0) > 0 && x.dim(1) > 0 && dense(x) && dense(others) && dense(weights.toArray(Tensor[]::new));
    }

    @Override
    public RnnResult rnn(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, boolean training) {
        if (!rnnApplies(x, weights, h0, c0)) return FastPaths.super.rnn(p, x, h0, c0, weights, training);
        return rnn.forward(p, x, h0, c0, weights, training);
    }

    @Override
    public RnnGrads rnnBackward(RnnParams p, Tensor x, Tensor h0, Tensor c0, List<Tensor> weights, RnnResult forward, Tensor gradOutput,
                                Tensor gradHN, Tensor gradCN) {
        if (!rnnApplies(x, weights, h0, c0, forward.reserve(), gradOutput, gradHN, gradCN)) {
            return FastPaths.super.rnnBackward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
        }
        return rnn.backward(p, x, h0, c0, weights, forward, gradOutput, gradHN, gradCN);
    }

    // ---- attention ----

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        if (!FlashAttention.handles(q, k)) return FastPaths.super.attention(q, k, v, mask, causal, scale);
        return attention.forward(q, k, v, mask, causal, scale);
    }

    @Override
    public AttentionGrads attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale,
                                            AttentionResult forward) {
        if (!FlashAttention.handles(q, k)) return FastPaths.super.attentionBackward(gradOut, q, k, v, mask, causal, scale, forward);
        return attention.backward(gradOut, q, k, v, mask, causal, scale, forward);
    }
}
