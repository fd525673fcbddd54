package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.kiln.Conv2dParams;
import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The im2col + GEMM convolution ({@link OpenClConv}) forward, backward data and backward filter
 * against a float64 host convolution: chunks of images that do not divide the batch, groups
 * (fewer and more than the images of a chunk), dilation, stride with padding, 1x1 with and without
 * the no-columns path, and every GEMM kernel of the backend.
 */
class OpenClConvolutionTest extends OpenClTestSupport {
    /** Sums that may cancel are judged against the same sums over |terms|. */
    private static final double TOL = 1e-5;

    private Device device;
    private OpenClConv conv;

    @BeforeEach
    void device() {
        device = Kiln.device("opencl:0");
        assertInstanceOf(OpenClFastPaths.class, device.backend().fastPaths());
        conv = ((OpenClFastPaths) device.backend().fastPaths()).conv();
    }

    @AfterEach
    void defaultBudget() {
        if (conv != null) {
            conv.columnBudget(OpenClConv.DEFAULT_COLUMN_BUDGET);
            conv.method(OpenClConv.Method.AUTO);
        }
    }

    /** One convolution: x [n, c, h, w], weight [oc, c / groups, kh, kw]. */
    private record Case(int n, int c, int h, int w, int oc, int kh, int kw, Conv2dParams p) {
        int oh() { return p.outH(h, kh); }
        int ow() { return p.outW(w, kw); }
        int[] xShape() { return new int[] {n, c, h, w}; }
        int[] wShape() { return new int[] {oc, c / p.groups(), kh, kw}; }
        int[] yShape() { return new int[] {n, oc, oh(), ow()}; }
    }

