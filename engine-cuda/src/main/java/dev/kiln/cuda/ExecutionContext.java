package dev.kiln.cuda;

import static dev.kiln.cuda.CudaErrors.checkDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jcuda.Pointer;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * What one thread works with on one device: its own non-blocking stream, its cuBLAS handle bound to that
 * stream, host scalars for cuBLAS, and a pinned staging buffer for copies from heap memory.
 */
final class ExecutionContext {
    static final long STAGING_BYTES = 8L << 20;

    final DevicePointer.Stream stream = new DevicePointer.Stream();
    private final Arena arena = Arena.ofShared();
    /** alpha at 0, beta at 4: cuBLAS reads them from the host (default pointer mode) when the call is made. */
    final MemorySegment scalars = arena.allocate(8, 8);
    private MemorySegment cublasHandle;
    private MemorySegment cudnnHandle;
    private Pointer staging;
    private ByteBuffer stagingBuffer;

    ExecutionContext() {
        checkDriver(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    MemorySegment cublas(Cublas lib, Precision precision) {
        if (cublasHandle == null) cublasHandle = lib.createHandle(stream.address(), precision.mathMode());
        return cublasHandle;
    }

    MemorySegment cudnn(Cudnn lib) {
        if (cudnnHandle == null) cudnnHandle = lib.createHandle(stream.address());
        return cudnnHandle;
    }

    /** Pinned host memory for staging; allocated on first use. */
    ByteBuffer staging() {
        if (staging == null) {
            Pointer p = new Pointer();
            checkDriver(JCudaDriver.cuMemHostAlloc(p, STAGING_BYTES, 0), "cuMemHostAlloc " + STAGING_BYTES + " bytes");
            staging = p;
            stagingBuffer = p.getByteBuffer(0, STAGING_BYTES);
        }
        return stagingBuffer;
    }

    Pointer stagingPointer() {
        staging();
        return staging;
    }

    void synchronize() { checkDriver(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize"); }

    void close(Cublas lib, Cudnn dnn) {
        synchronize();
        if (cublasHandle != null) lib.destroyHandle(cublasHandle);
        if (cudnnHandle != null) dnn.destroyHandle(cudnnHandle);
        if (staging != null) JCudaDriver.cuMemFreeHost(staging);
        JCudaDriver.cuStreamDestroy(stream);
        arena.close();
    }
}
