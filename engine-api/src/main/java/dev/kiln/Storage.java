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

    void release() {
        if (refs.decrementAndGet() == 0) device.backend().free(buffer);
    }
}
