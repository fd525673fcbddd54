package dev.kiln.opencl;

import dev.kiln.DType;
import dev.kiln.ShapeException;
import dev.kiln.spi.View;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched F32 matmul primitive: CLBlast when it is installed and the views are BLAS layouts,
 * else on CPU devices gemm_packed.cl (packed panels, register blocks as wide as the device's float
 * vectors, see {@link PackedGemm}), on GPUs gemm.cl's tiled kernel (64x64 local-memory tiles, 4x4
 * register blocks), or its one-work-item-per-element kernel on devices whose work groups are too
 * small for the tiles.
 */
final class Gemm {
    private static final int TILE = 64, THREADS = 16;

    /** The backend's own kernels; -Dkiln.opencl.gemm=packed|tiled|simple forces one. */
    enum Kernel { PACKED, TILED, SIMPLE }

    private final OpenClBackend backend;
    private final PackedGemm packed;
    private final boolean tiledFits;
    /** The tiled kernel's vector width: the device's preferred float width, as 1, 2 or 4 (its block is 4 columns wide). */
    private final int tiledVectorWidth;
    private volatile Kernel kernel;
    private volatile boolean clblastEnabled = true;
    private final AtomicLong clblastCalls = new AtomicLong();

    Gemm(OpenClBackend backend) {
        this.backend = backend;
        DeviceInfo device = backend.device();
        packed = new PackedGemm(backend);
        // The tiled kernel needs 16x16 work groups and 8.5 KiB of local memory, the packed one 8x8 groups.
        tiledFits = device.maxWorkGroupSize() >= THREADS * THREADS && device.localMemBytes() >= 16 * 1024;
        int preferred = Integer.getInteger("kiln.opencl.gemm.vw", device.floatVectorWidth());
        tiledVectorWidth = preferred >= 4 ? 4 : preferred >= 2 ? 2 : 1;
        String forced = System.getProperty("kiln.opencl.gemm");
        kernel = forced != null ? Kernel.valueOf(forced.toUpperCase(java.util.Locale.ROOT))
                : !device.gpu() && device.maxWorkGroupSize() >= 64 ? Kernel.PACKED
                : tiledFits ? Kernel.TILED : Kernel.SIMPLE;
    }

    /** Lets tests run each of the kernels on whatever device they have. */
    void useKernel(Kernel k) { kernel = k; }

    Kernel kernel() { return kernel; }

    void matmul(View a, View b, View c, float alpha, float beta) {
        String name = "matmul";
        ClBuffer ab = Checks.view(backend, name, "a", a), bb = Checks.view(backend, name, "b", b), cb = Checks.view(backend, name, "c", c);
        for (View v : new View[] {a, b, c}) Checks.dtype(name, "operand", v, DType.F32);
        if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3) {
            throw new ShapeException(name + ": expects a [B, M, K], b [B, K, N], c [B, M, N]; got "
                    + Arrays.toString(a.shape()) + ", " + Arrays.toString(b.shape()) + ", " + Arrays.toString(c.shape()));
        }
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        if (a.shape()[0] != batch || b.shape()[0] != batch || a.shape()[1] != m || b.shape()[1] != k || b.shape()[2] != n) {
            throw new ShapeException(name + ": a " + Arrays.toString(a.shape()) + " @ b " + Arrays.toString(b.shape())
                    + " does not give c " + Arrays.toString(c.shape()) + " (expected a [B, M, K], b [B, K, N], c [B, M, N])");
        }
        if (batch == 0 || m == 0 || n == 0) return;
        if (k > 0 && clblast(a, b, c, alpha, beta, ab, bb, cb)) return;
        Kernel use = kernel;
        if (use == Kernel.PACKED && k > 0) {
            packed.matmul(a, b, c, alpha, beta, ab, bb, cb);
            return;
        }
        // K = 0 (c = beta c) needs no panels: the tiled kernel does it in one pass
        boolean tiled = use != Kernel.SIMPLE && tiledFits;
        long program = backend.programs().get("gemm.cl", "#define GEMM_VW " + tiledVectorWidth + "\n");
        KernelCall call = backend.ctx().kernel(program, tiled ? "gemm_tiled" : "gemm_simple")
                .i32(m).i32(n).i32(k).f32(alpha).f32(beta)
                .mem(ab).i64(a.offset()).i64(a.strides()[0]).i64(a.strides()[1]).i64(a.strides()[2])
                .mem(bb).i64(b.offset()).i64(b.strides()[0]).i64(b.strides()[1]).i64(b.strides()[2])
                .mem(cb).i64(c.offset()).i64(c.strides()[0]).i64(c.strides()[1]).i64(c.strides()[2]);
        if (tiled) {
            long gx = (n + TILE - 1) / TILE * THREADS, gy = (m + TILE - 1) / TILE * THREADS;
            call.launch(new long[] {gx, gy, batch}, new long[] {THREADS, THREADS, 1});
        } else {
            call.launch(new long[] {n, m, batch}, null);
        }
    }

    /** GEMM through CLBlast when it is installed and the layouts are BLAS layouts; false otherwise. */
    private boolean clblast(View a, View b, View c, float alpha, float beta, ClBuffer ab, ClBuffer bb, ClBuffer cb) {
        var lib = ClBlast.get();
        if (lib.isEmpty() || !clblastEnabled) return false;
        int batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2], k = a.shape()[2];
        ClBlast.Operand ao = ClBlast.operand(m, k, a.strides()[1], a.strides()[2]);
        ClBlast.Operand bo = ClBlast.operand(k, n, b.strides()[1], b.strides()[2]);
        ClBlast.Operand co = ClBlast.operand(m, n, c.strides()[1], c.strides()[2]);
        if (ao == null || bo == null || co == null || co.transposed()) return false;
        long cBatch = batch == 1 ? (long) m * co.ld() : c.strides()[0];
        if (batch > 1 && cBatch < (long) m * co.ld()) return false;   // batches of c would interleave
        if (beta == 0) backend.fill(c, 0);   // c may hold NaN; a BLAS is free to compute 0 * c
        lib.get().sgemm(backend.ctx().queue, ao, bo, co.ld(), m, n, k, alpha, beta, ab, a.offset(), a.strides()[0],
                bb, b.offset(), b.strides()[0], cb, c.offset(), cBatch, batch);
        clblastCalls.incrementAndGet();
        return true;
    }

    void useClBlast(boolean use) { clblastEnabled = use; }

    long clblastCalls() { return clblastCalls.get(); }
}
