package dev.kiln;

/** A device allocation that failed even after the caching allocator released its cache. The device stays usable. */
public class DeviceOutOfMemoryException extends KilnException {
    private final long requestedBytes;

    public DeviceOutOfMemoryException(String message, long requestedBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() { return requestedBytes; }
}
