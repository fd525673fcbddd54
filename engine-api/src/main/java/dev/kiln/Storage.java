package dev.kiln;

import dev.kiln.spi.Buffer;
import java.util.concurrent.atomic.AtomicInteger;

/** A device buffer shared by a tensor and its reshaped aliases; freed when the last of them closes. */
final class Storage {
    final Device device;
    final Buffer buffer;
    private final AtomicInteger refs = new AtomicInteger(1);
    volatile boolean written;

    Storage(Device device, Buffer buffer) {
        this.device = device;
        this.buffer = buffer;
    }

    Storage retain() {
        refs.incrementAndGet();
        return this;
    }

    /** True when another tensor handle also holds this buffer. */
    boolean shared() { return refs.get() > 1; }

    void release() {
        int left = refs.decrementAndGet();
        if (left == 0) {
            if (Tensor.POISON) {
                // debug mode of the conformance kit: a freed block holds NaN, so a read after free shows at once
                long words = buffer.byteSize() / 4;
                device.backend().fill(dev.kiln.spi.View.contiguous(buffer, DType.F32, 0, (int) Math.min(words, Integer.MAX_VALUE)), Double.NaN);
            }
            device.backend().free(buffer);
        } else if (left < 0) {
            throw new IllegalStateException("storage released more often than retained");
        }
    }
}
