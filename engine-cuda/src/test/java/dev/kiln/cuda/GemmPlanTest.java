package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.View;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The View-to-cuBLAS mapping, checked by executing each planned call with cuBLAS's column-major semantics
 * on host arrays and comparing with a float64 row-major product.
 */
class GemmPlanTest {
    /** A host "buffer" of doubles standing in for device memory. */
    record HostBuffer(double[] data) implements Buffer {
        @Override
        public long byteSize() { return data.length * 4L; }
    }

    private static View view(double[] data, long offset, int[] shape, long[] strides) {
        return new View(new HostBuffer(data), DType.F32, offset, shape, strides);
    }

    /** Column-major strided-batched GEMM as cuBLAS defines it. */
    private static void emulateCublas(GemmPlan.Call c, float alpha, float beta) {
        double[] a = ((HostBuffer) c.first().buffer()).data(), b = ((HostBuffer) c.second().buffer()).data();
        double[] out = ((HostBuffer) c.out().buffer()).data();
        long ao = c.first().offset(), bo = c.second().offset(), co = c.out().offset();
        for (int p = 0; p < c.batch(); p++) {
            for (int i = 0; i < c.m(); i++) {
                for (int j = 0; j < c.n(); j++) {
                    double s = 0;
                    for (int l = 0; l < c.k(); l++) {
                        // op(A)[i, l] and op(B)[l, j], column-major with leading dimensions
                        double x = c.transA() == Cublas.OP_N ? a[(int) (ao + p * c.strideA() + i + (long) l * c.lda())]
                                : a[(int) (ao + p * c.strideA() + l + (long) i * c.lda())];
                        double y = c.transB() == Cublas.OP_N ? b[(int) (bo + p * c.strideB() + l + (long) j * c.ldb())]
                                : b[(int) (bo + p * c.strideB() + j + (long) l * c.ldb())];
                        s += x * y;
                    }
                    int idx = (int) (co + p * c.strideC() + i + (long) j * c.ldc());
                    out[idx] = alpha * s + (beta == 0 ? 0 : beta * out[idx]);
                }
            }
        }
    }

    private static double at(View v, int... idx) {
        long off = v.offset();
        for (int d = 0; d < idx.length; d++) off += idx[d] * v.strides()[d];
        return ((HostBuffer) v.buffer()).data()[(int) off];
    }

    /** A [B, R, S] view of random data in one of several layouts: row-major, transposed, padded, batch-broadcast. */
    private static View randomView(Random rnd, int b, int r, int s, int layout) {
        int pad = 3;
        double[] data = new double[(b + 1) * (r + pad) * (s + pad) + 17];
        for (int i = 0; i < data.length; i++) data[i] = rnd.nextGaussian();
        long off = rnd.nextInt(5);
        return switch (layout) {
            case 0 -> view(data, off, new int[] {b, r, s}, new long[] {(long) r * s, s, 1});
            case 1 -> view(data, off, new int[] {b, r, s}, new long[] {(long) r * s, 1, r});                // transposed
            case 2 -> view(data, off, new int[] {b, r, s}, new long[] {(long) r * (s + pad), s + pad, 1});  // padded rows
            case 3 -> view(data, off, new int[] {b, r, s}, new long[] {0, s, 1});                           // one matrix for all
            case 4 -> view(data, off, new int[] {b, r, s}, new long[] {1, (long) b * s, b});                // batch innermost
            default -> view(data, off, new int[] {b, r, s}, new long[] {(long) r * s * 2, s * 2L, 2});      // stride 2
        };
    }

