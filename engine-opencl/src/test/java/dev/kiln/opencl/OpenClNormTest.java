package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Device;
import dev.kiln.Kiln;
import dev.kiln.LrnParams;
import dev.kiln.NormGrads;
import dev.kiln.NormResult;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenClNorm's kernels (batch norm in training and its backward, local response norm's backward,
 * adaptive average pooling) against float64 references on fresh random inputs, and batch norm's
 * interchange with the composite.
 */
class OpenClNormTest extends OpenClTestSupport {
    private Device device;
    private FastPaths fast;

    @BeforeEach
    void device() {
        device = Kiln.device("opencl:0");
        fast = device.backend().fastPaths();
    }

    private float[] random(int n, double offset) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (offset + rnd.nextGaussian());
        return v;
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Channel of flat index i in [N, C, inner]. */
    private static int channel(int i, int c, int inner) { return (i / inner) % c; }

    private static final int[][] BN_SHAPES = {{1, 1, 2}, {2, 3, 13, 17}, {3, 129}, {7, 5, 1, 1}, {4, 2, 33, 31}};

    @Test
    void batchNormTrainingMatchesFloat64() {
        for (int[] shape : BN_SHAPES) {
            for (double offset : new double[] {0, 1e4}) {
                for (boolean affine : new boolean[] {true, false}) {
                    int n = numel(shape), c = shape[1], inner = n / (shape[0] * c);
                    long count = (long) shape[0] * inner;
                    float[] xs = random(n, offset), w = random(c, 1), b = random(c, 0);
                    float[] rm = random(c, 0), rv = random(c, 2);
                    for (int i = 0; i < c; i++) rv[i] = Math.abs(rv[i]);
                    double[] mean = new double[c], var = new double[c], absMean = new double[c];
                    for (int i = 0; i < n; i++) mean[channel(i, c, inner)] += xs[i] / (double) count;
                    for (int i = 0; i < n; i++) absMean[channel(i, c, inner)] += Math.abs(xs[i]) / (double) count;
                    for (int i = 0; i < n; i++) var[channel(i, c, inner)] += Math.pow(xs[i] - mean[channel(i, c, inner)], 2) / count;
                    double eps = 1e-5, momentum = 0.1;
                    double[] y = new double[n], rstd = new double[c], newRm = new double[c], newRv = new double[c];
                    double[] rmScale = new double[c];
                    for (int k = 0; k < c; k++) {
                        rstd[k] = 1 / Math.sqrt(var[k] + eps);
                        newRm[k] = (1 - momentum) * rm[k] + momentum * mean[k];
                        rmScale[k] = (1 - momentum) * Math.abs(rm[k]) + momentum * absMean[k];
                        newRv[k] = (1 - momentum) * rv[k] + momentum * var[k] * count / (count - 1);
                    }
                    for (int i = 0; i < n; i++) {
                        int k = channel(i, c, inner);
                        y[i] = (xs[i] - mean[k]) * rstd[k] * (affine ? w[k] : 1) + (affine ? b[k] : 0);
                    }
                    String what = "batchNormTraining " + Shape.of(shape) + " offset " + offset + " affine " + affine + seedNote();
                    try (Tensor x = device.fromArray(xs, shape); Tensor wt = device.fromArray(w, c); Tensor bt = device.fromArray(b, c);
                         Tensor rmt = device.fromArray(rm, c); Tensor rvt = device.fromArray(rv, c);
                         NormResult r = fast.batchNormTraining(x, affine ? wt : null, affine ? bt : null, rmt, rvt, momentum, eps)) {
                        // the mean is stored as a float: its half-ulp, times rstd, is an error floor of every
                        // x - mean (large at offset 1e4, and where few values lie close together)
                        double floor = 0;
                        for (int k = 0; k < c; k++) floor = Math.max(floor, 4 * 0x1p-24 * Math.abs(mean[k]) * rstd[k]);
                        double tol = Math.max(2e-6, floor);
                        Compare.close(what + " y", y, toDouble(r.out().toFloatArray()), tol);
                        // a mean cancels its terms: judged against the mean of |x|
                        Compare.closeToScale(what + " mean", mean, absMean, toDouble(r.mean().toFloatArray()), 2e-6);
                        Compare.close(what + " rstd", rstd, toDouble(r.rstd().toFloatArray()), tol);
                        Compare.closeToScale(what + " running mean", newRm, rmScale, toDouble(rmt.toFloatArray()), 2e-6);
                        Compare.close(what + " running var", newRv, toDouble(rvt.toFloatArray()), tol);
                    }
                }
            }
        }
    }