    /** Host convolution in float64: {y, |y| terms} and for gradient gy {dx, |dx|, dw, |dw|}. */
    private static double[][] reference(Case k, float[] x, float[] wt, float[] bias, float[] gy) {
        int g = k.p.groups(), cg = k.c / g, ocg = k.oc / g, oh = k.oh(), ow = k.ow();
        double[] y = new double[k.n * k.oc * oh * ow], ys = new double[y.length];
        double[] dx = new double[x.length], dxs = new double[x.length], dw = new double[wt.length], dws = new double[wt.length];
        for (int n = 0; n < k.n; n++) for (int o = 0; o < k.oc; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            int yi = ((n * k.oc + o) * oh + i) * ow + j;
            double s = bias == null ? 0 : bias[o], a = Math.abs(s);
            for (int ci = 0; ci < cg; ci++) for (int a1 = 0; a1 < k.kh; a1++) for (int b1 = 0; b1 < k.kw; b1++) {
                int ih = i * k.p.strideH() - k.p.padH() + a1 * k.p.dilationH(), iw = j * k.p.strideW() - k.p.padW() + b1 * k.p.dilationW();
                if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
                int c = (o / ocg) * cg + ci;
                int xi = ((n * k.c + c) * k.h + ih) * k.w + iw, wi = ((o * cg + ci) * k.kh + a1) * k.kw + b1;
                s += (double) x[xi] * wt[wi];
                a += Math.abs((double) x[xi] * wt[wi]);
                dx[xi] += (double) gy[yi] * wt[wi];
                dxs[xi] += Math.abs((double) gy[yi] * wt[wi]);
                dw[wi] += (double) gy[yi] * x[xi];
                dws[wi] += Math.abs((double) gy[yi] * x[xi]);
            }
            y[yi] = s;
            ys[yi] = a;
        }
        return new double[][] {y, ys, dx, dxs, dw, dws};
    }

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (2 * rnd.nextDouble() - 1);
        return v;
    }

    private static int size(int[] shape) { return Arrays.stream(shape).reduce(1, (a, b) -> a * b); }

    /** Runs all three directions of {@code k} by each method (direct kernels, im2col + GEMM, the rule) against the host reference. */
    private void check(Case k, boolean withBias) {
        for (OpenClConv.Method m : OpenClConv.Method.values()) {
            conv.method(m);
            try {
                check(k, withBias, m);
            } finally {
                conv.method(OpenClConv.Method.AUTO);
            }
        }
    }

    private void check(Case k, boolean withBias, OpenClConv.Method method) {
        float[] x = random(size(k.xShape())), wt = random(size(k.wShape())), gy = random(size(k.yShape()));
        float[] bias = withBias ? random(k.oc) : null;
        double[][] ref = reference(k, x, wt, bias, gy);
        String what = k + (withBias ? " with bias" : "") + " by " + method + seedNote();
        long base = device.bytesInUse();
        try (Tensor xt = device.fromArray(x, k.xShape());
             Tensor wtt = device.fromArray(wt, k.wShape());
             Tensor bt = withBias ? device.fromArray(bias, k.oc) : null;
             Tensor gyt = device.fromArray(gy, k.yShape());
             Tensor y = Functional.conv2d(xt, wtt, bt, k.p);
             Tensor dx = Functional.conv2dBackwardData(gyt, wtt, Shape.of(k.xShape()), k.p);
             Tensor dw = Functional.conv2dBackwardFilter(gyt, xt, Shape.of(k.wShape()), k.p)) {
            Compare.closeToScale("conv2d " + what, ref[0], ref[1], toDouble(y.toFloatArray()), TOL);
            Compare.closeToScale("conv2dBackwardData " + what, ref[2], ref[3], toDouble(dx.toFloatArray()), TOL);
            Compare.closeToScale("conv2dBackwardFilter " + what, ref[4], ref[5], toDouble(dw.toFloatArray()), TOL);
        }
        backend.synchronize();
        assertEquals(base, device.bytesInUse(), "device bytes after " + what);
    }

    private static Case of(int n, int c, int h, int w, int oc, int kh, int kw, Conv2dParams p) {
        return new Case(n, c, h, w, oc, kh, kw, p);
    }

    @Test
    void chunksThatDoNotDivideTheBatch() {
        Case k = of(5, 3, 9, 7, 4, 3, 3, Conv2dParams.of(1, 1));
        long perImage = (long) k.c * k.kh * k.kw * k.oh() * k.ow() * Float.BYTES;
        for (long budget : new long[] {1, 2 * perImage, 3 * perImage + 1, 4 * perImage, OpenClConv.DEFAULT_COLUMN_BUDGET}) {
            conv.columnBudget(budget);
            check(k, true);
        }
    }

    @Test
    void groupsFewerAndMoreThanTheImagesOfAChunk() {
        conv.columnBudget(1);   // one image per chunk: groups batched per image
        check(of(3, 6, 8, 8, 4, 3, 3, Conv2dParams.of(1, 1).withGroups(2)), true);
        check(of(2, 4, 7, 9, 8, 3, 3, Conv2dParams.of(2, 1).withGroups(4)), false);   // depthwise, two filters per channel
        conv.columnBudget(OpenClConv.DEFAULT_COLUMN_BUDGET);   // all images in one chunk: images batched per group
        check(of(7, 6, 8, 8, 6, 3, 3, Conv2dParams.of(1, 1).withGroups(3)), true);
        check(of(2, 4, 7, 9, 8, 3, 3, Conv2dParams.of(2, 1).withGroups(4)), true);
    }

    @Test
    void dilationStrideAndPadding() {
        check(of(2, 3, 13, 11, 5, 3, 3, Conv2dParams.of(1, 2).withDilation(2)), true);
        check(of(2, 3, 12, 15, 4, 3, 2, new Conv2dParams(2, 3, 1, 2, 2, 1, 1)), false);
        check(of(3, 2, 11, 11, 3, 5, 5, Conv2dParams.of(2, 2)), true);
        check(of(1, 3, 23, 23, 4, 11, 11, Conv2dParams.of(4, 2)), true);   // AlexNet's first layer, small
        check(of(1, 1, 1, 1, 1, 1, 1, Conv2dParams.of(1, 0)), true);
        check(of(1, 2, 1, 1, 3, 3, 3, Conv2dParams.of(1, 1)), false);   // every tap but the centre is padding
    }

    @Test
    void oneByOne() {
        check(of(3, 7, 5, 6, 9, 1, 1, Conv2dParams.of(1, 0)), true);   // the images are the columns
        check(of(3, 8, 5, 6, 4, 1, 1, Conv2dParams.of(1, 0).withGroups(4)), false);
        check(of(3, 7, 9, 8, 5, 1, 1, Conv2dParams.of(2, 0)), true);
        check(of(2, 3, 4, 4, 2, 1, 1, Conv2dParams.of(1, 1)), true);
        conv.columnBudget(1);
        check(of(5, 7, 5, 6, 9, 1, 1, Conv2dParams.of(1, 0)), true);
    }

    @Test
    void everyGemmKernel() {
        Case k = of(3, 4, 9, 10, 6, 3, 3, Conv2dParams.of(2, 1).withGroups(2));
        OpenClBackend b = (OpenClBackend) backend;
        Gemm.Kernel chosen = b.gemmKernel();
        for (Gemm.Kernel kernel : Gemm.Kernel.values()) {
            b.useGemmKernel(kernel);
            b.useClBlast(false);
            try {
                conv.columnBudget(1);
                check(k, true);
                conv.columnBudget(OpenClConv.DEFAULT_COLUMN_BUDGET);
                check(k, true);
            } finally {
                b.useClBlast(true);
                b.useGemmKernel(chosen);
            }
        }
    }

    @Test
    void nanInTheInputReachesOnlyTheOutputsItTouches() {
        Case k = of(1, 1, 5, 5, 1, 3, 3, Conv2dParams.of(1, 0));
        float[] x = new float[25];
        Arrays.fill(x, 1f);
        x[0] = Float.NaN;   // touched only by the window at (0, 0)
        for (OpenClConv.Method m : OpenClConv.Method.values()) {
            conv.method(m);
            try (Tensor xt = device.fromArray(x, k.xShape()); Tensor wt = device.fromArray(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, k.wShape());
                 Tensor y = Functional.conv2d(xt, wt, null, k.p)) {
                double[] ref = {Double.NaN, 9, 9, 9, 9, 9, 9, 9, 9};
                Compare.close("conv2d with a NaN by " + m + seedNote(), ref, toDouble(y.toFloatArray()), 0);
            }
        }
    }
}