    @Test
    void plannedCallsComputeTheRowMajorProductForEveryLayout() {
        Random rnd = new Random(20261122);
        int checked = 0, copies = 0;
        for (int trial = 0; trial < 400; trial++) {
            int b = 1 + rnd.nextInt(3), m = 1 + rnd.nextInt(7), n = 1 + rnd.nextInt(7), k = 1 + rnd.nextInt(7);
            View a = randomView(rnd, b, m, k, rnd.nextInt(6));
            View bb = randomView(rnd, b, k, n, rnd.nextInt(6));
            int cl = rnd.nextInt(6);
            View c = randomView(rnd, b, m, n, cl == 3 ? 0 : cl);   // outputs are never broadcast
            float alpha = 0.5f + rnd.nextInt(3), beta = rnd.nextBoolean() ? 0f : 0.25f;
            boolean[] bad = GemmPlan.unmappable(a, bb, c);
            if (bad[0]) a = contiguous(a);
            if (bad[1]) bb = contiguous(bb);
            View cTarget = bad[2] ? contiguous(c) : c;
            if (bad[0] || bad[1] || bad[2]) copies++;
            double[][][] expected = new double[b][m][n];
            for (int p = 0; p < b; p++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) s += at(a, p, i, l) * at(bb, p, l, j);
                expected[p][i][j] = alpha * s + beta * at(cTarget, p, i, j);
            }
            GemmPlan.Call call = GemmPlan.plan(a, bb, cTarget);
            assertNotNull(call, "no plan after copies for a=" + a + " b=" + bb + " c=" + cTarget);
            assertTrue(call.lda() >= 1 && call.ldb() >= 1 && call.ldc() >= 1, call.toString());
            assertTrue(call.ldc() >= call.m(), "ldc below rows: " + call);
            emulateCublas(call, alpha, beta);
            for (int p = 0; p < b; p++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                assertEquals(expected[p][i][j], at(cTarget, p, i, j), 1e-9,
                        "trial " + trial + " " + call + " at " + p + "," + i + "," + j);
            }
            checked++;
        }
        assertEquals(400, checked);
        assertTrue(copies > 0 && copies < 400, "layouts should include mappable and unmappable ones: " + copies);
    }

    private static View contiguous(View v) {
        int[] s = v.shape();
        double[] data = new double[s[0] * s[1] * s[2]];
        View out = view(data, 0, s, new long[] {(long) s[1] * s[2], s[2], 1});
        for (int p = 0; p < s[0]; p++) for (int i = 0; i < s[1]; i++) for (int j = 0; j < s[2]; j++) {
            data[(p * s[1] + i) * s[2] + j] = at(v, p, i, j);
        }
        return out;
    }

    @Test
    void rowMajorOperandsNeedNoTranspose() {
        double[] d = new double[100];
        View a = view(d, 0, new int[] {1, 3, 4}, new long[] {12, 4, 1});
        View b = view(d, 0, new int[] {1, 4, 5}, new long[] {20, 5, 1});
        View c = view(d, 0, new int[] {1, 3, 5}, new long[] {15, 5, 1});
        GemmPlan.Call call = GemmPlan.plan(a, b, c);
        assertNotNull(call);
        assertArrayEquals(new int[] {Cublas.OP_N, Cublas.OP_N, 5, 3, 4, 5, 4, 5},
                new int[] {call.transA(), call.transB(), call.m(), call.n(), call.k(), call.lda(), call.ldb(), call.ldc()});
        assertEquals(b, call.first());
        assertEquals(a, call.second());
    }

    @Test
    void transposedViewBecomesCublasTranspose() {
        double[] d = new double[100];
        View a = view(d, 0, new int[] {1, 3, 4}, new long[] {12, 1, 3});   // a^T stored row-major [4, 3]
        View b = view(d, 0, new int[] {1, 4, 5}, new long[] {20, 5, 1});
        View c = view(d, 0, new int[] {1, 3, 5}, new long[] {15, 5, 1});
        GemmPlan.Call call = GemmPlan.plan(a, b, c);
        assertNotNull(call);
        assertEquals(Cublas.OP_T, call.transB());
        assertEquals(3, call.ldb());
    }

    @Test
    void stridedInnerAxisIsNotMappable() {
        double[] d = new double[100];
        View a = view(d, 0, new int[] {1, 3, 4}, new long[] {24, 8, 2});
        assertNull(GemmPlan.transposedOperand(a));
        View b = view(d, 0, new int[] {1, 4, 5}, new long[] {20, 5, 1});
        View c = view(d, 0, new int[] {1, 3, 5}, new long[] {15, 5, 1});
        assertArrayEquals(new boolean[] {true, false, false}, GemmPlan.unmappable(a, b, c));
        assertNull(GemmPlan.plan(a, b, c));
    }

    @Test
    void broadcastBatchKeepsStrideZero() {
        double[] d = new double[100];
        View a = view(d, 0, new int[] {4, 3, 2}, new long[] {0, 2, 1});
        View b = view(d, 0, new int[] {4, 2, 5}, new long[] {10, 5, 1});
        View c = view(d, 0, new int[] {4, 3, 5}, new long[] {15, 5, 1});
        GemmPlan.Call call = GemmPlan.plan(a, b, c);
        assertNotNull(call);
        assertEquals(0, call.strideB());
        assertEquals(10, call.strideA());
        assertEquals(15, call.strideC());
    }
}
