package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.LrnParams;
import dev.kiln.Pool2dParams;
import dev.kiln.Tensor;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenCL fast paths through the public API, against float64 references. */
class OpenClFastPathsTest extends OpenClTestSupport {
    private Device device;

    @BeforeEach
    void device() { device = Kiln.device("opencl:0"); }

    private static int[] coords(int i, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) { c[d] = i % shape[d]; i /= shape[d]; }
        return c;
    }

    /** For every element, the flat indices of its row along {@code axis}. */
    private static int[] row(int i, int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        int start = i - coords(i, shape)[axis] * inner;
        int[] r = new int[shape[axis]];
        for (int j = 0; j < r.length; j++) r[j] = start + j * inner;
        return r;
    }

    private static float[] random(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * (2 * rnd.nextDouble() - 1));
        return v;
    }

    @Test
    void softmaxFamilyAlongEveryAxis() {
        assertInstanceOf(OpenClFastPaths.class, device.backend().fastPaths());
        long base = device.bytesInUse();
        for (int[] shape : new int[][] {{3, 7, 5}, {1}, {2, 129}, {129, 1, 3}}) {
            int n = 1;
            for (int d : shape) n *= d;
            for (int axis = 0; axis < shape.length; axis++) {
                float[] xs = random(rnd, n, 8), gs = random(rnd, n, 1);
                double[] sm = new double[n], lsm = new double[n], dsm = new double[n], dlsm = new double[n];
                double[] dsmScale = new double[n], dlsmScale = new double[n];   // the formulas over |terms|: both cancel along the axis
                for (int i = 0; i < n; i++) {
                    int[] r = row(i, shape, axis);
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (int j : r) m = Math.max(m, xs[j]);
                    for (int j : r) s += Math.exp(xs[j] - m);
                    sm[i] = Math.exp(xs[i] - m) / s;
                    lsm[i] = xs[i] - m - Math.log(s);
                }
                for (int i = 0; i < n; i++) {
                    int[] r = row(i, shape, axis);
                    double dot = 0, sg = 0, absDot = 0, absG = 0;
                    for (int j : r) {
                        dot += gs[j] * (float) sm[j];
                        sg += gs[j];
                        absDot += Math.abs(gs[j] * (float) sm[j]);
                        absG += Math.abs(gs[j]);
                    }
                    dsm[i] = (float) sm[i] * (gs[i] - dot);
                    dlsm[i] = gs[i] - Math.exp((float) lsm[i]) * sg;
                    dsmScale[i] = (float) sm[i] * (Math.abs(gs[i]) + absDot);
                    dlsmScale[i] = Math.abs(gs[i]) + Math.exp((float) lsm[i]) * absG;
                }
                try (Tensor x = device.fromArray(xs, shape); Tensor g = device.fromArray(gs, shape);
                     Tensor y = Functional.softmax(x, axis); Tensor ly = Functional.logSoftmax(x, axis);
                     Tensor yOut = device.fromArray(toFloat(sm), shape); Tensor lyOut = device.fromArray(toFloat(lsm), shape);
                     Tensor dy = Functional.softmaxBackward(g, yOut, axis); Tensor dly = Functional.logSoftmaxBackward(g, lyOut, axis)) {
                    String what = " " + java.util.Arrays.toString(shape) + " axis " + axis + seedNote();
                    Compare.close("softmax" + what, sm, toDouble(y.toFloatArray()), 2e-6);
                    Compare.close("logSoftmax" + what, lsm, toDouble(ly.toFloatArray()), 2e-6);
                    Compare.closeToScale("softmaxBackward" + what, dsm, dsmScale, toDouble(dy.toFloatArray()), 1e-5);
                    Compare.closeToScale("logSoftmaxBackward" + what, dlsm, dlsmScale, toDouble(dly.toFloatArray()), 1e-5);
                }
            }
        }
        assertEquals(base, device.bytesInUse(), "device bytes after closing every tensor" + seedNote());
    }

    @Test
    void nanInARowMakesTheRowNan() {
        try (Tensor x = device.fromArray(new float[] {1, Float.NaN, 2, 3, 4, 5}, 2, 3); Tensor y = Functional.softmax(x, 1)) {
            float[] out = y.toFloatArray();
            for (int i = 0; i < 3; i++) assertEquals(Float.NaN, out[i], "row with NaN");
            Compare.close("row without NaN", new double[] {Math.exp(-2) / (1 + Math.exp(-1) + Math.exp(-2)),
                    Math.exp(-1) / (1 + Math.exp(-1) + Math.exp(-2)), 1 / (1 + Math.exp(-1) + Math.exp(-2))},
                    toDouble(java.util.Arrays.copyOfRange(out, 3, 6)), 2e-6);
        }
    }

    /** PyTorch's pooling on the host: forward values and, for gradient g, the input gradient. */
    private static double[][] poolReference(boolean max, float[] x, int[] d, Pool2dParams p, float[] g) {
        int nc = d[0] * d[1], h = d[2], w = d[3], oh = p.outH(h), ow = p.outW(w);
        double[] y = new double[nc * oh * ow], dx = new double[nc * h * w];
        for (int c = 0; c < nc; c++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int hs = i * p.strideH() - p.padH(), ws = j * p.strideW() - p.padW();
                    int he = Math.min(hs + p.kernelH(), h + p.padH()), we = Math.min(ws + p.kernelW(), w + p.padW());
                    int padded = (he - hs) * (we - ws);
                    hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, h); we = Math.min(we, w);
                    int o = (c * oh + i) * ow + j;
                    if (max) {
                        double best = Double.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) {
                            double v = x[(c * h + a) * w + b];
                            if (at < 0 || v > best) { best = v; at = (c * h + a) * w + b; }
                        }
                        y[o] = best;
                        dx[at] += g[o];
                    } else {
                        int count = p.countIncludePad() ? padded : (he - hs) * (we - ws);
                        double s = 0;
                        for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) s += x[(c * h + a) * w + b];
                        y[o] = s / count;
                        for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) dx[(c * h + a) * w + b] += g[o] / (double) count;
                    }
                }
            }
        }
        return new double[][] {y, dx};
    }

    @Test
    void poolingForwardAndBackward() {
        long base = device.bytesInUse();
        Pool2dParams[] params = {Pool2dParams.of(3, 2, 1), Pool2dParams.of(2, 2, 0).withCeilMode(true),
                new Pool2dParams(3, 2, 1, 2, 1, 1, false, false), Pool2dParams.of(3, 1, 1).withCountIncludePad(false),
                Pool2dParams.of(3, 3, 0).withCeilMode(true), Pool2dParams.of(1, 1, 0)};
        int[][] shapes = {{2, 3, 7, 9}, {1, 1, 1, 1}, {1, 2, 8, 5}};
        for (int[] d : shapes) {
            for (Pool2dParams p : params) {
                if (p.outH(d[2]) < 1 || p.outW(d[3]) < 1) continue;
                int n = d[0] * d[1] * d[2] * d[3];
                float[] xs = random(rnd, n, 3);
                if (rnd.nextBoolean()) for (int i = 0; i < d[2] * d[3]; i++) xs[i] = 1;   // ties: first maximum wins
                int[] od = {d[0], d[1], p.outH(d[2]), p.outW(d[3])};
                float[] gs = random(rnd, od[0] * od[1] * od[2] * od[3], 1);
                String what = " " + java.util.Arrays.toString(d) + " " + p + seedNote();
                for (boolean max : new boolean[] {true, false}) {
                    double[][] ref = poolReference(max, xs, d, p, gs);
                    try (Tensor x = device.fromArray(xs, d); Tensor g = device.fromArray(gs, od);
                         Tensor y = max ? Functional.maxPool2d(x, p) : Functional.avgPool2d(x, p);
                         Tensor dx = max ? Functional.maxPool2dBackward(g, x, y, p) : Functional.avgPool2dBackward(g, x.shape(), p)) {
                        Compare.close((max ? "maxPool2d" : "avgPool2d") + what, ref[0], toDouble(y.toFloatArray()), 2e-6);
                        Compare.close((max ? "maxPool2dBackward" : "avgPool2dBackward") + what, ref[1], toDouble(dx.toFloatArray()), 2e-6);
                    }
                }
            }
        }
        assertEquals(base, device.bytesInUse(), "device bytes after closing every tensor" + seedNote());
    }

    @Test
    void batchNormInferenceAndLrn() {
        long base = device.bytesInUse();
        for (int[] d : new int[][] {{2, 5, 3, 7}, {1, 1, 1}, {3, 7, 129}}) {
            int n = 1, c = d[1];
            for (int v : d) n *= v;
            int inner = n / (d[0] * c);
            float[] xs = random(rnd, n, 2), w = random(rnd, c, 1), b = random(rnd, c, 1), m = random(rnd, c, 1), var = random(rnd, c, 1);
            for (int i = 0; i < c; i++) var[i] = Math.abs(var[i]) + 0.1f;
            double eps = 1e-5;
            double[] bn = new double[n], bnPlain = new double[n];
            for (int i = 0; i < n; i++) {
                int ch = (i / inner) % c;
                double z = (xs[i] - m[ch]) / Math.sqrt(var[ch] + eps);
                bn[i] = z * w[ch] + b[ch];
                bnPlain[i] = z;
            }
            String what = " " + java.util.Arrays.toString(d) + seedNote();
            try (Tensor x = device.fromArray(xs, d); Tensor wt = device.fromArray(w, c); Tensor bt = device.fromArray(b, c);
                 Tensor mt = device.fromArray(m, c); Tensor vt = device.fromArray(var, c);
                 Tensor y = Functional.batchNormInference(x, wt, bt, mt, vt, eps);
                 Tensor y0 = Functional.batchNormInference(x, null, null, mt, vt, eps)) {
                Compare.close("batchNormInference" + what, bn, toDouble(y.toFloatArray()), 2e-6);
                Compare.close("batchNormInference without affine" + what, bnPlain, toDouble(y0.toFloatArray()), 2e-6);
            }
            for (LrnParams p : new LrnParams[] {new LrnParams(5, 1e-4, 0.75, 2), new LrnParams(2, 0.5, 0.5, 1), new LrnParams(1, 1, 1, 1)}) {
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) {
                    int ch = (i / inner) % c;
                    double s = 0;
                    for (int j = ch - p.size() / 2; j <= ch + (p.size() - 1) / 2; j++) {
                        if (j < 0 || j >= c) continue;
                        double v = xs[i + (j - ch) * inner];
                        s += v * v;
                    }
                    ref[i] = xs[i] / Math.pow(p.k() + p.alpha() / p.size() * s, p.beta());
                }
                try (Tensor x = device.fromArray(xs, d); Tensor y = Functional.lrn(x, p)) {
                    Compare.close("lrn " + p + what, ref, toDouble(y.toFloatArray()), 2e-6);
                }
            }
        }
        assertEquals(base, device.bytesInUse(), "device bytes after closing every tensor" + seedNote());
    }

    /**
     * Layer norm on long rows whose mean (100) is large against their spread (1), where a one-pass
     * or uncompensated float mean would shift every output; forward (out, mean, rstd) and backward
     * (input, weight and bias gradients) against float64 formulas, with and without the affine part.
     */
    @Test
    void layerNormLongRowsWithALargeMean() {
        long base = device.bytesInUse();
        double eps = 1e-5;
        for (int[] shape : new int[][] {{2, 1000}, {3, 4, 129}, {5, 1}}) {
            for (int k : new int[] {1, 2}) {
                if (k > shape.length) continue;
                int len = 1;
                for (int d = shape.length - k; d < shape.length; d++) len *= shape[d];
                int n = 1;
                for (int d : shape) n *= d;
                int rows = n / len;
                int[] pShape = java.util.Arrays.copyOfRange(shape, shape.length - k, shape.length);
                float[] xs = random(rnd, n, 1), gs = random(rnd, n, 1), ws = random(rnd, len, 2), bs = random(rnd, len, 1);
                for (int i = 0; i < n; i++) xs[i] += 100f;
                for (boolean affine : new boolean[] {true, false}) {
                    double[] out = new double[n], mean = new double[rows], rstd = new double[rows];
                    double[] dx = new double[n], dxScale = new double[n], dw = new double[len], db = new double[len];
                    for (int r = 0; r < rows; r++) {
                        double m = 0, v = 0;
                        for (int i = 0; i < len; i++) m += xs[r * len + i];
                        m /= len;
                        for (int i = 0; i < len; i++) v += (xs[r * len + i] - m) * (xs[r * len + i] - m);
                        double rs = 1 / Math.sqrt(v / len + eps);
                        mean[r] = m;
                        rstd[r] = rs;
                        double mg = 0, mgx = 0, amg = 0, amgx = 0;
                        for (int i = 0; i < len; i++) {
                            int e = r * len + i;
                            double xhat = (xs[e] - m) * rs, g = affine ? gs[e] * ws[i] : gs[e];
                            out[e] = affine ? xhat * ws[i] + bs[i] : xhat;
                            mg += g / len;
                            mgx += g * xhat / len;
                            amg += Math.abs(g) / len;
                            amgx += Math.abs(g * xhat) / len;
                            dw[i] += gs[e] * xhat;
                            db[i] += gs[e];
                        }
                        for (int i = 0; i < len; i++) {
                            int e = r * len + i;
                            double xhat = (xs[e] - m) * rs, g = affine ? gs[e] * ws[i] : gs[e];
                            dx[e] = rs * (g - mg - xhat * mgx);
                            dxScale[e] = rs * (Math.abs(g) + amg + Math.abs(xhat) * amgx);
                        }
                    }
                    String what = " " + java.util.Arrays.toString(shape) + " over " + k + (affine ? " affine" : "") + seedNote();
                    try (Tensor x = device.fromArray(xs, shape); Tensor g = device.fromArray(gs, shape);
                         Tensor w = affine ? device.fromArray(ws, pShape) : null; Tensor b = affine ? device.fromArray(bs, pShape) : null;
                         var fwd = Functional.layerNorm(x, k, w, b, eps);
                         var grads = Functional.layerNormBackward(g, x, fwd, w, b, k)) {
                        // the mean (about 100) is stored in float: its half-ulp, scaled by rstd, is an error floor of
                        // every xhat, which short rows with a small spread (large rstd) reach
                        double maxRstd = java.util.Arrays.stream(rstd).max().orElse(1);
                        double outTol = Math.max(1e-5, 4 * 0x1p-24 * 100 * maxRstd);
                        Compare.close("layerNorm out" + what, out, toDouble(fwd.out().toFloatArray()), outTol);
                        Compare.close("layerNorm mean" + what, mean, toDouble(fwd.mean().toFloatArray()), 1e-6);
                        Compare.close("layerNorm rstd" + what, rstd, toDouble(fwd.rstd().toFloatArray()), 1e-4);
                        Compare.closeToScale("layerNormBackward input" + what, dx, dxScale, toDouble(grads.input().toFloatArray()), 1e-4);
                        if (affine) {
                            Compare.close("layerNormBackward weight" + what, dw, toDouble(grads.weight().toFloatArray()), 1e-4);
                            Compare.close("layerNormBackward bias" + what, db, toDouble(grads.bias().toFloatArray()), 1e-5);
                        }
                    }
                }
            }
        }
        assertEquals(base, device.bytesInUse(), "device bytes after closing every tensor" + seedNote());
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
