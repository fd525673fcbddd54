package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.LrnParams;
import dev.kiln.Pool2dParams;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The CPU fast paths' internal choices against float64 host references: the 1x1 path, implicit
 * im2col across GEMM block boundaries (positions past NC, taps past KC), strides, dilation, groups
 * and padding at the edges, stride-1 backward data as a flipped convolution, pooling windows clipped
 * at every edge (ceil mode included), softmax, batch norm and LRN; with the Vector API kernel and the
 * scalar one. Inputs are fresh seeded random numbers (the seed is in every message).
 */
class CpuFastPathsTest {
    private static final double TOL = 1e-5;
    private static final Device CPU = Kiln.device("cpu");
    private final long seed = Long.getLong("kiln.tck.seed", System.nanoTime());  // -Dkiln.tck.seed repeats a failure
    private final Random rnd = new Random(seed);

    private static List<CpuFastPaths> flavours() {
        return List.of(new CpuFastPaths(new Gemm(VectorSupport.gemmKernel(true)), VectorSupport.f32Kernels(true), VectorSupport.rnnKernels(true),
                        VectorSupport.attentionTiles(true)),
                new CpuFastPaths(new Gemm(new ScalarGemmKernel()), ScalarF32Kernels.INSTANCE, ScalarRnnKernels.INSTANCE, ScalarAttentionTiles.INSTANCE));
    }

    private double[] gaussian(int n) { return HostInputs.gaussian(rnd, n); }

    private static Tensor tensor(double[] v, int... dims) { return HostInputs.tensor(CPU, v, dims); }

    private void assertClose(double[] ref, Tensor out, String what) { assertCloseToScale(ref, abs(ref), out, what); }

