package dev.kiln.opencl;

import dev.kiln.spi.Buffer;

/** A cl_mem of exactly {@code byteSize} bytes (its allocator size class), owned by one backend. */
record ClBuffer(OpenClBackend owner, long mem, long byteSize) implements Buffer {
    @Override
    public String toString() {
        return "ClBuffer[" + byteSize + " bytes on " + owner.name() + "]";
    }
}
