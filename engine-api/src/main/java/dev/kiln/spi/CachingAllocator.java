package dev.kiln.spi;

import dev.kiln.DeviceOutOfMemoryException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator that a backend puts in front of its raw device allocation. Requests are
 * rounded up to a size class (512-byte steps below 1 MiB, then four steps per power of two), freed
 * blocks wait in a per-class free list for the next request of that class, and when the device runs
 * out of memory the whole cache is released and the allocation tried once more. Thread-safe.
 *
 * @param <B> the backend's buffer type
 */
public final class CachingAllocator<B extends Buffer> {

    /** The raw device allocation the cache sits on. */
    public interface Device<B> {
        /** Allocates exactly {@code bytes}; returns null when the device is out of memory. */
        B allocate(long bytes);

        void free(B buffer);
    }

    private final Device<B> device;
    private final String deviceName;
    private final Map<Long, ArrayDeque<B>> cache = new HashMap<>();
    private long inUse, cached, peak;

    public CachingAllocator(String deviceName, Device<B> device) {
        this.deviceName = deviceName;
        this.device = device;
    }

    /** The size class a request of {@code bytes} is served from. */
    public static long sizeClass(long bytes) {
        if (bytes <= 0) return 512;
        if (bytes <= (1 << 20)) return (bytes + 511) & ~511L;
        int shift = 63 - Long.numberOfLeadingZeros(bytes - 1);   // 2^shift < bytes <= 2^(shift+1)
        long step = 1L << (shift - 2);                           // four steps per power of two
        return (bytes + step - 1) / step * step;
    }

    public synchronized B allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<B> free = cache.get(size);
        B b = free == null ? null : free.pollFirst();
        if (b != null) {
            cached -= size;
        } else {
            b = device.allocate(size);
            if (b == null) {
                releaseCache();
                b = device.allocate(size);
            }
            if (b == null) {
                throw new DeviceOutOfMemoryException(deviceName + ": out of memory allocating " + bytes
                        + " bytes (" + inUse + " bytes in use by tensors, cache released)", bytes);
            }
        }
        inUse += size;
        peak = Math.max(peak, inUse);
        return b;
    }

    public synchronized void free(B buffer) {
        long size = buffer.byteSize();
        inUse -= size;
        cached += size;
        cache.computeIfAbsent(size, k -> new ArrayDeque<>()).addFirst(buffer);
    }

    /** Frees every cached block back to the device. */
    public synchronized void releaseCache() {
        for (ArrayDeque<B> q : cache.values()) {
            for (B b : q) device.free(b);
        }
        cache.clear();
        cached = 0;
    }

    public synchronized long bytesInUse() { return inUse; }

    public synchronized long bytesCached() { return cached; }

    public synchronized long peakBytesInUse() { return peak; }
}
