package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.AdamParams;
import dev.kiln.AttentionGrads;
import dev.kiln.AttentionResult;
import dev.kiln.Conv2dParams;
import dev.kiln.DropoutResult;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.spi.Philox;
import dev.kiln.Pool2dParams;
import dev.kiln.Shape;
import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.Reduction;
import dev.kiln.Scope;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fast paths on Kiln's own kernels against float64 references; skipped with the reason without a GPU. */
class CudaFastPathsDeviceTest {
    private static final long SEED = 0xFA57L;
    private Device device;
    private FastPaths fast;

    @BeforeEach
    void open() {
        Optional<String> reason = new CudaProvider().unavailableReason();
        assumeTrue(reason.isEmpty(), () -> "CUDA unavailable: " + reason.orElse(""));
        device = Kiln.device("cuda:0");
        fast = device.backend().fastPaths();
    }

    private static float[] random(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * 2);
        return f;
    }

    private static void assertClose(double[] ref, float[] out, double tol, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(!Float.isNaN(out[i]), what + ": NaN at " + i + " (seed " + SEED + ")");
            num += (out[i] - ref[i]) * (out[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        assertTrue(rel <= tol, what + ": relative error " + rel + " above " + tol + " (seed " + SEED + ")");
    }

    @Test
    void softmaxAndLogSoftmaxAlongAMiddleAxis() {
        Random rnd = new Random(SEED);
        int a = 7, n = 129, b = 3;
        float[] x = random(rnd, a * n * b), g = random(rnd, a * n * b);
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, a, n, b), gt = device.fromArray(g, a, n, b);
            Tensor y = fast.softmax(xt, 1), ly = fast.logSoftmax(xt, 1);
            Tensor gy = fast.softmaxBackward(gt, y, 1), gly = fast.logSoftmaxBackward(gt, ly, 1);
            double[] ry = new double[x.length], rly = new double[x.length], rg = new double[x.length], rlg = new double[x.length];
            for (int i = 0; i < a; i++) for (int k = 0; k < b; k++) {
                double m = Double.NEGATIVE_INFINITY, sum = 0, dot = 0, gs = 0;
                for (int j = 0; j < n; j++) m = Math.max(m, x[(i * n + j) * b + k]);
                for (int j = 0; j < n; j++) sum += Math.exp(x[(i * n + j) * b + k] - m);
                for (int j = 0; j < n; j++) {
                    int idx = (i * n + j) * b + k;
                    ry[idx] = Math.exp(x[idx] - m) / sum;
                    rly[idx] = x[idx] - m - Math.log(sum);
                    dot += g[idx] * ry[idx];
                    gs += g[idx];
                }
                for (int j = 0; j < n; j++) {
                    int idx = (i * n + j) * b + k;
                    rg[idx] = ry[idx] * (g[idx] - dot);
                    rlg[idx] = g[idx] - ry[idx] * gs;
                }
            }
            assertClose(ry, y.toFloatArray(), 1e-5, "softmax");
            assertClose(rly, ly.toFloatArray(), 1e-5, "logSoftmax");
            assertClose(rg, gy.toFloatArray(), 1e-5, "softmaxBackward");
            assertClose(rlg, gly.toFloatArray(), 1e-5, "logSoftmaxBackward");
        }
    }

    @Test
    void crossEntropyWithIgnoreIndexAndSmoothing() {
        Random rnd = new Random(SEED + 1);
        int n = 7, c = 129, ignore = -100;
        double eps = 0.1;
        float[] x = random(rnd, n * c);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = i == 3 ? ignore : rnd.nextInt(c);
        double[] perSample = new double[n], grad = new double[n * c];
        double total = 0;
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (t[i] == ignore) continue;
            counted++;
            double m = Double.NEGATIVE_INFINITY, s = 0, sx = 0;
            for (int j = 0; j < c; j++) m = Math.max(m, x[i * c + j]);
            for (int j = 0; j < c; j++) { s += Math.exp(x[i * c + j] - m); sx += x[i * c + j]; }
            double lse = m + Math.log(s);
            perSample[i] = (1 - eps) * (lse - x[i * c + (int) t[i]]) + eps * (lse - sx / c);
            total += perSample[i];
            for (int j = 0; j < c; j++) grad[i * c + j] = Math.exp(x[i * c + j] - lse) - eps / c - (j == t[i] ? 1 - eps : 0);
        }
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, n, c), tt = device.fromArray(t, n);
            assertClose(perSample, fast.crossEntropy(xt, tt, ignore, eps, Reduction.NONE).toFloatArray(), 1e-5, "CE none");
            assertClose(new double[] {total}, fast.crossEntropy(xt, tt, ignore, eps, Reduction.SUM).toFloatArray(), 1e-5, "CE sum");
            assertClose(new double[] {total / counted}, fast.crossEntropy(xt, tt, ignore, eps, Reduction.MEAN).toFloatArray(), 1e-5, "CE mean");
            double[] meanGrad = grad.clone();
            for (int i = 0; i < meanGrad.length; i++) meanGrad[i] *= 2.0 / counted;
            Tensor g = fast.crossEntropyBackward(device.scalar(2), xt, tt, ignore, eps, Reduction.MEAN);
            assertClose(meanGrad, g.toFloatArray(), 1e-5, "CE mean backward");
        }
    }

    @Test
    void adamAndSgdStepsMatchTorchFormulas() {
        Random rnd = new Random(SEED + 2);
        int n = 129;
        float[] p0 = random(rnd, n), g = random(rnd, n);
        AdamParams ap = new AdamParams(1e-2, 0.9, 0.999, 1e-8, 0.01, true);
        SgdParams sp = new SgdParams(0.1, 0.9, 0, 1e-4, true);
        double[] p = new double[n], m = new double[n], v = new double[n], q = new double[n], buf = new double[n];
        for (int i = 0; i < n; i++) { p[i] = p0[i]; q[i] = p0[i]; }
        try (Scope s = Kiln.scope()) {
            Tensor pt = device.fromArray(p0, n), mt = device.zeros(n), vt = device.zeros(n), gt = device.fromArray(g, n);
            Tensor qt = device.fromArray(p0, n), bt = device.zeros(n);
            for (int step = 1; step <= 3; step++) {
                fast.adamStep(pt, gt, mt, vt, step, ap);
                fast.sgdStep(qt, gt, bt, step, sp);
                double bc1 = 1 - Math.pow(ap.beta1(), step), bc2 = 1 - Math.pow(ap.beta2(), step);
                for (int i = 0; i < n; i++) {
                    p[i] *= 1 - ap.lr() * ap.weightDecay();
                    m[i] = ap.beta1() * m[i] + (1 - ap.beta1()) * g[i];
                    v[i] = ap.beta2() * v[i] + (1 - ap.beta2()) * g[i] * g[i];
                    p[i] -= ap.lr() / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + ap.eps());
                    double d = g[i] + sp.weightDecay() * q[i];
                    buf[i] = step == 1 ? d : sp.momentum() * buf[i] + d;
                    q[i] -= sp.lr() * (d + sp.momentum() * buf[i]);
                }
            }
            assertClose(p, pt.toFloatArray(), 1e-5, "adamw");
            assertClose(m, mt.toFloatArray(), 1e-5, "adam m");
            assertClose(v, vt.toFloatArray(), 1e-5, "adam v");
            assertClose(q, qt.toFloatArray(), 1e-5, "sgd nesterov");
        }
    }

    /** Forward and both backward passes against a direct float64 convolution, with groups, stride, padding, dilation. */
    @Test
    void convolutionAndItsGradients() {
        assumeTrue(((CudaBackend) device.backend()).hasCudnn(), "cuDNN not found: conv2d uses the composite default");
        Random rnd = new Random(SEED + 3);
        int n = 2, c = 4, h = 9, w = 7, oc = 6, g = 2, kh = 3, kw = 2;
        Conv2dParams p = new Conv2dParams(2, 1, 1, 1, 1, 2, g);
        int oh = p.outH(h, kh), ow = p.outW(w, kw), cg = c / g, ocg = oc / g;
        float[] x = random(rnd, n * c * h * w), wt = random(rnd, oc * cg * kh * kw), b = random(rnd, oc);
        float[] gy = random(rnd, n * oc * oh * ow);
        double[] y = new double[n * oc * oh * ow], dx = new double[x.length], dw = new double[wt.length];
        for (int in = 0; in < n; in++) for (int o = 0; o < oc; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            int yi = ((in * oc + o) * oh + i) * ow + j;
            double s = b[o];
            for (int ci = 0; ci < cg; ci++) for (int a = 0; a < kh; a++) for (int e = 0; e < kw; e++) {
                int hi = i * p.strideH() - p.padH() + a * p.dilationH(), wi = j * p.strideW() - p.padW() + e * p.dilationW();
                if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
                int xi = ((in * c + (o / ocg) * cg + ci) * h + hi) * w + wi, wj = ((o * cg + ci) * kh + a) * kw + e;
                s += x[xi] * wt[wj];
                dx[xi] += gy[yi] * wt[wj];
                dw[wj] += gy[yi] * x[xi];
            }
            y[yi] = s;
        }
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, n, c, h, w), wtt = device.fromArray(wt, oc, cg, kh, kw), bt = device.fromArray(b, oc);
            Tensor gyt = device.fromArray(gy, n, oc, oh, ow);
            double tol = ((CudaBackend) device.backend()).precision().tolerance();
            assertClose(y, fast.conv2d(xt, wtt, bt, p).toFloatArray(), tol, "conv2d");
            assertClose(dx, fast.conv2dBackwardData(gyt, wtt, Shape.of(n, c, h, w), p).toFloatArray(), tol, "conv2dBackwardData");
            assertClose(dw, fast.conv2dBackwardFilter(gyt, xt, Shape.of(oc, cg, kh, kw), p).toFloatArray(), tol, "conv2dBackwardFilter");
        }
    }

    /**
     * Attention forward and backward against float64: a causal mask plus an additive [Tq, Tk] mask that drops
     * every key of query 0 (which must give zeros), odd sizes, two tiles of keys.
     */
    @Test
    void attentionForwardAndBackward() {
        Random rnd = new Random(SEED + 4);
        int n = 2, h = 3, tq = 37, tk = 41, d = 7;
        double scale = 1 / Math.sqrt(d);
        float[] q = random(rnd, n * h * tq * d), k = random(rnd, n * h * tk * d), v = random(rnd, n * h * tk * d);
        float[] go = random(rnd, n * h * tq * d), mask = new float[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) {
            mask[i * tk + j] = i == 0 ? Float.NEGATIVE_INFINITY : (float) (rnd.nextGaussian() * 0.5);
        }
        double[] out = new double[q.length], dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        for (int b = 0; b < n * h; b++) for (int i = 0; i < tq; i++) {
            double[] p = new double[tk];
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < tk; j++) {
                double s = Double.NEGATIVE_INFINITY;
                if (j <= i && mask[i * tk + j] != Float.NEGATIVE_INFINITY) {
                    s = 0;
                    for (int c = 0; c < d; c++) s += (double) q[(b * tq + i) * d + c] * k[(b * tk + j) * d + c];
                    s = s * scale + mask[i * tk + j];
                }
                p[j] = s;
                mx = Math.max(mx, s);
            }
            if (mx == Double.NEGATIVE_INFINITY) continue;   // every key dropped: zeros, no gradient
            double sum = 0;
            for (int j = 0; j < tk; j++) sum += p[j] = Math.exp(p[j] - mx);
            for (int j = 0; j < tk; j++) p[j] /= sum;
            double[] dp = new double[tk];
            double dot = 0;
            for (int j = 0; j < tk; j++) {
                for (int c = 0; c < d; c++) {
                    out[(b * tq + i) * d + c] += p[j] * v[(b * tk + j) * d + c];
                    dp[j] += (double) go[(b * tq + i) * d + c] * v[(b * tk + j) * d + c];
                    dv[(b * tk + j) * d + c] += p[j] * go[(b * tq + i) * d + c];
                }
                dot += p[j] * dp[j];
            }
            for (int j = 0; j < tk; j++) {
                double ds = p[j] * (dp[j] - dot) * scale;
                for (int c = 0; c < d; c++) {
                    dq[(b * tq + i) * d + c] += ds * k[(b * tk + j) * d + c];
                    dk[(b * tk + j) * d + c] += ds * q[(b * tq + i) * d + c];
                }
            }
        }
        try (Scope s = Kiln.scope()) {
            Tensor qt = device.fromArray(q, n, h, tq, d), kt = device.fromArray(k, n, h, tk, d), vt = device.fromArray(v, n, h, tk, d);
            Tensor mt = device.fromArray(mask, tq, tk), got = device.fromArray(go, n, h, tq, d);
            AttentionResult r = fast.attention(qt, kt, vt, mt, true, scale);
            assertClose(out, r.out().toFloatArray(), 1e-5, "attention");
            AttentionGrads g = fast.attentionBackward(got, qt, kt, vt, mt, true, scale, r);
            assertClose(dq, g.q().toFloatArray(), 1e-5, "attention dq");
            assertClose(dk, g.k().toFloatArray(), 1e-5, "attention dk");
            assertClose(dv, g.v().toFloatArray(), 1e-5, "attention dv");
        }
    }

    /** Max and average pooling, forward and backward, with PyTorch's window rules, ties and ceil mode. */
    @Test
    void poolingForwardAndBackward() {
        Random rnd = new Random(SEED + 5);
        int planes = 6, h = 9, w = 8;
        float[] x = new float[planes * h * w];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(5);   // many ties
        for (Pool2dParams p : new Pool2dParams[] {Pool2dParams.of(3, 2, 1), new Pool2dParams(3, 2, 2, 1, 1, 0, true, false),
                new Pool2dParams(2, 3, 2, 2, 1, 1, true, true)}) {
            int oh = p.outH(h), ow = p.outW(w);
            float[] gy = random(rnd, planes * oh * ow);
            double[] ymax = new double[planes * oh * ow], yavg = new double[ymax.length];
            double[] gmax = new double[x.length], gavg = new double[x.length];
            for (int c = 0; c < planes; c++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                int hs = i * p.strideH() - p.padH(), ws = j * p.strideW() - p.padW();
                int he = Math.min(hs + p.kernelH(), h + p.padH()), we = Math.min(ws + p.kernelW(), w + p.padW());
                int padded = (he - hs) * (we - ws);
                hs = Math.max(hs, 0);
                ws = Math.max(ws, 0);
                he = Math.min(he, h);
                we = Math.min(we, w);
                int div = p.countIncludePad() ? padded : (he - hs) * (we - ws);
                int o = (c * oh + i) * ow + j, best = -1;
                double sum = 0;
                for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) {
                    int xi = (c * h + a) * w + b;
                    sum += x[xi];
                    if (best < 0 || x[xi] > x[best]) best = xi;
                }
                ymax[o] = x[best];
                gmax[best] += gy[o];
                yavg[o] = sum / div;
                for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) gavg[(c * h + a) * w + b] += gy[o] / div;
            }
            try (Scope s = Kiln.scope()) {
                Tensor xt = device.fromArray(x, 2, 3, h, w), gyt = device.fromArray(gy, 2, 3, oh, ow);
                Tensor ym = fast.maxPool2d(xt, p);
                assertClose(ymax, ym.toFloatArray(), 0, "maxPool2d " + p);
                assertClose(gmax, fast.maxPool2dBackward(gyt, xt, ym, p).toFloatArray(), 1e-6, "maxPool2dBackward " + p);
                assertClose(yavg, fast.avgPool2d(xt, p).toFloatArray(), 1e-6, "avgPool2d " + p);
                assertClose(gavg, fast.avgPool2dBackward(gyt, Shape.of(2, 3, h, w), p).toFloatArray(), 1e-6, "avgPool2dBackward " + p);
            }
        }
    }

    /** Layer norm over the last two axes with weight and bias, forward (out, mean, rstd) and backward. */
    @Test
    void layerNormForwardAndBackward() {
        Random rnd = new Random(SEED + 6);
        int rows = 7, a = 3, b = 43, cols = a * b;
        double eps = 1e-5;
        float[] x = random(rnd, rows * cols), w = random(rnd, cols), bias = random(rnd, cols), gy = random(rnd, rows * cols);
        double[] y = new double[x.length], mean = new double[rows], rstd = new double[rows], dx = new double[x.length];
        double[] dw = new double[cols], db = new double[cols];
        for (int r = 0; r < rows; r++) {
            double m = 0, v = 0;
            for (int j = 0; j < cols; j++) m += x[r * cols + j];
            m /= cols;
            for (int j = 0; j < cols; j++) v += (x[r * cols + j] - m) * (x[r * cols + j] - m);
            double rs = 1 / Math.sqrt(v / cols + eps);
            mean[r] = m;
            rstd[r] = rs;
            double mg = 0, mgx = 0;
            for (int j = 0; j < cols; j++) {
                double xh = (x[r * cols + j] - m) * rs, g = gy[r * cols + j] * w[j];
                y[r * cols + j] = xh * w[j] + bias[j];
                mg += g / cols;
                mgx += g * xh / cols;
                dw[j] += gy[r * cols + j] * xh;
                db[j] += gy[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                double xh = (x[r * cols + j] - m) * rs, g = gy[r * cols + j] * w[j];
                dx[r * cols + j] = rs * (g - mg - xh * mgx);
            }
        }
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, rows, a, b), wt = device.fromArray(w, a, b), bt = device.fromArray(bias, a, b);
            NormResult r = fast.layerNorm(xt, 2, wt, bt, eps);
            assertClose(y, r.out().toFloatArray(), 1e-5, "layerNorm");
            assertClose(mean, r.mean().toFloatArray(), 1e-5, "layerNorm mean");
            assertClose(rstd, r.rstd().toFloatArray(), 1e-5, "layerNorm rstd");
            NormGrads g = fast.layerNormBackward(device.fromArray(gy, rows, a, b), xt, r, wt, bt, 2);
            assertClose(dx, g.input().toFloatArray(), 1e-5, "layerNorm dx");
            assertClose(dw, g.weight().toFloatArray(), 1e-5, "layerNorm dweight");
            assertClose(db, g.bias().toFloatArray(), 1e-5, "layerNorm dbias");
        }
    }

    /** The mask follows the Philox rule exactly: kept when uniform >= p, scaled by 1 / (1 - p). */
    @Test
    void dropoutMaskIsExact() {
        Random rnd = new Random(SEED + 7);
        int n = 3 * 7 * 13;
        float[] x = random(rnd, n);
        long offset = 17;
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            float scale = (float) (1 / (1 - p));
            try (Scope s = Kiln.scope()) {
                DropoutResult r = fast.dropout(device.fromArray(x, 3, 7, 13), p, SEED, offset);
                float[] mask = r.mask().toFloatArray(), out = r.out().toFloatArray();
                for (int i = 0; i < n; i++) {
                    float expect = Philox.uniform(SEED, offset, i) >= p ? scale : 0f;
                    org.junit.jupiter.api.Assertions.assertEquals(expect, mask[i], "mask " + i + " p=" + p);
                    org.junit.jupiter.api.Assertions.assertEquals(x[i] * expect, out[i], "out " + i + " p=" + p);
                }
            }
        }
    }

    /** Batch norm training (with running statistics), inference and backward over x [N, C, H, W]. */
    @Test
    void batchNormTrainingInferenceAndBackward() {
        Random rnd = new Random(SEED + 8);
        int n = 3, c = 5, sp = 7 * 9, count = n * sp;
        double eps = 1e-5, momentum = 0.1;
        float[] x = random(rnd, n * c * sp), w = random(rnd, c), b = random(rnd, c), gy = random(rnd, n * c * sp);
        float[] rm = random(rnd, c), rv = new float[c];
        for (int i = 0; i < c; i++) rv[i] = 1 + rnd.nextFloat();
        double[] y = new double[x.length], yi = new double[x.length], dx = new double[x.length];
        double[] mean = new double[c], rstd = new double[c], rmNew = new double[c], rvNew = new double[c], dw = new double[c], db = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) for (int s2 = 0; s2 < sp; s2++) m += x[(i * c + ch) * sp + s2];
            m /= count;
            for (int i = 0; i < n; i++) for (int s2 = 0; s2 < sp; s2++) v += Math.pow(x[(i * c + ch) * sp + s2] - m, 2);
            v /= count;
            mean[ch] = m;
            rstd[ch] = 1 / Math.sqrt(v + eps);
            rmNew[ch] = rm[ch] * (1 - momentum) + m * momentum;
            rvNew[ch] = rv[ch] * (1 - momentum) + v * momentum * count / (count - 1);
            for (int i = 0; i < n; i++) for (int s2 = 0; s2 < sp; s2++) {
                int k = (i * c + ch) * sp + s2;
                double xh = (x[k] - m) * rstd[ch];
                y[k] = xh * w[ch] + b[ch];
                yi[k] = (x[k] - rm[ch]) / Math.sqrt(rv[ch] + eps) * w[ch] + b[ch];
                db[ch] += gy[k];
                dw[ch] += gy[k] * xh;
            }
            for (int i = 0; i < n; i++) for (int s2 = 0; s2 < sp; s2++) {
                int k = (i * c + ch) * sp + s2;
                double xh = (x[k] - m) * rstd[ch];
                dx[k] = (gy[k] - db[ch] / count - xh * dw[ch] / count) * rstd[ch] * w[ch];
            }
        }
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, n, c, 7, 9), wt = device.fromArray(w, c), bt = device.fromArray(b, c);
            Tensor rmt = device.fromArray(rm, c), rvt = device.fromArray(rv, c);
            assertClose(yi, fast.batchNormInference(xt, wt, bt, rmt, rvt, eps).toFloatArray(), 1e-5, "batchNormInference");
            NormResult r = fast.batchNormTraining(xt, wt, bt, rmt, rvt, momentum, eps);
            assertClose(y, r.out().toFloatArray(), 1e-5, "batchNormTraining");
            assertClose(mean, r.mean().toFloatArray(), 1e-5, "batch mean");
            assertClose(rstd, r.rstd().toFloatArray(), 1e-5, "batch rstd");
            assertClose(rmNew, rmt.toFloatArray(), 1e-5, "running mean");
            assertClose(rvNew, rvt.toFloatArray(), 1e-5, "running var");
            NormGrads g = fast.batchNormBackward(device.fromArray(gy, n, c, 7, 9), xt, r, wt, bt);
            assertClose(dx, g.input().toFloatArray(), 1e-5, "batchNorm dx");
            assertClose(dw, g.weight().toFloatArray(), 1e-5, "batchNorm dweight");
            assertClose(db, g.bias().toFloatArray(), 1e-5, "batchNorm dbias");
        }
    }

    /** Local response norm (AlexNet's size 5) forward and backward against float64. */
    @Test
    void localResponseNorm() {
        Random rnd = new Random(SEED + 9);
        int n = 2, c = 7, sp = 13;
        LrnParams p = new LrnParams(5, 1e-4, 0.75, 2);
        float[] x = random(rnd, n * c * sp), gy = random(rnd, n * c * sp);
        double[] den = new double[x.length], y = new double[x.length], dx = new double[x.length];
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int s2 = 0; s2 < sp; s2++) {
            double sum = 0;
            for (int o = ch - p.size() / 2; o <= ch + (p.size() - 1) / 2; o++) {
                if (o >= 0 && o < c) sum += Math.pow(x[(i * c + o) * sp + s2], 2);
            }
            int k = (i * c + ch) * sp + s2;
            den[k] = p.k() + p.alpha() / p.size() * sum;
            y[k] = x[k] / Math.pow(den[k], p.beta());
        }
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int s2 = 0; s2 < sp; s2++) {
            int k = (i * c + ch) * sp + s2;
            double back = 0;
            for (int o = ch - (p.size() - 1) / 2; o <= ch + p.size() / 2; o++) {
                if (o < 0 || o >= c) continue;
                int j = (i * c + o) * sp + s2;
                back += gy[j] * y[j] / den[j];
            }
            dx[k] = gy[k] / Math.pow(den[k], p.beta()) - 2 * p.alpha() * p.beta() / p.size() * x[k] * back;
        }
        try (Scope s = Kiln.scope()) {
            Tensor xt = device.fromArray(x, n, c, sp, 1);
            Tensor yt = fast.lrn(xt, p);
            assertClose(y, yt.toFloatArray(), 1e-5, "lrn");
            assertClose(dx, fast.lrnBackward(device.fromArray(gy, n, c, sp, 1), xt, yt, p).toFloatArray(), 1e-5, "lrnBackward");
        }
    }

    /** Adaptive average pooling to sizes that do not divide the input (overlapping windows) and back. */
    @Test
    void adaptiveAveragePooling() {
        Random rnd = new Random(SEED + 10);
        int planes = 4, h = 10, w = 7, oh = 4, ow = 3;
        float[] x = random(rnd, planes * h * w), gy = random(rnd, planes * oh * ow);
        double[] y = new double[planes * oh * ow], gx = new double[x.length];
        for (int c = 0; c < planes; c++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            int hs = i * h / oh, he = Math.ceilDiv((i + 1) * h, oh), ws = j * w / ow, we = Math.ceilDiv((j + 1) * w, ow);
            int cnt = (he - hs) * (we - ws);
            double s2 = 0;
            for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) s2 += x[(c * h + a) * w + b];
            y[(c * oh + i) * ow + j] = s2 / cnt;
            for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) gx[(c * h + a) * w + b] += gy[(c * oh + i) * ow + j] / cnt;
        }
        try (Scope s = Kiln.scope()) {
            assertClose(y, fast.adaptiveAvgPool2d(device.fromArray(x, 2, 2, h, w), oh, ow).toFloatArray(), 1e-6, "adaptiveAvgPool2d");
            assertClose(gx, fast.adaptiveAvgPool2dBackward(device.fromArray(gy, 2, 2, oh, ow), Shape.of(2, 2, h, w)).toFloatArray(),
                    1e-6, "adaptiveAvgPool2dBackward");
        }
    }
}
