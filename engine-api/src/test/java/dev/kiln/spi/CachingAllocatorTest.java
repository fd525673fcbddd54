package dev.kiln.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.DeviceOutOfMemoryException;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    record Block(long byteSize) implements Buffer {}

    /** A device with a fixed capacity that counts raw calls. */
    static final class FakeDevice implements CachingAllocator.Device<Block> {
        long capacity, used, rawAllocs, rawFrees;

        FakeDevice(long capacity) { this.capacity = capacity; }

        @Override public Block allocate(long bytes) {
            if (used + bytes > capacity) return null;
            used += bytes;
            rawAllocs++;
            return new Block(bytes);
        }

        @Override public void free(Block b) {
            used -= b.byteSize();
            rawFrees++;
        }
    }

    @Test
    void sizeClassesRoundUpAndNeverShrink() {
        assertEquals(512, CachingAllocator.sizeClass(1));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1 << 20, CachingAllocator.sizeClass(1 << 20));
        for (long b = 1; b < (1L << 34); b = b * 3 + 1) {
            long c = CachingAllocator.sizeClass(b);
            assertTrue(c >= b && c <= b + b / 4 + 512, b + " -> " + c);
        }
    }

    @Test
    void freedBlocksAreReusedForTheSameClass() {
        FakeDevice dev = new FakeDevice(1 << 20);
        CachingAllocator<Block> a = new CachingAllocator<>("fake", dev);
        Block b1 = a.allocate(1000);
        a.free(b1);
        assertEquals(0, a.bytesInUse());
        assertSame(b1, a.allocate(900));
        assertEquals(1, dev.rawAllocs);
    }

    @Test
    void outOfMemoryReleasesTheCacheRetriesThenThrowsTyped() {
        FakeDevice dev = new FakeDevice(4096);
        CachingAllocator<Block> a = new CachingAllocator<>("fake", dev);
        a.free(a.allocate(3000));                // 3072 cached
        Block b = a.allocate(2048);              // needs the cache released
        assertEquals(1, dev.rawFrees);
        var e = assertThrows(DeviceOutOfMemoryException.class, () -> a.allocate(4096));
        assertEquals(4096, e.requestedBytes());
        a.free(b);
        assertEquals(0, a.bytesInUse());
        a.allocate(4096);                         // the device still works
    }
}
