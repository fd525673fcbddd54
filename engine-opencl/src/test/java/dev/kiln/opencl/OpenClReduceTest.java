package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OpenClReduceTest extends OpenClTestSupport {

    /** Reduces x over the axes where outShape is 1 (and x is not), on the host in float64. */
    private static double[] reference(ReduceOp op, HostArray x, int[] outShape) { return reference(op, x, outShape, false); }

    /** With {@code magnitudes}, reduces |x| instead: the scale a float32 sum's rounding error is proportional to. */
    private static double[] reference(ReduceOp op, HostArray x, int[] outShape, boolean magnitudes) {
        int r = outShape.length;
        int outN = 1;
        for (int d : outShape) outN *= d;
        double[] acc = new double[outN];
        long[] argIdx = new long[outN];
        boolean[] seen = new boolean[outN];
        int[] xs = x.view.shape();
        for (int i = 0; i < x.numel(); i++) {
            long rem = i;
            int o = 0, along = 0, mul = 1;
            int[] coord = new int[r];
            for (int d = r - 1; d >= 0; d--) { coord[d] = (int) (rem % xs[d]); rem /= xs[d]; }
            for (int d = 0; d < r; d++) {
                int c = outShape[d] == 1 ? 0 : coord[d];
                o = o * outShape[d] + c;
                if (outShape[d] == 1 && xs[d] != 1) along = coord[d];
            }
            double v = magnitudes ? Math.abs(x.get(i)) : x.get(i);
            if (!seen[o]) {
                seen[o] = true;
                acc[o] = switch (op) { case ARGMAX, ARGMIN -> v; default -> v; };
                argIdx[o] = along;
                continue;
            }
            switch (op) {
                case SUM -> acc[o] += v;
                case PROD -> acc[o] *= v;
                case MAX -> acc[o] = Double.isNaN(acc[o]) || Double.isNaN(v) ? Double.NaN : Math.max(acc[o], v);
                case MIN -> acc[o] = Double.isNaN(acc[o]) || Double.isNaN(v) ? Double.NaN : Math.min(acc[o], v);
                case ARGMAX, ARGMIN -> {
                    boolean better;
                    if (Double.isNaN(acc[o])) better = false;
                    else if (Double.isNaN(v)) better = true;
                    else better = op == ReduceOp.ARGMAX ? v > acc[o] : v < acc[o];
                    if (better) { acc[o] = v; argIdx[o] = along; }
                }
            }
        }
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
            for (int o = 0; o < outN; o++) acc[o] = argIdx[o];
        }
        return acc;
    }

    private void check(ReduceOp op, DType in, DType out, int[] xShape, int[] outShape, double lo, double hi) {
        try (HostArray x = HostArray.strided(backend, in, rnd, xShape); HostArray y = HostArray.strided(backend, out, rnd, outShape)) {
            x.random(rnd, lo, hi);
            y.poison();
            backend.reduce(op, x.view, y.view);
            y.download();
            double[] ref = reference(op, x, outShape);
            boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
            for (int i = 0; i < ref.length; i++) ref[i] = arg ? ref[i] : HostArray.cast(out, ref[i]);
            String what = "reduce " + op + " " + in + " " + x.view + " -> " + y.view + seedNote();
            if (arg || !in.isFloating()) Compare.exact(what, ref, y.values());
            else if (op == ReduceOp.SUM) {
                // signed terms may cancel: judge the sum against the sum of their magnitudes
                Compare.closeToScale(what, ref, reference(op, x, outShape, true), y.values(), Math.max(Compare.tolerance(in), 1e-6));
            } else Compare.close(what, ref, y.values(), Math.max(Compare.tolerance(in), 1e-6) * (op == ReduceOp.PROD ? 4 : 1));
            assertTrue(y.untouchedOutsideView(), what + ": wrote outside the output view");
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reducesEveryAxisCombination(ReduceOp op) {
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        DType outInt = DType.I64;
        double lo = op == ReduceOp.PROD ? 0.8 : -3, hi = op == ReduceOp.PROD ? 1.25 : 3;
        int[] x = {3, 7, 5};
        int[][] outs = arg ? new int[][] {{1, 7, 5}, {3, 1, 5}, {3, 7, 1}}
                : new int[][] {{1, 7, 5}, {3, 1, 5}, {3, 7, 1}, {1, 1, 5}, {1, 7, 1}, {1, 1, 1}, {3, 7, 5}};
        for (int[] out : outs) check(op, DType.F32, arg ? outInt : DType.F32, x, out, lo, hi);
        check(op, DType.F32, arg ? DType.I32 : DType.F32, new int[] {1}, new int[] {1}, lo, hi);
        check(op, DType.F32, arg ? outInt : DType.F32, new int[] {2, 3000}, new int[] {2, 1}, lo, hi);   // group kernel
        check(op, DType.F32, arg ? outInt : DType.F32, new int[] {129, 7}, new int[] {129, 1}, lo, hi);
        check(op, DType.F16, arg ? outInt : DType.F16, new int[] {5, 33}, new int[] {5, 1}, lo, hi);
        check(op, DType.BF16, arg ? outInt : DType.F32, new int[] {4, 600}, new int[] {1, 600}, lo, hi);
        if (op != ReduceOp.PROD) {
            check(op, DType.I32, arg ? outInt : DType.I32, new int[] {6, 129}, new int[] {6, 1}, -50, 50);
            check(op, DType.I64, arg ? DType.I32 : DType.I64, new int[] {2, 3, 1000}, new int[] {2, 3, 1}, -50, 50);
        }
        if (!arg) check(op, DType.F32, DType.F32, new int[] {2, 1, 3, 2, 1, 2, 3, 2}, new int[] {1, 1, 3, 1, 1, 2, 1, 2}, lo, hi);
    }

    @Test
    void sumOfManyElementsStaysAccurate() {
        // 2^22 values around 1 summed in float32 naively lose ~1e-3 relative; the kernel must not.
        int n = 1 << 22;
        for (int[] out : new int[][] {{1}, {1}}) {
            try (HostArray x = HostArray.contiguous(backend, DType.F32, n); HostArray y = HostArray.contiguous(backend, DType.F32, out)) {
                x.random(rnd, 0.9, 1.1);
                backend.reduce(ReduceOp.SUM, x.view, y.view);
                double ref = 0;
                for (double v : x.data) ref += v;
                Compare.close("sum of 2^22" + seedNote(), new double[] {ref}, y.download().values(), 1e-6);
            }
        }
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 1, n); HostArray y = HostArray.contiguous(backend, DType.F32, 1, 1)) {
            x.random(rnd, 0.9, 1.1);
            backend.reduce(ReduceOp.SUM, x.view, y.view);
            double ref = 0;
            for (double v : x.data) ref += v;
            Compare.close("sum of 2^22 in one thread" + seedNote(), new double[] {ref}, y.download().values(), 1e-6);
        }
    }

    @Test
    void nanPropagatesAndArgTiesPickTheFirstIndex() {
        double[] row0 = {1, 5, 5, 2, 5};                     // ties: first 5 at index 1, first 1 at 0
        double[] row1 = {3, Double.NaN, 7, Double.NaN, -1};  // NaN: max/min NaN, arg the first NaN (1)
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 2, 5); HostArray y = HostArray.contiguous(backend, DType.F32, 2, 1);
             HostArray idx = HostArray.contiguous(backend, DType.I64, 2, 1)) {
            for (int i = 0; i < 5; i++) { x.data[i] = row0[i]; x.data[5 + i] = row1[i]; }
            x.upload();
            backend.reduce(ReduceOp.MAX, x.view, y.view);
            Compare.exact("max with NaN", new double[] {5, Double.NaN}, y.download().values());
            backend.reduce(ReduceOp.MIN, x.view, y.view);
            Compare.exact("min with NaN", new double[] {1, Double.NaN}, y.download().values());
            backend.reduce(ReduceOp.ARGMAX, x.view, idx.view);
            Compare.exact("argmax ties and NaN", new double[] {1, 1}, idx.download().values());
            backend.reduce(ReduceOp.ARGMIN, x.view, idx.view);
            Compare.exact("argmin ties and NaN", new double[] {0, 1}, idx.download().values());
        }
        // The same through the work-group kernel: a long row of one repeated maximum.
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 1, 5000); HostArray idx = HostArray.contiguous(backend, DType.I32, 1, 1)) {
            java.util.Arrays.fill(x.data, 2);
            x.data[4321] = 9;
            x.data[4999] = 9;
            x.upload();
            backend.reduce(ReduceOp.ARGMAX, x.view, idx.view);
            Compare.exact("argmax in a work group", new double[] {4321}, idx.download().values());
            x.data[777] = Double.NaN;
            x.data[3000] = Double.NaN;
            x.upload();
            backend.reduce(ReduceOp.ARGMAX, x.view, idx.view);
            Compare.exact("argmax first NaN in a work group", new double[] {777}, idx.download().values());
        }
    }

    @Test
    void rejectsOutputsThatDoNotFit() {
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 3, 4); HostArray y = HostArray.contiguous(backend, DType.F32, 2, 1);
             HostArray z = HostArray.contiguous(backend, DType.F32, 1, 1); HostArray w = HostArray.contiguous(backend, DType.I64, 1, 1)) {
            assertThrows(ShapeException.class, () -> backend.reduce(ReduceOp.SUM, x.view, y.view));
            assertThrows(ShapeException.class, () -> backend.reduce(ReduceOp.ARGMAX, x.view, w.view));
            assertThrows(dev.kiln.DTypeException.class, () -> backend.reduce(ReduceOp.ARGMAX,
                    new dev.kiln.spi.View(x.buffer, DType.F32, 0, new int[] {3, 4}, new long[] {4, 1}),
                    new dev.kiln.spi.View(z.buffer, DType.F32, 0, new int[] {3, 1}, new long[] {0, 1}) ));
        }
    }
}