    /** For results that may cancel: the L2 error against {@code scale}, the same expression over the terms' magnitudes. */
    private void assertCloseToScale(double[] ref, double[] scale, Tensor out, String what) {
        float[] got = out.toFloatArray();
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += scale[i] * scale[i];
        }
        double err = Math.sqrt(num / Math.max(den, 1e-300));
        assertTrue(got.length == ref.length && err < TOL, what + ": error " + err + " of the terms' scale (seed " + seed + ")");
    }

    private static double[] abs(double[] v) {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
        return a;
    }

    private record Conv(int n, int c, int h, int w, int oc, int kh, int kw, Conv2dParams p) {}

    private static final List<Conv> CONVS = List.of(
            new Conv(3, 4, 7, 9, 6, 1, 1, Conv2dParams.of(1, 0)),                          // 1x1: the input planes are the columns
            new Conv(2, 4, 7, 9, 6, 1, 1, Conv2dParams.of(1, 0).withGroups(2)),            // 1x1 grouped
            new Conv(1, 5, 9, 8, 3, 1, 1, Conv2dParams.of(2, 0)),                          // 1x1 strided: im2col
            new Conv(2, 32, 20, 19, 7, 3, 3, Conv2dParams.of(1, 1)),                       // 380 positions > NC, 288 taps > KC
            new Conv(1, 3, 13, 11, 5, 5, 5, Conv2dParams.of(2, 2)),                        // stride 2, padding 2
            new Conv(2, 6, 9, 10, 4, 3, 3, Conv2dParams.of(1, 1).withDilation(2).withGroups(2)),
            new Conv(1, 3, 31, 29, 8, 11, 11, Conv2dParams.of(4, 2)),                      // AlexNet's first layer, small
            new Conv(1, 1, 1, 1, 1, 1, 1, Conv2dParams.of(1, 0)),
            new Conv(3, 2, 4, 5, 3, 3, 2, new Conv2dParams(1, 2, 0, 1, 1, 1, 1)),
            new Conv(2, 16, 11, 9, 16, 3, 3, Conv2dParams.of(1, 1)),                       // 3x3 stride 1, 16+ channels (Winograd when enabled)
            new Conv(1, 20, 8, 13, 17, 3, 3, Conv2dParams.of(1, 0)));

    @Test
    void convolutionForwardMatchesTheDirectSum() {
        for (CpuFastPaths fp : flavours()) {
            for (Conv cv : CONVS) {
                int[] xs = {cv.n, cv.c, cv.h, cv.w}, ws = {cv.oc, cv.c / cv.p.groups(), cv.kh, cv.kw};
                double[] x = gaussian(cv.n * cv.c * cv.h * cv.w), w = gaussian(ws[0] * ws[1] * ws[2] * ws[3]), b = gaussian(cv.oc);
                try (Tensor xt = tensor(x, xs); Tensor wt = tensor(w, ws); Tensor bt = tensor(b, cv.oc);
                     Tensor out = fp.conv2d(xt, wt, bt, cv.p); Tensor plain = fp.conv2d(xt, wt, null, cv.p)) {
                    assertClose(FastPathReference.conv(x, xs, w, ws, b, cv.p), out, "conv2d " + cv);
                    assertClose(FastPathReference.conv(x, xs, w, ws, null, cv.p), plain, "conv2d without bias " + cv);
                }
            }
        }
    }

    /** Winograd F(2,3) called directly (any channel count): odd outputs leave half tiles at the right and bottom edges. */
    @Test
    void winogradTilesMatchTheDirectSumAtEdgesAndChunks() {
        Gemm gemm = new Gemm(VectorSupport.gemmKernel(true));
        for (int[] s : new int[][] {{3, 5, 7, 9, 4, 1}, {2, 3, 6, 6, 2, 0}, {1, 17, 13, 10, 19, 2}, {4, 2, 4, 5, 3, 1}, {1, 40, 9, 11, 24, 1}}) {
            int n = s[0], c = s[1], h = s[2], w = s[3], oc = s[4];
            Conv2dParams p = Conv2dParams.of(1, s[5]);
            int[] xs = {n, c, h, w}, ws = {oc, c, 3, 3};
            ConvGeometry g = ConvGeometry.of(xs, ws, p);
            assertTrue(Winograd.computes(g), "Winograd computes " + java.util.Arrays.toString(s));
            double[] x = gaussian(n * c * h * w), wt = gaussian(oc * c * 9), b = gaussian(oc);
            double[] ref = FastPathReference.conv(x, xs, wt, ws, b, p);
            for (long budget : new long[] {1, Winograd.BUDGET}) {  // budget 1: one image per chunk
                try (Tensor xt = tensor(x, xs); Tensor wtt = tensor(wt, ws); Tensor out = CPU.empty(dev.kiln.DType.F32, n, oc, g.oh(), g.ow())) {
                    float[] u = Winograd.filters(CpuFastPaths.seg(wtt), CpuFastPaths.off(wtt), oc, c);
                    float[] bias = new float[oc];
                    for (int i = 0; i < oc; i++) bias[i] = (float) b[i];
                    Winograd.forward(gemm, CpuFastPaths.seg(xt), CpuFastPaths.off(xt), u, bias, g, CpuFastPaths.seg(out), CpuFastPaths.off(out), budget);
                    out.markWritten();
                    assertClose(ref, out, "Winograd " + java.util.Arrays.toString(s) + " budget " + budget);
                }
            }
        }
    }

    @Test
    void convolutionGradientsMatchTheDirectSum() {
        for (CpuFastPaths fp : flavours()) {
            for (Conv cv : CONVS) {
                int[] xs = {cv.n, cv.c, cv.h, cv.w}, ws = {cv.oc, cv.c / cv.p.groups(), cv.kh, cv.kw};
                int oh = cv.p.outH(cv.h, cv.kh), ow = cv.p.outW(cv.w, cv.kw);
                double[] x = gaussian(cv.n * cv.c * cv.h * cv.w), w = gaussian(ws[0] * ws[1] * ws[2] * ws[3]);
                double[] gy = gaussian(cv.n * cv.oc * oh * ow);
                double[][] ref = FastPathReference.convBackward(gy, x, xs, w, ws, cv.p);
                try (Tensor xt = tensor(x, xs); Tensor wt = tensor(w, ws); Tensor gt = tensor(gy, cv.n, cv.oc, oh, ow);
                     Tensor dx = fp.conv2dBackwardData(gt, wt, Shape.of(xs), cv.p);
                     Tensor dw = fp.conv2dBackwardFilter(gt, xt, Shape.of(ws), cv.p)) {
                    assertClose(ref[0], dx, "conv2d backward data " + cv);
                    assertClose(ref[1], dw, "conv2d backward filter " + cv);
                }
            }
        }
    }

    @Test
    void linearFusesTheBiasAcrossBlocksAndAsGemv() {
        for (CpuFastPaths fp : flavours()) {
            for (int[] s : new int[][] {{1, 3, 5}, {1, 517, 70}, {2, 300, 37}, {3, 40, 9}, {5, 37, 11}, {7, 300, 37}, {8, 100, 19}, {9, 40, 9}, {129, 17, 260}, {2, 1, 1},
                    {1, 1024, 300}, {6, 700, 130}}) {  // the last two past GEMV_PARALLEL_MACS: split over the pool
                int rows = s[0], in = s[1], out = s[2];
                double[] x = gaussian(rows * in), w = gaussian(out * in), b = gaussian(out);
                double[] ref = new double[rows * out];
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < out; j++) {
                        double acc = b[j];
                        for (int q = 0; q < in; q++) acc += x[i * in + q] * w[j * in + q];
                        ref[i * out + j] = acc;
                    }
                }
                try (Tensor xt = tensor(x, rows, in); Tensor wt = tensor(w, out, in); Tensor bt = tensor(b, out);
                     Tensor y = fp.linear(xt, wt, bt)) {
                    assertClose(ref, y, "linear rows " + rows + " in " + in + " out " + out);
                }
            }
        }
    }

    private static final List<Pool2dParams> POOLS = List.of(
            Pool2dParams.of(3, 2, 0), Pool2dParams.of(3, 2, 1), Pool2dParams.of(3, 2, 0).withCeilMode(true),
            Pool2dParams.of(3, 1, 1), Pool2dParams.of(2, 2, 1).withCeilMode(true).withCountIncludePad(false),
            new Pool2dParams(3, 2, 2, 1, 1, 0, true, true), Pool2dParams.of(1, 1, 0));

    @Test
    void poolingWindowsAreClippedAtEveryEdge() {
        for (Pool2dParams p : POOLS) {
            for (int[] s : new int[][] {{2, 3, 7, 9}, {1, 1, 4, 4}, {1, 2, 13, 6}}) {
                int planes = s[0] * s[1], h = s[2], w = s[3], oh = p.outH(h), ow = p.outW(w);
                double[] x = gaussian(planes * h * w);
                for (int i = 0; i < x.length; i += 5) x[i] = x[(i * 7) % x.length];  // ties: the first maximum must win
                double[] gy = gaussian(planes * oh * ow);
                CpuFastPaths fp = flavours().getFirst();
                try (Tensor xt = tensor(x, s); Tensor gt = tensor(gy, s[0], s[1], oh, ow);
                     Tensor mx = fp.maxPool2d(xt, p); Tensor av = fp.avgPool2d(xt, p);
                     Tensor dmx = fp.maxPool2dBackward(gt, xt, mx, p); Tensor dav = fp.avgPool2dBackward(gt, Shape.of(s), p)) {
                    assertClose(FastPathReference.pool(x, planes, h, w, p, true), mx, "max pool " + p);
                    // an average of a few signed values may cancel: judged against the average of their magnitudes
                    assertCloseToScale(FastPathReference.pool(x, planes, h, w, p, false),
                            FastPathReference.pool(abs(x), planes, h, w, p, false), av, "avg pool " + p);
                    assertClose(FastPathReference.maxPoolBackward(gy, x, planes, h, w, p), dmx, "max pool backward " + p);
                    // the average gradient is the adjoint of the forward: dx[i] = sum over windows holding i of gy / divisor
                    double[] dref = new double[x.length], dscale = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        double[] unit = new double[x.length];
                        unit[i] = 1;
                        double[] y = FastPathReference.pool(unit, planes, h, w, p, false);
                        for (int o = 0; o < y.length; o++) {
                            dref[i] += y[o] * gy[o];
                            dscale[i] += y[o] * Math.abs(gy[o]);
                        }
                    }
                    assertCloseToScale(dref, dscale, dav, "avg pool backward " + p);
                }
            }
        }
    }

    @Test
    void maxPoolingPropagatesNaNOnlyToItsWindows() {
        int h = 9, w = 21;
        double[] x = gaussian(h * w);
        x[4 * w + 10] = Double.NaN;
        Pool2dParams p = Pool2dParams.of(3, 2, 1);
        double[] ref = FastPathReference.pool(x, 1, h, w, p, true);
        for (CpuFastPaths fp : flavours()) {
            try (Tensor xt = tensor(x, 1, 1, h, w); Tensor out = fp.maxPool2d(xt, p)) {
                float[] got = out.toFloatArray();
                for (int i = 0; i < ref.length; i++) {
                    boolean nan = Double.isNaN(ref[i]);
                    assertTrue(nan ? Float.isNaN(got[i]) : got[i] == (float) ref[i], "max pool with a NaN input, output " + i + ": " + got[i]);
                }
            }
        }
    }

    @Test
    void softmaxAlongEveryAxis() {
        int[] dims = {3, 5, 7};
        double[] x = gaussian(105);
        for (int i = 0; i < x.length; i++) x[i] *= 10;
        CpuFastPaths fp = flavours().getFirst();
        for (int axis = 0; axis < 3; axis++) {
            double[] soft = new double[x.length], logSoft = new double[x.length];
            int inner = 1;
            for (int d = axis + 1; d < 3; d++) inner *= dims[d];
            int len = dims[axis], outer = x.length / (len * inner);
            for (int o = 0; o < outer; o++) {
                for (int in = 0; in < inner; in++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (int i = 0; i < len; i++) m = Math.max(m, x[(o * len + i) * inner + in]);
                    for (int i = 0; i < len; i++) s += Math.exp(x[(o * len + i) * inner + in] - m);
                    for (int i = 0; i < len; i++) {
                        int at = (o * len + i) * inner + in;
                        soft[at] = Math.exp(x[at] - m) / s;
                        logSoft[at] = x[at] - m - Math.log(s);
                    }
                }
            }
            double[] g = gaussian(x.length), ys = new double[x.length], yl = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                ys[i] = (float) soft[i];
                yl[i] = (float) logSoft[i];
            }
            double[] dSoft = new double[x.length], dLog = new double[x.length];
            for (int o = 0; o < outer; o++) {
                for (int in = 0; in < inner; in++) {
                    double dot = 0, total = 0;
                    for (int i = 0; i < len; i++) {
                        int at = (o * len + i) * inner + in;
                        dot += g[at] * ys[at];
                        total += g[at];
                    }
                    for (int i = 0; i < len; i++) {
                        int at = (o * len + i) * inner + in;
                        dSoft[at] = ys[at] * (g[at] - dot);
                        dLog[at] = g[at] - Math.exp(yl[at]) * total;
                    }
                }
            }
            try (Tensor xt = tensor(x, dims); Tensor s = fp.softmax(xt, axis); Tensor l = fp.logSoftmax(xt, axis);
                 Tensor gt = tensor(g, dims); Tensor yst = tensor(ys, dims); Tensor ylt = tensor(yl, dims);
                 Tensor ds = fp.softmaxBackward(gt, yst, axis); Tensor dl = fp.logSoftmaxBackward(gt, ylt, axis)) {
                assertClose(soft, s, "softmax axis " + axis);
                assertClose(logSoft, l, "logSoftmax axis " + axis);
                assertClose(dSoft, ds, "softmax backward axis " + axis);
                assertClose(dLog, dl, "logSoftmax backward axis " + axis);
            }
        }
    }

    @Test
    void batchNormInferenceAndLrnPerChannel() {
        int n = 2, c = 7, h = 3, w = 5, hw = h * w;
        double[] x = gaussian(n * c * hw), wt = gaussian(c), b = gaussian(c), mean = gaussian(c), var = gaussian(c);
        for (int i = 0; i < c; i++) var[i] = (float) Math.abs(var[i]) + 0.1;
        double eps = 1e-5;
        double[] bn = new double[x.length], lrn = new double[x.length];
        LrnParams lp = new LrnParams(5, 1e-1, 0.75, 2);
        for (int i = 0; i < x.length; i++) {
            int ch = (i / hw) % c;
            bn[i] = (x[i] - mean[ch]) / Math.sqrt(var[ch] + eps) * wt[ch] + b[ch];
            double s = 0;
            for (int q = Math.max(0, ch - 2); q <= Math.min(c - 1, ch + 2); q++) {
                double v = x[i + (q - ch) * hw];
                s += v * v;
            }
            lrn[i] = x[i] / Math.pow(lp.k() + lp.alpha() / lp.size() * s, lp.beta());
        }
        CpuFastPaths fp = flavours().getFirst();
        try (Tensor xt = tensor(x, n, c, h, w); Tensor wtt = tensor(wt, c); Tensor bt = tensor(b, c); Tensor mt = tensor(mean, c);
             Tensor vt = tensor(var, c); Tensor y = fp.batchNormInference(xt, wtt, bt, mt, vt, eps); Tensor l = fp.lrn(xt, lp)) {
            assertClose(bn, y, "batch norm inference");
            assertClose(lrn, l, "lrn");
        }
    }

    @Test
    void layerNormOverTrailingAxes() {
        CpuFastPaths fp = flavours().getFirst();
        for (int[][] c : new int[][][] {{{3, 4, 5}, {2}}, {{12, 5}, {1}}, {{1, 129}, {1}}, {{7, 1}, {1}}, {{2, 3, 1, 4}, {3}}}) {
            int[] dims = c[0];
            int nd = c[1][0], normLen = 1;
            for (int d = dims.length - nd; d < dims.length; d++) normLen *= dims[d];
            int rows = (int) (Fixture.numel(dims) / normLen);
            int[] wDims = java.util.Arrays.copyOfRange(dims, dims.length - nd, dims.length);
            double[] x = gaussian(rows * normLen), w = gaussian(normLen), b = gaussian(normLen);
            for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * 3 + 5);  // an offset mean, as activations have
            double[] ref = new double[x.length], mean = new double[rows], rstd = new double[rows];
            for (int r = 0; r < rows; r++) {
                double m = 0, v = 0;
                for (int i = 0; i < normLen; i++) m += x[r * normLen + i];
                m /= normLen;
                for (int i = 0; i < normLen; i++) v += (x[r * normLen + i] - m) * (x[r * normLen + i] - m);
                double rs = 1 / Math.sqrt(v / normLen + 1e-5);
                mean[r] = m;
                rstd[r] = rs;
                for (int i = 0; i < normLen; i++) ref[r * normLen + i] = (x[r * normLen + i] - m) * rs * w[i] + b[i];
            }
            try (Tensor xt = tensor(x, dims); Tensor wt = tensor(w, wDims); Tensor bt = tensor(b, wDims);
                 var res = fp.layerNorm(xt, nd, wt, bt, 1e-5)) {
                assertClose(ref, res.out(), "layer norm " + java.util.Arrays.toString(dims));
                assertClose(mean, res.mean(), "layer norm mean");
                assertClose(rstd, res.rstd(), "layer norm rstd");
                int[] statDims = dims.clone();
                for (int d = dims.length - nd; d < dims.length; d++) statDims[d] = 1;
                assertTrue(java.util.Arrays.equals(statDims, res.mean().shape().dims()), "mean keeps x's rank");
            }
        }
    }

    @Test
    void batchNormTrainingStatisticsAndRunningUpdate() {
        int n = 3, c = 5, hw = 13;
        double[] x = gaussian(n * c * hw), wt = gaussian(c), b = gaussian(c), rm = gaussian(c), rv = gaussian(c);
        for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * 2 + 3);
        for (int i = 0; i < c; i++) rv[i] = (float) Math.abs(rv[i]);
        double momentum = 0.1, eps = 1e-5;
        double[] out = new double[x.length], mean = new double[c], rstd = new double[c], rmRef = new double[c], rvRef = new double[c];
        int count = n * hw;
        for (int ch = 0; ch < c; ch++) {
            double m = 0, v = 0;
            for (int img = 0; img < n; img++) for (int i = 0; i < hw; i++) m += x[(img * c + ch) * hw + i];
            m /= count;
            for (int img = 0; img < n; img++) for (int i = 0; i < hw; i++) v += Math.pow(x[(img * c + ch) * hw + i] - m, 2);
            v /= count;
            mean[ch] = m;
            rstd[ch] = 1 / Math.sqrt(v + eps);
            rmRef[ch] = rm[ch] * (1 - momentum) + m * momentum;
            rvRef[ch] = rv[ch] * (1 - momentum) + v * count / (count - 1) * momentum;
            for (int img = 0; img < n; img++) {
                for (int i = 0; i < hw; i++) {
                    int at = (img * c + ch) * hw + i;
                    out[at] = (x[at] - m) * rstd[ch] * wt[ch] + b[ch];
                }
            }
        }
        CpuFastPaths fp = flavours().getFirst();
        try (Tensor xt = tensor(x, n, c, hw); Tensor wtt = tensor(wt, c); Tensor bt = tensor(b, c); Tensor rmt = tensor(rm, c);
             Tensor rvt = tensor(rv, c); var res = fp.batchNormTraining(xt, wtt, bt, rmt, rvt, momentum, eps)) {
            assertClose(out, res.out(), "batch norm training output");
            assertClose(mean, res.mean(), "batch norm training mean");
            assertClose(rstd, res.rstd(), "batch norm training rstd");
            assertClose(rmRef, rmt, "running mean");
            assertClose(rvRef, rvt, "running variance");
        }
    }

    /** The same bits interpreted and compiled: the pattern of {@link JitDeterminismTest}, on the new kernels. */
    @Test
    void fastPathsKeepTheirBitsOnceCompiled() {
        CpuFastPaths fp = flavours().getFirst();
        try (Tensor x = CPU.randn(new Generator(5), 1, 3, 6, 7); Tensor w = CPU.randn(new Generator(6), 4, 3, 3, 3);
             Tensor b = CPU.randn(new Generator(7), 4); Tensor lw = CPU.randn(new Generator(8), 5, 7)) {
            Conv2dParams cp = Conv2dParams.of(1, 1);
            Pool2dParams pp = Pool2dParams.of(3, 2, 1);
            List<UnaryOperator<Tensor>> ops = List.of(
                    t -> fp.conv2d(t, w, b, cp), t -> fp.linear(t, lw, null), t -> fp.maxPool2d(t, pp), t -> fp.avgPool2d(t, pp),
                    t -> fp.softmax(t, 3), t -> fp.logSoftmax(t, 1), t -> {
                        var r = fp.layerNorm(t, 2, null, null, 1e-5);
                        r.mean().close();
                        r.rstd().close();
                        return r.out();
                    },
                    t -> fp.softmaxBackward(t, t, 2), t -> fp.lrn(t, new LrnParams(3, 1e-2, 0.75, 1)));
            for (int i = 0; i < ops.size(); i++) JitDeterminismTest.sameColdAndHot("fast path " + i, ops.get(i), x);
        }
        try (Tensor row = CPU.randn(new Generator(9), 1, 77); Tensor w = CPU.randn(new Generator(10), 5, 77);
             Tensor b = CPU.randn(new Generator(11), 5); Tensor gy = CPU.randn(new Generator(12), 1, 4, 6, 7);
             Tensor cw = CPU.randn(new Generator(13), 4, 3, 3, 3); Tensor x = CPU.randn(new Generator(14), 1, 3, 6, 7)) {
            JitDeterminismTest.sameColdAndHot("gemv", t -> fp.linear(t, w, b), row);
            try (Tensor rows = CPU.randn(new Generator(15), 6, 77)) {
                JitDeterminismTest.sameColdAndHot("gemv, two groups of rows", t -> fp.linear(t, w, b), rows);
                // a row's bits do not depend on the rows computed beside it
                try (Tensor all = fp.linear(rows, w, b); Tensor first = rows.slice(0, 0, 1, 1).copy(); Tensor alone = fp.linear(first, w, b)) {
                    float[] a = all.toFloatArray(), o = alone.toFloatArray();
                    org.junit.jupiter.api.Assertions.assertArrayEquals(o, java.util.Arrays.copyOf(a, o.length), "row 0 alone and in a batch of 6");
                }
            }
            Conv2dParams cp = Conv2dParams.of(1, 1);
            JitDeterminismTest.sameColdAndHot("conv backward data", t -> fp.conv2dBackwardData(t, cw, Shape.of(1, 3, 6, 7), cp), gy);
            JitDeterminismTest.sameColdAndHot("conv backward filter", t -> fp.conv2dBackwardFilter(gy, t, Shape.of(4, 3, 3, 3), cp), x);
            Pool2dParams pp = Pool2dParams.of(3, 2, 1);
            try (Tensor pooled = fp.maxPool2d(x, pp)) {
                JitDeterminismTest.sameColdAndHot("max pool backward", t -> fp.maxPool2dBackward(t, x, pooled, pp), pooled);
                JitDeterminismTest.sameColdAndHot("avg pool backward", t -> fp.avgPool2dBackward(t, Shape.of(1, 3, 6, 7), pp), pooled);
            }
        }
    }
}