    /**
     * A mean of 1e4 against a spread of 1: the variance must come from the deviations, not from
     * E[x^2] - E[x]^2 (which loses every digit in float). The float inputs are the exact reference.
     */
    @Test
    void batchNormVarianceSurvivesALargeMean() {
        int n = 8, c = 2, inner = 1000;
        float[] xs = random(n * c * inner, 1e4);
        double[] mean = new double[c], var = new double[c];
        for (int i = 0; i < xs.length; i++) mean[channel(i, c, inner)] += xs[i] / (double) (n * inner);
        for (int i = 0; i < xs.length; i++) var[channel(i, c, inner)] += Math.pow(xs[i] - mean[channel(i, c, inner)], 2) / (n * inner);
        double[] rstd = new double[c];
        for (int k = 0; k < c; k++) rstd[k] = 1 / Math.sqrt(var[k] + 1e-5);
        try (Tensor x = device.fromArray(xs, n, c, inner); NormResult r = fast.batchNormTraining(x, null, null, null, null, 0.1, 1e-5)) {
            Compare.close("rstd at mean 1e4" + seedNote(), rstd, toDouble(r.rstd().toFloatArray()), 1e-4);
        }
    }

    @Test
    void batchNormBackwardMatchesFloat64AndTheComposite() {
        for (int[] shape : BN_SHAPES) {
            for (boolean affine : new boolean[] {true, false}) {
                int n = numel(shape), c = shape[1], inner = n / (shape[0] * c);
                long count = (long) shape[0] * inner;
                float[] xs = random(n, 0.5), gs = random(n, 0), w = random(c, 1), b = random(c, 0);
                String what = "batchNormBackward " + Shape.of(shape) + " affine " + affine + seedNote();
                try (Tensor x = device.fromArray(xs, shape); Tensor g = device.fromArray(gs, shape);
                     Tensor wt = device.fromArray(w, c); Tensor bt = device.fromArray(b, c);
                     NormResult mine = fast.batchNormTraining(x, affine ? wt : null, affine ? bt : null, null, null, 0.1, 1e-5);
                     NormResult theirs = FastPaths.COMPOSITE.batchNormTraining(x, affine ? wt : null, affine ? bt : null, null, null, 0.1, 1e-5)) {
                    float[] mu = mine.mean().toFloatArray(), rs = mine.rstd().toFloatArray();
                    double[] sumG = new double[c], sumGX = new double[c], absG = new double[c], absGX = new double[c];
                    for (int i = 0; i < n; i++) {
                        int k = channel(i, c, inner);
                        double xhat = (xs[i] - mu[k]) * (double) rs[k];
                        sumG[k] += gs[i];
                        sumGX[k] += gs[i] * xhat;
                        absG[k] += Math.abs(gs[i]);
                        absGX[k] += Math.abs(gs[i] * xhat);
                    }
                    double[] dx = new double[n], dxScale = new double[n];
                    for (int i = 0; i < n; i++) {
                        int k = channel(i, c, inner);
                        double xhat = (xs[i] - mu[k]) * (double) rs[k], scale = rs[k] * (affine ? w[k] : 1);
                        dx[i] = (gs[i] - sumG[k] / count - xhat * sumGX[k] / count) * scale;
                        dxScale[i] = (Math.abs(gs[i]) + absG[k] / count + Math.abs(xhat) * absGX[k] / count) * Math.abs(scale);
                    }
                    // both backwards read both forwards: the saved statistics are [C] on each side
                    for (NormResult forward : new NormResult[] {mine, theirs}) {
                        for (FastPaths path : new FastPaths[] {fast, FastPaths.COMPOSITE}) {
                            try (NormGrads grads = path.batchNormBackward(g, x, forward, affine ? wt : null, affine ? bt : null)) {
                                Tensor gx = grads.input(), gw = grads.weight(), gb = grads.bias();
                                {
                                    String who = what + (path == fast ? " opencl" : " composite") + " backward of "
                                            + (forward == mine ? "opencl" : "composite") + " forward";
                                    Compare.closeToScale(who + " dx", dx, dxScale, toDouble(gx.toFloatArray()), 1e-5);
                                    if (affine) {
                                        Compare.closeToScale(who + " dweight", sumGX, absGX, toDouble(gw.toFloatArray()), 1e-5);
                                        Compare.closeToScale(who + " dbias", sumG, absG, toDouble(gb.toFloatArray()), 1e-5);
                                    } else {
                                        assertTrue(gw == null && gb == null, who + ": no weight or bias, no gradients");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchNormPropagatesNaN() {
        float[] xs = random(2 * 3 * 4, 0);
        xs[5] = Float.NaN;   // channel 1 of image 0
        try (Tensor x = device.fromArray(xs, 2, 3, 4); NormResult r = fast.batchNormTraining(x, null, null, null, null, 0.1, 1e-5)) {
            float[] y = r.out().toFloatArray();
            for (int i = 0; i < y.length; i++) {
                boolean inChannel1 = channel(i, 3, 4) == 1;
                assertTrue(inChannel1 == Float.isNaN(y[i]), "element " + i + " is " + y[i] + seedNote());
            }
        }
    }

    @Test
    void lrnBackwardMatchesFloat64() {
        for (int[] shape : new int[][] {{1, 1, 3, 3}, {2, 7, 5, 3}, {3, 16, 1, 1}}) {
            for (int size : new int[] {1, 2, 5}) {
                int n = numel(shape), c = shape[1], inner = n / (shape[0] * c);
                LrnParams p = new LrnParams(size, 1e-2, 0.75, 2);
                float[] xs = random(n, 0), gs = random(n, 0);
                double[] d = new double[n], out = new double[n];
                for (int i = 0; i < n; i++) {
                    int k = channel(i, c, inner);
                    double s = 0;
                    for (int j = Math.max(0, k - size / 2); j <= Math.min(c - 1, k + (size - 1) / 2); j++) {
                        double v = xs[i + (j - k) * inner];
                        s += v * v;
                    }
                    d[i] = p.k() + p.alpha() / size * s;
                    out[i] = xs[i] / Math.pow(d[i], p.beta());
                }
                double[] dx = new double[n], scale = new double[n];
                for (int i = 0; i < n; i++) {
                    int k = channel(i, c, inner);
                    double back = 0, backAbs = 0;
                    for (int j = Math.max(0, k - (size - 1) / 2); j <= Math.min(c - 1, k + size / 2); j++) {
                        int at = i + (j - k) * inner;
                        back += gs[at] * out[at] / d[at];
                        backAbs += Math.abs(gs[at] * out[at] / d[at]);
                    }
                    double f = 2 * p.alpha() * p.beta() / size;
                    dx[i] = gs[i] / Math.pow(d[i], p.beta()) - f * xs[i] * back;
                    scale[i] = Math.abs(gs[i] / Math.pow(d[i], p.beta())) + f * Math.abs(xs[i]) * backAbs;
                }
                try (Tensor x = device.fromArray(xs, shape); Tensor g = device.fromArray(gs, shape); Tensor o = fast.lrn(x, p);
                     Tensor gx = fast.lrnBackward(g, x, o, p)) {
                    Compare.closeToScale("lrnBackward " + Shape.of(shape) + " size " + size + seedNote(), dx, scale,
                            toDouble(gx.toFloatArray()), 1e-5);
                }
            }
        }
    }

    @Test
    void adaptiveAvgPoolMatchesFloat64() {
        int[][] cases = {{1, 1, 1, 1, 1, 1}, {2, 3, 7, 7, 1, 1}, {1, 2, 13, 17, 5, 3}, {2, 1, 5, 4, 7, 9}, {1, 3, 10, 10, 3, 4}};
        for (int[] cs : cases) {
            int nn = cs[0], c = cs[1], h = cs[2], w = cs[3], oh = cs[4], ow = cs[5];
            int planes = nn * c;
            float[] xs = random(planes * h * w, 0), gs = random(planes * oh * ow, 0);
            double[] y = new double[planes * oh * ow], dx = new double[planes * h * w];
            for (int pl = 0; pl < planes; pl++) {
                for (int i = 0; i < oh; i++) {
                    int hs = i * h / oh, he = Math.ceilDiv((i + 1) * h, oh);
                    for (int j = 0; j < ow; j++) {
                        int ws = j * w / ow, we = Math.ceilDiv((j + 1) * w, ow);
                        int area = (he - hs) * (we - ws);
                        double s = 0;
                        for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) s += xs[(pl * h + a) * w + b];
                        int o = (pl * oh + i) * ow + j;
                        y[o] = s / area;
                        for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) dx[(pl * h + a) * w + b] += gs[o] / (double) area;
                    }
                }
            }
            String what = "adaptiveAvgPool2d [" + nn + ", " + c + ", " + h + ", " + w + "] -> " + oh + "x" + ow + seedNote();
            try (Tensor x = device.fromArray(xs, nn, c, h, w); Tensor g = device.fromArray(gs, nn, c, oh, ow);
                 Tensor out = fast.adaptiveAvgPool2d(x, oh, ow); Tensor gx = fast.adaptiveAvgPool2dBackward(g, x.shape())) {
                Compare.close(what, y, toDouble(out.toFloatArray()), 2e-6);
                Compare.close(what + " backward", dx, toDouble(gx.toFloatArray()), 2e-6);
            }
        }
    }

    /** A NaN reaches exactly the windows that hold it (an averaging matrix product would spread it to its whole row). */
    @Test
    void adaptiveAvgPoolNaNStaysInItsWindows() {
        float[] xs = random(8 * 8, 0);
        xs[0] = Float.NaN;
        try (Tensor x = device.fromArray(xs, 1, 1, 8, 8); Tensor out = fast.adaptiveAvgPool2d(x, 2, 2)) {
            float[] y = out.toFloatArray();
            assertTrue(Float.isNaN(y[0]) && !Float.isNaN(y[1]) && !Float.isNaN(y[2]) && !Float.isNaN(y[3]),
                    "outputs " + java.util.Arrays.toString(y));
        }
    }
}
