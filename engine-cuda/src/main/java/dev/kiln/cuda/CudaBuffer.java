package dev.kiln.cuda;

import dev.kiln.spi.Buffer;
import jcuda.driver.CUevent;

/**
 * A block of device memory of exactly one allocator size class. When a buffer is freed, an event is
 * recorded on the freeing thread's stream; the next owner's stream waits on it (on the GPU, not the host)
 * before using the block, so a block is never reused while kernels that read it are still queued.
 */
final class CudaBuffer implements Buffer {
    final DevicePointer pointer;
    final long address;
    private final long size;
    /** Recorded at free; null until the buffer is first freed. Guarded by the allocator's lock hand-off. */
    CUevent releasedAt;
    boolean releasePending;

    CudaBuffer(DevicePointer pointer, long size) {
        this.pointer = pointer;
        this.address = pointer.address();
        this.size = size;
    }

    @Override
    public long byteSize() { return size; }

    @Override
    public String toString() { return "CudaBuffer[" + size + " bytes @0x" + Long.toHexString(address) + "]"; }
}
