package dev.kiln.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DType;
import dev.kiln.Device;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Tensor;
import dev.kiln.spi.BackendProvider;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.CachingAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Provider discovery, allocation and the caching allocator, copies, the public Tensor API on "cpu", threads, and the scalar fallback. */
class MemoryAndApiTest {
    @Test
    void providerIsFoundAndDescribesTheMachine() {
        BackendProvider p = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.name().equals("cpu")).findFirst().orElseThrow();
        assertEquals(0, p.rank());
        assertTrue(p.unavailableReason().isEmpty());
        assertEquals(1, p.devices().size());
        assertTrue(p.devices().getFirst().contains(Runtime.getRuntime().availableProcessors() + " core"), p.devices().getFirst());
        assertSame(p.open(0), p.open(0));
        assertThrows(IllegalArgumentException.class, () -> p.open(1));
    }

    @Test
    void buffersAreAlignedSizedBySizeClassAndReturned() {
        CpuBackend be = new CpuBackend(true);
        long base = be.bytesInUse();
        List<Buffer> bufs = new ArrayList<>();
        for (long bytes : new long[] {1, 4, 511, 513, 4096, 1 << 20, (1 << 20) + 1, 3_000_000}) {
            Buffer b = be.allocate(bytes);
            assertEquals(CachingAllocator.sizeClass(bytes), b.byteSize(), "size class of " + bytes);
            assertEquals(0, ((CpuBuffer) b).segment().address() % 64, "64-byte alignment");
            bufs.add(b);
        }
        assertTrue(be.bytesInUse() > base);
        for (Buffer b : bufs) be.free(b);
        assertEquals(base, be.bytesInUse());
        assertTrue(be.bytesCached() > 0);
        Buffer again = be.allocate(4096);
        assertTrue(bufs.contains(again), "a freed block of the same class is reused");
        be.free(again);
        be.close();
        assertEquals(0, be.bytesCached());
    }

    @Test
    void impossibleAllocationIsATypedErrorAndTheDeviceStaysUsable() {
        CpuBackend be = new CpuBackend(true);
        dev.kiln.DeviceOutOfMemoryException e = assertThrows(dev.kiln.DeviceOutOfMemoryException.class, () -> be.allocate(1L << 50));
        assertTrue(e.getMessage().contains("cpu"), e.getMessage());
        assertEquals(0, be.bytesInUse());
        Buffer ok = be.allocate(1024);
        be.free(ok);
        assertThrows(KilnException.class, () -> be.allocate(-1));
        be.close();
    }

    @Test
    void copiesCheckTheirRanges() {
        CpuBackend be = Fixture.VECTOR;
        Buffer a = be.allocate(64), b = be.allocate(64);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(64);
            for (int i = 0; i < 64; i++) host.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) i);
            be.upload(host.asSlice(0, 32), a, 16);
            be.copy(a, 16, b, 0, 32);
            MemorySegment back = arena.allocate(32);
            be.download(b, 0, back);
            assertArrayEquals(host.asSlice(0, 32).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), back.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            KilnException e = assertThrows(KilnException.class, () -> be.upload(host, a, a.byteSize() - 8));
            assertTrue(e.getMessage().contains("upload"), e.getMessage());
            assertThrows(KilnException.class, () -> be.download(a, -1, back));
            assertThrows(KilnException.class, () -> be.copy(a, 0, b, b.byteSize() - 1, 2));
            Buffer foreign = () -> 64;
            assertThrows(KilnException.class, () -> be.free(foreign));
        } finally {
            be.free(a);
            be.free(b);
        }
    }

    @Test
    void publicApiOnCpuDevice() {
        Device cpu = Kiln.device("cpu");
        assertEquals("cpu", cpu.name());
        long base = cpu.bytesInUse();
        Generator g = new Generator(7);
        try (Tensor x = cpu.randn(g, 33, 65); Tensor w = cpu.randn(g, 65, 17); Tensor bias = cpu.randn(g, 17)) {
            float[] xs = x.toFloatArray(), ws = w.toFloatArray(), bs = bias.toFloatArray();
            try (Tensor y = x.matmul(w); Tensor z = y.add(bias); Tensor r = z.relu(); Tensor s = r.sum(1); Tensor am = z.argmax(1)) {
                float[] rs = r.toFloatArray();
                double num = 0, den = 0;
                double[] rowSum = new double[33];
                long[] arg = new long[33];
                for (int i = 0; i < 33; i++) {
                    double best = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < 17; j++) {
                        double acc = bs[j];
                        for (int k = 0; k < 65; k++) acc += (double) xs[i * 65 + k] * ws[k * 17 + j];
                        if (acc > best) { best = acc; arg[i] = j; }
                        double ref = Math.max(acc, 0);
                        rowSum[i] += ref;
                        num += (rs[i * 17 + j] - ref) * (rs[i * 17 + j] - ref);
                        den += ref * ref;
                    }
                }
                assertTrue(Math.sqrt(num / den) < 1e-5, "relu(x @ w + b) relative error " + Math.sqrt(num / den));
                float[] ss = s.toFloatArray();
                for (int i = 0; i < 33; i++) assertEquals(rowSum[i], ss[i], 1e-4 * Math.max(1, Math.abs(rowSum[i])));
                assertArrayEquals(arg, am.toLongArray());
            }
            try (Tensor t = x.transpose(0, 1); Tensor c = t.copy(); Tensor h = x.to(DType.BF16); Tensor back = h.to(DType.F32)) {
                float[] cs = c.toFloatArray(), bk = back.toFloatArray();
                for (int i = 0; i < 33; i++) {
                    for (int j = 0; j < 65; j++) {
                        assertEquals(xs[i * 65 + j], cs[j * 33 + i], 0f);
                        assertEquals(xs[i * 65 + j], bk[i * 65 + j], Math.abs(xs[i * 65 + j]) / 128 + 1e-30);
                    }
                }
            }
        }
        assertEquals(base, cpu.bytesInUse(), "bytes in use after closing every tensor");
    }

    @Test
    void manyThreadsAtOnceGiveTheSameBitsAsOne() throws Exception {
        Device cpu = Kiln.device("cpu");
        long base = cpu.bytesInUse();
        float[] expected;
        try (Tensor a = cpu.randn(new Generator(1), 96, 200); Tensor b = cpu.randn(new Generator(2), 200, 150);
             Tensor c = a.matmul(b); Tensor d = c.tanh(); Tensor e = d.sum(0)) {
            expected = e.toFloatArray();
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                results.add(pool.submit(() -> {
                    try (Tensor a = cpu.randn(new Generator(1), 96, 200); Tensor b = cpu.randn(new Generator(2), 200, 150);
                         Tensor c = a.matmul(b); Tensor d = c.tanh(); Tensor e = d.sum(0)) {
                        return e.toFloatArray();
                    }
                }));
            }
            for (Future<float[]> f : results) assertArrayEquals(expected, f.get(2, TimeUnit.MINUTES));
        } finally {
            pool.shutdown();
        }
        assertEquals(base, cpu.bytesInUse());
    }

    @Test
    void withoutTheVectorModuleItRunsScalarAndSaysSoOnce() throws Exception {
        assertTrue(Fixture.VECTOR.vectorized(), "tests run with --add-modules jdk.incubator.vector");
        assertFalse(Fixture.SCALAR.vectorized());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ScalarFallbackMain.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("OK ") && output.contains("scalar"), output);
        int first = output.indexOf("jdk.incubator.vector is not available");
        assertTrue(first >= 0, output);
        assertEquals(-1, output.indexOf("jdk.incubator.vector is not available", first + 1), "logged once: " + output);
    }
}
