package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.AdamParams;
import dev.kiln.Device;
import dev.kiln.DropoutResult;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.Reduction;
import dev.kiln.SgdParams;
import dev.kiln.Tensor;
import dev.kiln.spi.FastPaths;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The training-loop kernels of train.cl and random.cl (OpenClTrainingOps) against float64 references
 * on fresh random inputs, and dropout bit for bit against the composite's Philox stream.
 */
class OpenClTrainingOpsTest extends OpenClTestSupport {
    private static final int IGNORE = -100;
    private Device device;

    @BeforeEach
    void device() { device = Kiln.device("opencl:0"); }

    private float[] random(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * rnd.nextGaussian());
        return v;
    }

    /** Per-row log-sum-exp in float64. */
    private static double lse(float[] x, int r, int c) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (int j = 0; j < c; j++) m = Math.max(m, x[r * c + j]);
        for (int j = 0; j < c; j++) s += Math.exp(x[r * c + j] - m);
        return m + Math.log(s);
    }

    @Test
    void crossEntropyForwardAndBackwardMatchFloat64() {
        for (int[] nc : new int[][] {{1, 1}, {7, 10}, {33, 1000}, {129, 3}}) {
            int n = nc[0], c = nc[1];
            for (double scale : new double[] {1, 8, 1e4}) {
                for (double smoothing : new double[] {0, 0.1}) {
                    float[] x = random(n * c, scale);
                    long[] t = new long[n];
                    int counted = 0;
                    for (int i = 0; i < n; i++) {
                        t[i] = i > 0 && rnd.nextInt(5) == 0 ? IGNORE : rnd.nextInt(c);
                        if (t[i] != IGNORE) counted++;
                    }
                    double[] loss = new double[n], lossScale = new double[n];
                    double sum = 0, sumScale = 0;
                    for (int i = 0; i < n; i++) {
                        if (t[i] == IGNORE) continue;
                        double l = lse(x, i, c), mean = 0, absMean = 0;
                        for (int j = 0; j < c; j++) { mean += x[i * c + j] / (double) c; absMean += Math.abs(x[i * c + j]) / c; }
                        loss[i] = (1 - smoothing) * (l - x[(int) (i * c + t[i])]) + smoothing * (l - mean);
                        lossScale[i] = Math.abs(l) + Math.abs(x[(int) (i * c + t[i])]) + smoothing * absMean;
                        sum += loss[i];
                        sumScale += lossScale[i];
                    }
                    float[] gradLoss = random(n, 1);
                    String what = "crossEntropy n " + n + " c " + c + " scale " + scale + " smoothing " + smoothing + seedNote();
                    try (Tensor logits = device.fromArray(x, n, c); Tensor target = device.fromArray(t, n);
                         Tensor none = Functional.crossEntropy(logits, target, IGNORE, smoothing, Reduction.NONE);
                         Tensor total = Functional.crossEntropy(logits, target, IGNORE, smoothing, Reduction.SUM);
                         Tensor mean = Functional.crossEntropy(logits, target, IGNORE, smoothing, Reduction.MEAN);
                         Tensor g = device.fromArray(gradLoss, n);
                         Tensor dNone = Functional.crossEntropyBackward(g, logits, target, IGNORE, smoothing, Reduction.NONE);
                         Tensor one = device.fromArray(new float[] {1.5f});
                         Tensor dMean = Functional.crossEntropyBackward(one, logits, target, IGNORE, smoothing, Reduction.MEAN)) {
                        Compare.closeToScale(what + " NONE", loss, lossScale, toDouble(none.toFloatArray()), 2e-6);
                        Compare.closeToScale(what + " SUM", new double[] {sum}, new double[] {sumScale},
                                toDouble(total.toFloatArray()), 2e-6);
                        Compare.closeToScale(what + " MEAN", new double[] {sum / counted}, new double[] {sumScale / counted},
                                toDouble(mean.toFloatArray()), 2e-6);
                        double[] refNone = new double[n * c], refMean = new double[n * c];
                        for (int i = 0; i < n; i++) {
                            if (t[i] == IGNORE) continue;
                            double l = lse(x, i, c);
                            for (int j = 0; j < c; j++) {
                                double d = Math.exp(x[i * c + j] - l) - smoothing / c - (j == t[i] ? 1 - smoothing : 0);
                                refNone[i * c + j] = gradLoss[i] * d;
                                refMean[i * c + j] = 1.5 * d / counted;
                            }
                        }
                        Compare.close(what + " backward NONE", refNone, toDouble(dNone.toFloatArray()), 1e-5);
                        Compare.close(what + " backward MEAN", refMean, toDouble(dMean.toFloatArray()), 1e-5);
                    }
                }
            }
        }
    }

    /** A target outside [0, C) that is not the ignore index must not pass as a number. */
    @Test
    void targetOutOfRangeGivesNaN() {
        try (Tensor logits = device.fromArray(random(6, 1), 2, 3); Tensor target = device.fromArray(new long[] {1, 3}, 2);
             Tensor loss = Functional.crossEntropy(logits, target, IGNORE, 0, Reduction.NONE);
             Tensor g = device.fromArray(new float[] {1, 1}, 2);
             Tensor grad = Functional.crossEntropyBackward(g, logits, target, IGNORE, 0, Reduction.NONE)) {
            float[] l = loss.toFloatArray(), d = grad.toFloatArray();
            assertTrue(Float.isFinite(l[0]) && Float.isNaN(l[1]), "losses " + l[0] + ", " + l[1]);
            for (int j = 0; j < 3; j++) {
                assertTrue(Float.isFinite(d[j]) && Float.isNaN(d[3 + j]), "gradient row 1 must be NaN" + seedNote());
            }
        }
    }

    /** An ignored row gives exactly 0 even when its logits are infinite or NaN; a NaN in a counted row propagates. */
    @Test
    void ignoredRowsAreZeroAndNaNPropagates() {
        float[] x = {Float.NEGATIVE_INFINITY, Float.NaN, 1, 0.5f, Float.NaN, 2};
        try (Tensor logits = device.fromArray(x, 2, 3); Tensor target = device.fromArray(new long[] {IGNORE, 0}, 2);
             Tensor loss = Functional.crossEntropy(logits, target, IGNORE, 0.1, Reduction.NONE);
             Tensor g = device.fromArray(new float[] {1, 1}, 2);
             Tensor grad = Functional.crossEntropyBackward(g, logits, target, IGNORE, 0.1, Reduction.NONE)) {
            float[] l = loss.toFloatArray(), d = grad.toFloatArray();
            assertEquals(0f, l[0]);
            assertTrue(Float.isNaN(l[1]), "a NaN logit in a counted row gives a NaN loss, got " + l[1]);
            for (int j = 0; j < 3; j++) {
                assertEquals(0f, d[j], "ignored row's gradient");
                assertTrue(Float.isNaN(d[3 + j]), "a NaN logit makes the row's gradient NaN, got " + d[3 + j]);
            }
        }
    }

    /** The same Philox words and threshold as the composite: the same mask and output, bit for bit. */
    @Test
    void dropoutIsTheCompositeBitForBit() {
        FastPaths fast = device.backend().fastPaths();
        for (int n : new int[] {1, 3, 4, 5, 1001}) {
            for (double p : new double[] {0, 0.3, 0.9}) {
                for (long offset : new long[] {0, 7}) {
                    long seed = rnd.nextLong();
                    float[] xs = random(n, 1);
                    try (Tensor x = device.fromArray(xs, n); DropoutResult mine = fast.dropout(x, p, seed, offset);
                         DropoutResult ref = FastPaths.COMPOSITE.dropout(x, p, seed, offset)) {
                        String what = "dropout n " + n + " p " + p + " offset " + offset + seedNote();
                        Compare.exact(what + " mask", toDouble(ref.mask().toFloatArray()), toDouble(mine.mask().toFloatArray()));
                        Compare.exact(what + " out", toDouble(ref.out().toFloatArray()), toDouble(mine.out().toFloatArray()));
                        if (p == 0.9 && n == 1001) {
                            int kept = 0;
                            for (float m : mine.mask().toFloatArray()) if (m != 0) kept++;
                            assertTrue(kept > 50 && kept < 160, "p 0.9 kept " + kept + " of 1001" + seedNote());
                        }
                    }
                }
            }
        }
    }

    /**
     * SGD in every variant, three steps in a row, on a parameter that is a slice sharing a larger
     * buffer (so the element offsets are exercised), against float64.
     */
    @Test
    void sgdStepsMatchFloat64() {
        int n = 1003;
        for (double momentum : new double[] {0, 0.9}) {
            for (boolean nesterov : momentum == 0 ? new boolean[] {false} : new boolean[] {false, true}) {
                for (double dampening : momentum == 0 || nesterov ? new double[] {0} : new double[] {0, 0.3}) {
                    for (double wd : new double[] {0, 1e-2}) {
                        SgdParams p = new SgdParams(0.05, momentum, dampening, wd, nesterov);
                        float[] p0 = random(2 * n, 1);
                        double[] param = new double[n], buf = new double[n];
                        for (int i = 0; i < n; i++) param[i] = p0[n + i];
                        try (Tensor whole = device.fromArray(p0, 2, n); Tensor slice = whole.narrow(0, 1, 1);
                             Tensor mb = device.zeros(1, n)) {
                            for (int step = 1; step <= 3; step++) {
                                float[] gs = random(n, 1);
                                for (int i = 0; i < n; i++) {
                                    double d = (float) gs[i] + wd * (float) param[i];
                                    if (momentum != 0) {
                                        buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                                        d = nesterov ? d + momentum * buf[i] : buf[i];
                                    }
                                    param[i] -= 0.05 * d;
                                }
                                try (Tensor g = device.fromArray(gs, 1, n)) {
                                    Functional.sgdStep(slice, g, momentum != 0 ? mb : null, step, p);
                                }
                                String what = "sgd " + p + " step " + step + seedNote();
                                Compare.close(what, param, toDouble(slice.toFloatArray()), 1e-6);
                                if (momentum != 0) Compare.close(what + " buffer", buf, toDouble(mb.toFloatArray()), 1e-5);
                            }
                            float[] all = whole.toFloatArray();
                            for (int i = 0; i < n; i++) assertEquals(p0[i], all[i], "the slice's neighbour must stay untouched");
                        }
                    }
                }
            }
        }
    }

    /** lr 0.1, so each step moves the parameters by about a tenth and the tolerance checks the update itself. */
    @Test
    void adamStepsMatchFloat64() {
        int n = 517;
        for (boolean decoupled : new boolean[] {false, true}) {
            for (double wd : new double[] {0, 0.05}) {
                AdamParams p = new AdamParams(0.1, 0.9, 0.999, 1e-8, wd, decoupled);
                float[] p0 = random(n, 1);
                double[] param = toDouble(p0), m = new double[n], v = new double[n];
                try (Tensor t = device.fromArray(p0, n); Tensor mt = device.zeros(n); Tensor vt = device.zeros(n)) {
                    for (int step = 1; step <= 3; step++) {
                        float[] gs = random(n, 1);
                        for (int i = 0; i < n; i++) {
                            double g = gs[i];
                            if (wd != 0) {
                                if (decoupled) param[i] *= 1 - 0.1 * wd;
                                else g += wd * param[i];
                            }
                            m[i] = 0.9 * m[i] + 0.1 * g;
                            v[i] = 0.999 * v[i] + 0.001 * g * g;
                            double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, step)) + 1e-8;
                            param[i] -= 0.1 / (1 - Math.pow(0.9, step)) * m[i] / denom;
                        }
                        try (Tensor g = device.fromArray(gs, n)) {
                            Functional.adamStep(t, g, mt, vt, step, p);
                        }
                        String what = "adam " + p + " step " + step + seedNote();
                        Compare.close(what, param, toDouble(t.toFloatArray()), 1e-6);
                        Compare.close(what + " m", m, toDouble(mt.toFloatArray()), 1e-5);
                        Compare.close(what + " v", v, toDouble(vt.toFloatArray()), 1e-5);
                    }
                }
            }
        }
    }
}
