package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * Batched SGEMM against a float64 triple loop: sizes around the register tile and cache blocks (1, 7,
 * 63, 64, 65, 129, 257 and non-square mixes), K across the KC boundary, A and B transposed through
 * strides, a column-major C, batch stride 0 (one shared matrix), alpha and beta (beta == 0 must
 * ignore NaN in C), serial and parallel sizes, Vector API and scalar microkernels.
 */
class GemmTest {
    record Dims(int b, int m, int n, int k) {}

    static List<Dims> sizes() {
        List<Dims> d = new ArrayList<>();
        for (int s : new int[] {1, 7, 63, 64, 65, 129}) d.add(new Dims(1, s, s, s));
        d.add(new Dims(1, 257, 257, 257));
        d.add(new Dims(1, 1, 300, 513));      // one row (a Linear layer on one sample)
        d.add(new Dims(1, 300, 1, 70));       // one column
        d.add(new Dims(1, 97, 45, 300));      // K across the KC block
        d.add(new Dims(3, 17, 33, 9));        // small batch
        d.add(new Dims(2, 130, 270, 40));     // parallel, edge tiles on both sides
        d.add(new Dims(1, 6, 16, 1));         // exactly one register tile, K = 1
        return d;
    }

    enum Layout { NN, TN, NT, TT, C_COLUMN_MAJOR, SHARED_B, SHARED_A }

    @TestFactory
    Stream<DynamicTest> everySizeAndLayout() {
        List<DynamicTest> tests = new ArrayList<>();
        for (CpuBackend be : Fixture.backends()) {
            for (Dims d : sizes()) {
                for (Layout l : Layout.values()) {
                    if (be == Fixture.SCALAR && d.m * d.n * d.k > 1_000_000 && l != Layout.NN) continue;
                    tests.add(dynamicTest((be.vectorized() ? "vector " : "scalar ") + d + " " + l + " beta=0",
                            () -> run(be, d, l, 1f, 0f)));
                }
                tests.add(dynamicTest((be.vectorized() ? "vector " : "scalar ") + d + " alpha=-0.5 beta=1.5",
                        () -> run(be, d, Layout.NN, -0.5f, 1.5f)));
                tests.add(dynamicTest((be.vectorized() ? "vector " : "scalar ") + d + " TT alpha=2 beta=-1",
                        () -> run(be, d, Layout.TT, 2f, -1f)));
            }
        }
        return tests.stream();
    }

    private static void run(CpuBackend be, Dims d, Layout l, float alpha, float beta) {
        try (Fixture f = new Fixture(be)) {
            int bs = d.b, m = d.m, n = d.n, k = d.k;
            boolean sharedA = l == Layout.SHARED_A, sharedB = l == Layout.SHARED_B;
            int ba = sharedA ? 1 : bs, bb = sharedB ? 1 : bs;
            double[] a = Fixture.round(DType.F32, f.gaussian(ba * m * k, 1)), b = Fixture.round(DType.F32, f.gaussian(bb * k * n, 1));
            double[] c0 = Fixture.round(DType.F32, f.gaussian(bs * m * n, 1));
            boolean ta = l == Layout.TN || l == Layout.TT, tb = l == Layout.NT || l == Layout.TT;
            View av = ta ? f.permutedTensor(DType.F32, a, new int[] {ba, m, k}, new int[] {0, 2, 1}) : f.tensor(DType.F32, a, ba, m, k);
            View bv = tb ? f.permutedTensor(DType.F32, b, new int[] {bb, k, n}, new int[] {0, 2, 1}) : f.tensor(DType.F32, b, bb, k, n);
            if (sharedA) av = new View(av.buffer(), av.dtype(), av.offset(), new int[] {bs, m, k}, new long[] {0, av.strides()[1], av.strides()[2]});
            if (sharedB) bv = new View(bv.buffer(), bv.dtype(), bv.offset(), new int[] {bs, k, n}, new long[] {0, bv.strides()[1], bv.strides()[2]});
            View cv = l == Layout.C_COLUMN_MAJOR ? f.permuted(DType.F32, new int[] {bs, m, n}, new int[] {0, 2, 1}) : f.empty(DType.F32, bs, m, n);
            if (beta != 0) f.write(cv, c0);       // else C stays NaN-poisoned and must not be read
            be.matmul(av, bv, cv, alpha, beta);
            double[] ref = new double[bs * m * n], scale = new double[bs * m * n];
            for (int p = 0; p < bs; p++) {
                int pa = sharedA ? 0 : p, pb = sharedB ? 0 : p;
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0, abs = 0;
                        for (int q = 0; q < k; q++) {
                            double t = a[(pa * m + i) * k + q] * b[(pb * k + q) * n + j];
                            s += t;
                            abs += Math.abs(t);
                        }
                        int o = (p * m + i) * n + j;
                        ref[o] = alpha * s + (beta != 0 ? beta * c0[o] : 0);
                        scale[o] = Math.abs(alpha) * abs + (beta != 0 ? Math.abs(beta * c0[o]) : 0);
                    }
                }
            }
            f.assertCloseToScale(ref, scale, f.read(cv), 1e-5, "matmul " + d + " " + l);
        }
    }

    @Test
    void zeroKScalesC() {
        for (CpuBackend be : Fixture.backends()) {
            try (Fixture f = new Fixture(be)) {
                View a = f.empty(DType.F32, 1, 3, 0), b = f.empty(DType.F32, 1, 0, 4);
                View c = f.tensor(DType.F32, new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 1, 3, 4);
                be.matmul(a, b, c, 1f, 2f);
                f.assertExact(new double[] {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24}, f.read(c), "K=0, beta=2");
                View d = f.empty(DType.F32, 1, 3, 4);
                be.matmul(a, b, d, 1f, 0f);
                f.assertExact(new double[12], f.read(d), "K=0, beta=0 over NaN");
            }
        }
    }

    @Test
    void rejectsBadShapesAndDTypes() {
        CpuBackend be = Fixture.VECTOR;
        try (Fixture f = new Fixture(be)) {
            View a = f.empty(DType.F32, 1, 3, 5), b = f.empty(DType.F32, 1, 4, 2), c = f.empty(DType.F32, 1, 3, 2);
            assertThrows(KilnException.class, () -> be.matmul(a, b, c, 1f, 0f));
            View ai = f.empty(DType.I32, 1, 3, 4);
            View b2 = f.empty(DType.F32, 1, 4, 2);
            assertThrows(KilnException.class, () -> be.matmul(ai, b2, c, 1f, 0f));
        }
    }
}
