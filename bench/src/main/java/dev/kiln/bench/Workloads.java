package dev.kiln.bench;

import dev.kiln.Device;
import dev.kiln.Functional;
import dev.kiln.Generator;
import dev.kiln.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The timed operations. Each owns its inputs (seeded normal random numbers) and, per call, runs the
 * kernel, waits for the device, and frees the result: one call is one timing.
 */
public final class Workloads {
    private Workloads() {}

    /** A timed operation with inputs to free afterwards. */
    public interface Workload extends Sampler.Op, AutoCloseable {
        @Override
        void run();

        @Override
        void close();
    }

    public static double gemmFlops(int n) { return 2.0 * n * n * n; }

    /** {@code [n, n] @ [n, n]} with {@link Tensor#matmul}. */
    public static Workload gemm(Device device, int n) {
        Generator g = new Generator(1234 + n);
        Tensor a = device.randn(g, n, n);
        Tensor b = device.randn(g, n, n);
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (Tensor c = a.matmul(b)) {
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                a.close();
                b.close();
            }
        };
    }

    /** One convolution layer's forward pass with {@link Functional#conv2d}. */
    public static Workload conv(Device device, ConvLayer layer, int batch) {
        Generator g = new Generator(4321 + batch);
        Tensor x = device.randn(g, layer.inputDims(batch));
        Tensor w = device.randn(g, layer.weightDims());
        Tensor bias = layer.bias() ? device.randn(g, layer.outC()) : null;
        device.synchronize();
        return new Workload() {
            @Override
            public void run() {
                try (Tensor y = Functional.conv2d(x, w, bias, layer.params())) {
                    device.synchronize();
                }
            }

            @Override
            public void close() {
                x.close();
                w.close();
                if (bias != null) bias.close();
            }
        };
    }

    /** The same square GEMM through OpenBLAS's cblas_sgemm, on native memory. */
    public static Workload openBlasGemm(OpenBlas blas, int n) {
        Arena arena = Arena.ofShared();
        long bytes = 4L * n * n;
        MemorySegment a = arena.allocate(bytes, 64);
        MemorySegment b = arena.allocate(bytes, 64);
        MemorySegment c = arena.allocate(bytes, 64);
        SplittableRandom r = new SplittableRandom(1234 + n);
        for (long i = 0; i < (long) n * n; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        }
        return new Workload() {
            @Override
            public void run() { blas.sgemm(n, n, n, 1f, a, b, 0f, c); }

            @Override
            public void close() { arena.close(); }
        };
    }
}
