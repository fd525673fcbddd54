package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.View;
import org.junit.jupiter.api.Test;

class OpenClIndexTest extends OpenClTestSupport {

    private static int[] coords(long i, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) { c[d] = (int) (i % shape[d]); i /= shape[d]; }
        return c;
    }

    private static long linear(int[] c, int[] shape) {
        long i = 0;
        for (int d = 0; d < shape.length; d++) i = i * shape[d] + c[d];
        return i;
    }

    private void checkGather(DType data, DType idx, int[] srcShape, int axis, int[] outShape, boolean outOfRange) {
        try (HostArray src = HostArray.strided(backend, data, rnd, srcShape); HostArray index = HostArray.strided(backend, idx, rnd, outShape);
             HostArray out = HostArray.strided(backend, data, rnd, outShape)) {
            src.random(rnd, -100, 100);
            int len = srcShape[axis];
            for (int i = 0; i < index.data.length; i++) index.data[i] = rnd.nextInt(len);
            if (outOfRange) { index.data[index.position(0)] = len; index.data[index.position(index.numel() - 1)] = -1; }
            index.upload();
            out.poison();
            backend.gather(src.view, axis, index.view, out.view);
            double[] ref = new double[out.numel()];
            for (int i = 0; i < ref.length; i++) {
                int[] c = coords(i, outShape);
                long k = (long) index.get(i);
                if (k < 0 || k >= len) { ref[i] = 0; continue; }
                c[axis] = (int) k;
                ref[i] = src.get(linear(c, srcShape));
            }
            String what = "gather " + data + "/" + idx + " axis " + axis + " " + src.view + " -> " + out.view + seedNote();
            Compare.exact(what, ref, out.download().values());
            assertTrue(out.untouchedOutsideView(), what);
        }
    }

    @Test
    void gatherAlongEveryAxisWithBothIndexTypes() {
        for (DType data : DType.values()) {
            for (DType idx : new DType[] {DType.I32, DType.I64}) {
                checkGather(data, idx, new int[] {7, 5, 3}, 0, new int[] {4, 5, 3}, false);
                checkGather(data, idx, new int[] {7, 5, 3}, 1, new int[] {7, 9, 3}, false);
                checkGather(data, idx, new int[] {7, 5, 3}, 2, new int[] {7, 5, 1}, false);
            }
        }
        checkGather(DType.F32, DType.I64, new int[] {129}, 0, new int[] {1}, false);
    }

    @Test
    void gatherWritesZeroForOutOfRangeIndices() {
        checkGather(DType.F32, DType.I64, new int[] {6, 4}, 1, new int[] {6, 5}, true);
        checkGather(DType.I32, DType.I32, new int[] {6, 4}, 0, new int[] {3, 4}, true);
    }

    @Test
    void gatherWithBroadcastIndex() {
        // An embedding lookup: index [N, 1] broadcast to [N, D] along axis 0.
        int n = 9, v = 13, d = 6;
        try (HostArray table = HostArray.contiguous(backend, DType.F32, v, d); HostArray index = HostArray.contiguous(backend, DType.I64, n, 1);
             HostArray out = HostArray.contiguous(backend, DType.F32, n, d)) {
            table.random(rnd, -1, 1);
            for (int i = 0; i < n; i++) index.data[i] = rnd.nextInt(v);
            index.upload();
            out.poison();
            backend.gather(table.view, 0, index.broadcastTo(new int[] {n, d}), out.view);
            double[] ref = new double[n * d];
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) ref[i * d + j] = table.data[(int) index.data[i] * d + j];
            Compare.exact("embedding gather" + seedNote(), ref, out.download().values());
        }
    }

    private void checkScatter(DType data, DType idx, int[] srcShape, int axis, int[] outShape, int distinct) {
        try (HostArray src = HostArray.strided(backend, data, rnd, srcShape); HostArray index = HostArray.strided(backend, idx, rnd, srcShape);
             HostArray out = HostArray.strided(backend, data, rnd, outShape)) {
            boolean fl = data.isFloating();
            src.random(rnd, fl ? -1 : -20, fl ? 1 : 20);
            if (data == DType.F16 || data == DType.BF16) {         // exact sums in 16 bits: small multiples of 1/8
                for (int i = 0; i < src.data.length; i++) src.data[i] = Math.round(src.data[i] * 8) / 8.0;
                src.upload();
            }
            int len = outShape[axis];
            for (int i = 0; i < index.data.length; i++) index.data[i] = rnd.nextInt(Math.min(len, distinct));
            index.data[index.position(0)] = len + 3;                  // skipped
            index.upload();
            out.random(rnd, -2, 2);
            if (data == DType.F16 || data == DType.BF16) {
                for (int i = 0; i < out.data.length; i++) out.data[i] = Math.round(out.data[i]);
                out.upload();
            }
            double[] ref = out.values();
            for (int i = 0; i < src.numel(); i++) {
                long k = (long) index.get(i);
                if (k < 0 || k >= len) continue;
                int[] c = coords(i, srcShape);
                c[axis] = (int) k;
                ref[(int) linear(c, outShape)] += src.get(i);
            }
            backend.scatterAdd(src.view, axis, index.view, out.view);
            String what = "scatterAdd " + data + "/" + idx + " axis " + axis + " " + src.view + " -> " + out.view + seedNote();
            if (fl) Compare.close(what, ref, out.download().values(), data == DType.F32 ? 1e-6 : Compare.tolerance(data));
            else Compare.exact(what, ref, out.download().values());
        }
    }

    @Test
    void scatterAddAccumulatesDuplicates() {
        for (DType data : DType.values()) {
            for (DType idx : new DType[] {DType.I32, DType.I64}) {
                checkScatter(data, idx, new int[] {300, 3}, 0, new int[] {5, 3}, 2);      // heavy contention
                checkScatter(data, idx, new int[] {4, 7, 5}, 1, new int[] {4, 3, 5}, 3);
                checkScatter(data, idx, new int[] {4, 7, 5}, 2, new int[] {4, 7, 9}, 9);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        try (HostArray src = HostArray.contiguous(backend, DType.F32, 4, 3); HostArray index = HostArray.contiguous(backend, DType.F32, 4, 3);
             HostArray iidx = HostArray.contiguous(backend, DType.I64, 4, 3); HostArray out = HostArray.contiguous(backend, DType.F32, 4, 3)) {
            assertThrows(dev.kiln.DTypeException.class, () -> backend.gather(src.view, 0, index.view, out.view));
            assertThrows(ShapeException.class, () -> backend.gather(src.view, 2, iidx.view, out.view));
            View wrong = new View(out.buffer, DType.F32, 0, new int[] {2, 2}, new long[] {2, 1});
            ShapeException e = assertThrows(ShapeException.class, () -> backend.scatterAdd(src.view, 0, iidx.view, wrong));
            assertTrue(e.getMessage().contains("scatterAdd"), e.getMessage());
        }
    }
}
