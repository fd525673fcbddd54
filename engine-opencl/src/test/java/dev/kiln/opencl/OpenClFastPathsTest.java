package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
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
                    double dot = 0, sg = 0;
                    for (int j : r) { dot += gs[j] * (float) sm[j]; sg += gs[j]; }
                    dsm[i] = (float) sm[i] * (gs[i] - dot);
                    dlsm[i] = gs[i] - Math.exp((float) lsm[i]) * sg;
                }
                try (Tensor x = device.fromArray(xs, shape); Tensor g = device.fromArray(gs, shape);
                     Tensor y = Functional.softmax(x, axis); Tensor ly = Functional.logSoftmax(x, axis);
                     Tensor yOut = device.fromArray(toFloat(sm), shape); Tensor lyOut = device.fromArray(toFloat(lsm), shape);
                     Tensor dy = Functional.softmaxBackward(g, yOut, axis); Tensor dly = Functional.logSoftmaxBackward(g, lyOut, axis)) {
                    String what = " " + java.util.Arrays.toString(shape) + " axis " + axis + seedNote();
                    Compare.close("softmax" + what, sm, toDouble(y.toFloatArray()), 2e-6);
                    Compare.close("logSoftmax" + what, lsm, toDouble(ly.toFloatArray()), 2e-6);
                    Compare.close("softmaxBackward" + what, dsm, toDouble(dy.toFloatArray()), 1e-5);
                    Compare.close("logSoftmaxBackward" + what, dlsm, toDouble(dly.toFloatArray()), 1e-5);
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

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
