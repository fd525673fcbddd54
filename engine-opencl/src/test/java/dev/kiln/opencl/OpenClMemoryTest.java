package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.BackendException;
import dev.kiln.DType;
import dev.kiln.DeviceOutOfMemoryException;
import dev.kiln.KilnException;
import dev.kiln.ShapeException;
import dev.kiln.spi.Buffer;
import dev.kiln.spi.CachingAllocator;
import dev.kiln.spi.UnaryOp;
import dev.kiln.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenClMemoryTest extends OpenClTestSupport {

    private OpenClBackend cl() { return (OpenClBackend) backend; }

    @Test
    void buffersHaveTheirSizeClassAndAreReused() {
        long base = backend.bytesInUse();
        for (long bytes : new long[] {1, 511, 513, 4000, (1 << 20) + 1, 3_000_001}) {
            Buffer b = backend.allocate(bytes);
            assertEquals(CachingAllocator.sizeClass(bytes), b.byteSize());
            assertEquals(base + b.byteSize(), backend.bytesInUse());
            backend.free(b);
            assertEquals(base, backend.bytesInUse());
            Buffer again = backend.allocate(bytes);
            assertEquals(((ClBuffer) b).mem(), ((ClBuffer) again).mem(), "a freed block serves the next request of its class");
            backend.free(again);
        }
    }

    @Test
    void uploadDownloadAndCopyWithOffsets() {
        int n = 1001;
        Buffer a = backend.allocate(n * 4L), b = backend.allocate(n * 4L + 64);
        try (Arena arena = Arena.ofConfined()) {
            float[] src = new float[n];
            for (int i = 0; i < n; i++) src[i] = rnd.nextFloat();
            backend.upload(MemorySegment.ofArray(src), a, 0);             // a heap segment goes through a native copy
            backend.copy(a, 8, b, 64, (n - 2) * 4L);
            MemorySegment back = arena.allocate((n - 2) * 4L);
            backend.download(b, 64, back);
            float[] got = back.toArray(ValueLayout.JAVA_FLOAT);
            for (int i = 0; i < n - 2; i++) assertEquals(src[i + 2], got[i], "element " + i + seedNote());
            float[] heap = new float[3];
            backend.download(a, 4, MemorySegment.ofArray(heap));
            assertArrayEquals(new float[] {src[1], src[2], src[3]}, heap);
            assertThrows(KilnException.class, () -> backend.copy(a, 0, a, 4, 100), "overlapping copy");
            assertThrows(KilnException.class, () -> backend.download(a, a.byteSize() - 4, arena.allocate(8)), "read past the end");
        } finally {
            backend.free(a);
            backend.free(b);
        }
    }

    @Test
    void viewsOutsideTheirBufferAreRejected() {
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 10); HostArray y = HostArray.contiguous(backend, DType.F32, 10)) {
            long capacity = x.buffer.byteSize() / 4;
            View past = new View(x.buffer, DType.F32, capacity - 5, new int[] {10}, new long[] {1});
            ShapeException e = assertThrows(ShapeException.class, () -> backend.unary(UnaryOp.COPY, past, y.view));
            assertTrue(e.getMessage().contains("unary COPY") && e.getMessage().contains("outside its buffer"), e.getMessage());
            Buffer foreign = () -> 64;
            assertThrows(KilnException.class, () -> backend.fill(View.contiguous(foreign, DType.F32, 0, 4), 1));
        }
    }

    @Test
    void allocationBeyondTheDeviceIsATypedErrorAndTheDeviceStaysUsable() {
        long base = backend.bytesInUse();
        long tooBig = cl().device().maxAllocBytes() + 1;
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> backend.allocate(tooBig));
        assertEquals(tooBig, e.requestedBytes());
        assertEquals(base, backend.bytesInUse());
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 7)) {
            backend.fill(x.view, 3);
            Compare.exact("after out of memory", new double[] {3, 3, 3, 3, 3, 3, 3}, x.download().values());
        }
    }

    @Test
    void openClErrorsCarryTheirName() {
        long program = cl().programs().get("gemm.cl", "");
        BackendException e = assertThrows(BackendException.class, () -> cl().ctx().kernel(program, "no_such_kernel"));
        assertEquals("CL_INVALID_KERNEL_NAME", e.libraryError());
        assertTrue(e.getMessage().contains("clCreateKernel(no_such_kernel)"), e.getMessage());
        assertEquals("CL_OUT_OF_RESOURCES", ClErrors.name(-5));
        assertEquals("CL_MEM_OBJECT_ALLOCATION_FAILURE", ClErrors.name(-4));
    }

    @Test
    void aKernelBuildFailureShowsTheBuildLog(@TempDir Path dir) {
        ProgramCache cache = new ProgramCache(cl().context(), cl().device(), dir);
        BackendException e = assertThrows(BackendException.class,
                () -> cache.build("broken.cl", "__kernel void broken(__global float* x) { x[0] = undefined_symbol_42; }"));
        assertEquals("CL_BUILD_PROGRAM_FAILURE", e.libraryError());
        assertTrue(e.getMessage().contains("broken.cl") && e.getMessage().contains("undefined_symbol_42"), e.getMessage());
    }

    @Test
    void builtProgramsAreCachedOnDisk(@TempDir Path dir) throws Exception {
        String source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; } // " + seed;
        ProgramCache first = new ProgramCache(cl().context(), cl().device(), dir);
        long p1 = first.build("twice.cl", source);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".bin")).count(), "one binary on disk");
        }
        ProgramCache second = new ProgramCache(cl().context(), cl().device(), dir);
        long p2 = second.build("twice.cl", source);
        assertEquals(1, second.diskHits(), "the second build loads the binary");
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 64)) {
            x.random(rnd, -1, 1);
            double[] ref = x.values();
            for (int i = 0; i < ref.length; i++) ref[i] *= 2;
            cl().ctx().kernel(p2, "twice").mem((ClBuffer) x.buffer).launch(new long[] {64}, null);
            Compare.exact("kernel from a cached binary", ref, x.download().values());
        }
        org.lwjgl.opencl.CL10.clReleaseProgram(p1);
        org.lwjgl.opencl.CL10.clReleaseProgram(p2);
    }

    @Test
    void threadsHaveTheirOwnQueuesAndGetTheSameBits() throws Exception {
        int n = 4097;
        try (HostArray x = HostArray.contiguous(backend, DType.F32, n)) {
            x.random(rnd, -2, 2);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[]>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    results.add(pool.submit(() -> {
                        try (HostArray y = HostArray.contiguous(backend, DType.F32, n); HostArray s = HostArray.contiguous(backend, DType.F32, 1)) {
                            for (int rep = 0; rep < 5; rep++) {
                                backend.unary(UnaryOp.TANH, x.view, y.view);
                                backend.reduce(dev.kiln.spi.ReduceOp.SUM, y.view, s.view);
                            }
                            return s.download().values();
                        }
                    }));
                }
                double[] first = results.get(0).get();
                double ref = 0, magnitude = 0;
                for (double v : x.values()) {
                    ref += Math.tanh(v);
                    magnitude += Math.abs(Math.tanh(v));
                }
                // the tanh values have both signs and cancel: judge the sum against the sum of their magnitudes
                Compare.closeToScale("sum of tanh" + seedNote(), new double[] {ref}, new double[] {magnitude}, first, 1e-5);
                for (Future<double[]> f : results) assertArrayEquals(first, f.get(), "every thread gives the same bits");
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void queuesOfFinishedThreadsAreReleased() throws Exception {
        int before = cl().openQueues();
        for (int round = 0; round < 3; round++) {
            Thread t = new Thread(() -> {
                try (HostArray x = HostArray.contiguous(backend, DType.F32, 33)) {
                    backend.fill(x.view, 7);
                    backend.synchronize();
                }
            });
            t.start();
            t.join();
        }
        try (HostArray x = HostArray.contiguous(backend, DType.F32, 3)) {
            Thread t = new Thread(() -> backend.fill(x.view, 1));   // opening this queue releases the ended ones
            t.start();
            t.join();
            Compare.exact("fill from a thread", new double[] {1, 1, 1}, x.download().values());
        }
        assertTrue(cl().openQueues() <= before + 1, cl().openQueues() + " queues open, " + before + " before");
    }

    @Test
    void scatterAddWithoutInt64AtomicsUsesTheLoopKernel() {
        cl().useInt64Atomics(false);
        try (HostArray src = HostArray.contiguous(backend, DType.I64, 50, 3); HostArray idx = HostArray.contiguous(backend, DType.I32, 50, 3);
             HostArray out = HostArray.contiguous(backend, DType.I64, 4, 3)) {
            src.random(rnd, -100, 100);
            for (int i = 0; i < idx.data.length; i++) idx.data[i] = rnd.nextInt(5);   // 4 is out of range: skipped
            idx.upload();
            out.random(rnd, -5, 5);
            double[] ref = out.values();
            for (int i = 0; i < 150; i++) if (idx.data[i] < 4) ref[(int) idx.data[i] * 3 + i % 3] += src.data[i];
            backend.scatterAdd(src.view, 0, idx.view, out.view);
            Compare.exact("scatterAdd I64 loop" + seedNote(), ref, out.download().values());
        } finally {
            cl().useInt64Atomics(true);
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        OpenClBackend other = (OpenClBackend) new OpenClProvider().open(0);
        Buffer b = other.allocate(64);
        other.free(b);
        assertEquals(0, other.bytesInUse());
        other.close();
        assertThrows(KilnException.class, () -> other.fill(View.contiguous(b, DType.F32, 0, 4), 1));
    }
}
