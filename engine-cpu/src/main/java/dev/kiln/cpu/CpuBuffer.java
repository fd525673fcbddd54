package dev.kiln.cpu;

import dev.kiln.spi.Buffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One raw off-heap block of the CPU backend: a 64-byte aligned {@link MemorySegment} in its own
 * shared {@link Arena}, closed when the block goes back to the system.
 */
record CpuBuffer(MemorySegment segment, Arena arena) implements Buffer {
    @Override
    public long byteSize() { return segment.byteSize(); }
}
