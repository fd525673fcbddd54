package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.View;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OpenClMatmulTest extends OpenClTestSupport {

    /**
     * c = alpha a @ b + beta c for a [B or 1, M, K], b [B or 1, K, N], each stored in a random layout
     * (so transposes and slices arrive as strides) and broadcast over the batch by stride 0.
     */
    private void check(int batch, int m, int n, int k, boolean aShared, boolean bShared, float alpha, float beta) {
        check(true, batch, m, n, k, aShared, bShared, alpha, beta);
    }

    /** As above; {@code strided} false stores every operand row-major and dense (the vector stores of c). */
    private void check(boolean strided, int batch, int m, int n, int k, boolean aShared, boolean bShared, float alpha, float beta) {
        try (HostArray a = layout(strided, aShared ? 1 : batch, m, k);
             HostArray b = layout(strided, bShared ? 1 : batch, k, n);
             HostArray c = layout(strided, batch, m, n)) {
            a.random(rnd, -1, 1);
            b.random(rnd, -1, 1);
            if (beta == 0) c.poison(); else c.random(rnd, -1, 1);
            double[] before = c.values();
            View av = a.broadcastTo(new int[] {batch, m, k}), bv = b.broadcastTo(new int[] {batch, k, n});
            backend.matmul(av, bv, c.view, alpha, beta);
            HostArray.Index ai = new HostArray.Index(av), bi = new HostArray.Index(bv);
            double[] ref = new double[batch * m * n], scale = new double[batch * m * n];
            for (int p = 0; p < batch; p++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0, abs = 0;
                        for (int q = 0; q < k; q++) {
                            double t = a.data[ai.position(((long) p * m + i) * k + q)] * b.data[bi.position(((long) p * k + q) * n + j)];
                            s += t;
                            abs += Math.abs(t);
                        }
                        int o = (p * m + i) * n + j;
                        ref[o] = alpha * s + (beta == 0 ? 0 : beta * before[o]);
                        scale[o] = Math.abs(alpha) * abs + (beta == 0 ? 0 : Math.abs(beta * before[o]));
                    }
                }
            }
            String what = "matmul " + av + " @ " + bv + " -> " + c.view + " alpha " + alpha + " beta " + beta + seedNote();
            Compare.closeToScale(what, ref, scale, c.download().values(), 1e-5);
            if (beta == 0) assertTrue(c.untouchedOutsideView(), what + ": wrote outside c");
        }
    }

    private HostArray layout(boolean strided, int... shape) {
        return strided ? HostArray.strided(backend, DType.F32, rnd, shape) : HostArray.contiguous(backend, DType.F32, shape);
    }

    /**
     * Each of the backend's own kernels, whatever the device would pick: ragged panel edges (sizes
     * around multiples of 4, 8 and 16), K across several of the packed kernel's K blocks, stride-0
     * batches of a or b, beta, random strided layouts and dense ones.
     */
    @ParameterizedTest
    @EnumSource(Gemm.Kernel.class)
    void everyKernelOnEdgeCases(Gemm.Kernel kernel) {
        OpenClBackend cl = (OpenClBackend) backend;
        Gemm.Kernel before = cl.gemmKernel();
        cl.useClBlast(false);
        cl.useGemmKernel(kernel);
        try {
            for (int m : new int[] {1, 7, 8, 9, 17}) for (int n : new int[] {1, 7, 8, 16, 17}) check(1, m, n, 7, false, false, 1, 0);
            for (int m : new int[] {1, 129}) for (int n : new int[] {4, 129}) check(false, 1, m, n, 129, false, false, 1, 0);
            check(1, 1000, 9, 5, false, false, 1, 0);
            check(false, 1, 7, 1000, 3, false, false, 1, 0);
            check(1, 3, 5, 1000, false, false, 1, 0);              // four K blocks, the last ragged
            check(false, 2, 33, 24, 513, false, false, 0.5f, 0);
            check(false, 2, 33, 24, 513, false, false, -1.5f, 0.75f); // later K blocks accumulate onto beta c
            check(3, 19, 23, 300, true, false, 1, 0);              // a shared by the batch (stride 0)
            check(false, 3, 16, 16, 40, false, true, 1, 1);        // b shared by the batch
            check(2, 9, 10, 0, false, false, 1, 2);                // K = 0 scales c
        } finally {
            cl.useGemmKernel(before);
            cl.useClBlast(true);
        }
    }

    @Test
    void packedPanelsFollowTheDeviceVectorWidth() {
        assertTrue(PackedGemm.vectorWidth(1) == 4 && PackedGemm.vectorWidth(4) == 4 && PackedGemm.vectorWidth(8) == 8
                && PackedGemm.vectorWidth(16) == 16 && PackedGemm.vectorWidth(32) == 16, "panel widths 4, 8 or 16");
    }

    @Test
    void oddSizesAndLayouts() {
        int[] sizes = {1, 7, 64, 129};
        for (int m : sizes) for (int n : sizes) for (int k : new int[] {1, 7, 129}) check(1, m, n, k, false, false, 1, 0);
    }

    @Test
    void ownKernelsWhenClBlastIsInstalledToo() {
        OpenClBackend cl = (OpenClBackend) backend;
        cl.useClBlast(false);
        try {
            long before = cl.clblastCalls();
            for (int m : new int[] {1, 7, 129}) for (int n : new int[] {1, 65}) check(2, m, n, 33, false, true, 1, 0);
            check(3, 70, 5, 130, false, false, -2, 0.25f);
            assertTrue(cl.clblastCalls() == before, "no call went through CLBlast");
        } finally {
            cl.useClBlast(true);
        }
    }

    @Test
    void batchedWithBroadcastAndAlphaBeta() {
        check(3, 33, 65, 17, false, false, 1, 0);
        check(4, 20, 30, 40, true, false, 0.5f, 0);
        check(4, 20, 30, 40, false, true, 1, 1);
        check(2, 70, 5, 130, false, false, -2, 0.25f);
        check(5, 1, 1, 1, true, true, 1, 0);
    }

    @Test
    void largerSquare() {
        check(1, 300, 257, 310, false, false, 1, 0);
    }

    @Test
    void emptyInnerDimensionScalesC() {
        check(2, 9, 10, 0, false, false, 1, 0);
        check(2, 9, 10, 0, false, false, 1, 2);
    }

    @Test
    void clblastTakesBlasLayoutsWhenInstalled() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ClBlast.get().isPresent(), "libclblast.so.1 not installed");
        OpenClBackend cl = (OpenClBackend) backend;
        long before = cl.clblastCalls();
        int m = 37, n = 45, k = 29;
        try (HostArray a = HostArray.contiguous(backend, DType.F32, 2, m, k); HostArray b = HostArray.contiguous(backend, DType.F32, 1, n, k);
             HostArray c = HostArray.contiguous(backend, DType.F32, 2, m, n)) {
            a.random(rnd, -1, 1);
            b.random(rnd, -1, 1);
            c.poison();
            View bt = b.view.permute(0, 2, 1).broadcastTo(new int[] {2, k, n});   // b transposed, shared by the batch
            backend.matmul(a.view, bt, c.view, 1.5f, 0);
            double[] ref = new double[2 * m * n];
            for (int p = 0; p < 2; p++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += a.data[(p * m + i) * k + q] * b.data[j * k + q];
                ref[(p * m + i) * n + j] = 1.5 * s;
            }
            Compare.close("CLBlast matmul" + seedNote(), ref, c.download().values(), 1e-5);
        }
        assertTrue(cl.clblastCalls() > before, "the call went through CLBlast");
    }

    @Test
    void rejectsMismatchedShapes() {
        try (HostArray a = HostArray.contiguous(backend, DType.F32, 1, 3, 4); HostArray b = HostArray.contiguous(backend, DType.F32, 1, 5, 2);
             HostArray c = HostArray.contiguous(backend, DType.F32, 1, 3, 2); HostArray i = HostArray.contiguous(backend, DType.I32, 1, 3, 4)) {
            ShapeException e = assertThrows(ShapeException.class, () -> backend.matmul(a.view, b.view, c.view, 1, 0));
            assertTrue(e.getMessage().contains("[1, 3, 4]") && e.getMessage().contains("[1, 5, 2]"), e.getMessage());
            assertThrows(dev.kiln.DTypeException.class, () -> backend.matmul(i.view, b.view, c.view, 1, 0));
        }
    }
}
