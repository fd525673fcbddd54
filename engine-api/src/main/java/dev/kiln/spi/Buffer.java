package dev.kiln.spi;

/** A contiguous block of device memory, owned by the backend that allocated it. */
public interface Buffer {
    long byteSize();
}
