package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.kiln.DType;
import dev.kiln.KilnException;
import dev.kiln.spi.View;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Gather and scatter-add on every axis of a 3-D tensor, I32 and I64 indices, every data dtype,
 * permuted data, broadcast indices (gather), heavy duplicates at sizes that run in parallel
 * (scatter-add), and out-of-range indices.
 */
class IndexOpsTest {
    static final DType[] INDEX = {DType.I32, DType.I64};

    @TestFactory
    Stream<DynamicTest> gatherAndScatterAdd() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (DType t : ElementwiseTest.ALL) {
                for (DType it : INDEX) {
                    for (int axis = 0; axis < 3; axis++) {
                        int ax = axis;
                        tests.add(dynamicTest(t + " " + it + " gather axis " + axis, () -> gather(be, t, it, ax, new int[] {4, 5, 6}, 3)));
                        tests.add(dynamicTest(t + " " + it + " scatterAdd axis " + axis, () -> scatter(be, t, it, ax, new int[] {4, 5, 6}, 9)));
                    }
                }
            }
            tests.add(dynamicTest("parallel gather", () -> gather(be, DType.F32, DType.I64, 1, new int[] {64, 300, 8}, 500)));
            tests.add(dynamicTest("parallel scatterAdd, embedding-like duplicates", () -> scatter(be, DType.F32, DType.I64, 0, new int[] {50, 3000}, 2000)));
            tests.add(dynamicTest("parallel scatterAdd, last axis", () -> scatter(be, DType.F32, DType.I32, 1, new int[] {3000, 10}, 40)));
            tests.add(dynamicTest("parallel scatterAdd I64 data", () -> scatter(be, DType.I64, DType.I32, 1, new int[] {700, 60}, 5)));
        }
        return tests.stream();
    }

    private static int[] with(int[] shape, int axis, int extent) {
        int[] s = shape.clone();
        s[axis] = extent;
        return s;
    }

    /** src has {@code srcExtent} along axis; out (and index) have shape. */
    private static void gather(CpuBackend be, DType t, DType it, int axis, int[] shape, int srcExtent) {
        try (Fixture f = new Fixture(be)) {
            int[] srcShape = with(shape, axis, srcExtent);
            int ns = (int) Fixture.numel(srcShape), n = (int) Fixture.numel(shape), r = shape.length;
            double[] src = Fixture.round(t, f.uniform(ns, -100, 100));
            double[] idx = f.integers(n, 0, srcExtent);
            int[] memOrder = new int[r];
            for (int i = 0; i < r; i++) memOrder[i] = r - 1 - i;
            View sv = f.permutedTensor(t, src, srcShape, memOrder), iv = f.tensor(it, idx, shape), out = f.empty(t, shape);
            be.gather(sv, axis, iv, out);
            double[] ref = new double[n];
            int[] pos = new int[r];
            for (int i = 0; i < n; i++) {
                int o = 0;
                for (int d = 0; d < r; d++) o = o * srcShape[d] + (d == axis ? (int) idx[i] : pos[d]);
                ref[i] = src[o];
                for (int d = r - 1; d >= 0; d--) { if (++pos[d] < shape[d]) break; pos[d] = 0; }
            }
            f.assertExact(ref, f.read(out), "gather axis " + axis);
        }
    }

    /** src and index have shape; out has {@code outExtent} along axis. */
    private static void scatter(CpuBackend be, DType t, DType it, int axis, int[] shape, int outExtent) {
        try (Fixture f = new Fixture(be)) {
            int[] outShape = with(shape, axis, outExtent);
            int n = (int) Fixture.numel(shape), no = (int) Fixture.numel(outShape), r = shape.length;
            double[] src = Fixture.round(t, t.isFloating() ? f.integers(n, -8, 9) : f.integers(n, -1000, 1000));
            double[] base = Fixture.round(t, f.integers(no, -4, 5));
            double[] idx = f.integers(n, 0, outExtent);
            View sv = f.tensor(t, src, shape), iv = f.tensor(it, idx, shape), out = f.tensor(t, base, outShape);
            be.scatterAdd(sv, axis, iv, out);
            double[] ref = base.clone();
            int[] pos = new int[r];
            for (int i = 0; i < n; i++) {
                int o = 0;
                for (int d = 0; d < r; d++) o = o * outShape[d] + (d == axis ? (int) idx[i] : pos[d]);
                ref[o] += src[i];
                for (int d = r - 1; d >= 0; d--) { if (++pos[d] < shape[d]) break; pos[d] = 0; }
            }
            for (int i = 0; i < no; i++) ref[i] = Fixture.round(t, ref[i]);
            // Small integers in the data make every float sum exact (BF16 excepted past 256).
            if (t == DType.BF16 || t == DType.F16) f.assertClose(ref, f.read(out), Fixture.tol(t), "scatterAdd axis " + axis);
            else f.assertExact(ref, f.read(out), "scatterAdd axis " + axis);
        }
    }

    @Test
    void errorsInsideParallelWorkReachTheCallerTyped() {
        for (CpuBackend be : Fixture.backends()) {
            try (Fixture f = new Fixture(be)) {
                int n = 100_000;
                double[] idx = f.integers(n, 0, 10);
                idx[77_777] = 10;
                View src = f.tensor(DType.F32, new double[10 * 4], 10, 4);
                View index = f.tensor(DType.I64, idx, n, 1).broadcastTo(new int[] {n, 4}), out = f.empty(DType.F32, n, 4);
                KilnException e = assertThrows(KilnException.class, () -> be.gather(src, 0, index, out));
                assertTrue(e.getMessage().contains("index 10") && e.getMessage().contains("extent 10"), e.getMessage());
                double[] ones = new double[n];
                java.util.Arrays.fill(ones, 1);
                ones[n - 5] = 0;
                View a = f.tensor(DType.I32, ones, n), b = f.tensor(DType.I32, ones, n), q = f.empty(DType.I32, n);
                e = assertThrows(KilnException.class, () -> be.binary(dev.kiln.spi.BinaryOp.DIV, a, b, q));
                assertTrue(e.getMessage().contains("division by zero"), e.getMessage());
            }
        }
    }

    @Test
    void gatherWithBroadcastIndex() {
        for (CpuBackend be : Fixture.backends()) {
            try (Fixture f = new Fixture(be)) {
                View src = f.tensor(DType.F32, new double[] {10, 11, 12, 20, 21, 22}, 2, 3);
                View idx = f.tensor(DType.I64, new double[] {2, 0}, 1, 2).broadcastTo(new int[] {2, 2});
                View out = f.empty(DType.F32, 2, 2);
                be.gather(src, 1, idx, out);
                f.assertExact(new double[] {12, 10, 22, 20}, f.read(out), "broadcast index");
            }
        }
    }

    @Test
    void outOfRangeIndicesThrowNamingOpIndexAndExtent() {
        for (CpuBackend be : Fixture.backends()) {
            for (DType it : INDEX) {
                try (Fixture f = new Fixture(be)) {
                    View src = f.tensor(DType.F32, new double[12], 3, 4);
                    View bad = f.tensor(it, new double[] {0, 1, 4, 2, 0, 1}, 3, 2), out = f.empty(DType.F32, 3, 2);
                    KilnException e = assertThrows(KilnException.class, () -> be.gather(src, 1, bad, out));
                    assertTrue(e.getMessage().contains("gather") && e.getMessage().contains(" 4 ") && e.getMessage().contains("extent 4"), e.getMessage());
                    View neg = f.tensor(it, new double[] {0, -1, 1, 2, 0, 1}, 3, 2), small = f.tensor(DType.F32, new double[6], 3, 2);
                    View dst = f.tensor(DType.F32, new double[12], 3, 4);
                    e = assertThrows(KilnException.class, () -> be.scatterAdd(small, 1, neg, dst));
                    assertTrue(e.getMessage().contains("scatterAdd") && e.getMessage().contains("-1") && e.getMessage().contains("extent 4"), e.getMessage());
                    View fidx = f.tensor(DType.F32, new double[6], 3, 2);
                    assertThrows(KilnException.class, () -> be.gather(src, 1, fidx, out));
                    assertThrows(KilnException.class, () -> be.gather(src, 2, bad, out));
                }
            }
        }
    }
}
