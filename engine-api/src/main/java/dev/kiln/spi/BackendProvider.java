package dev.kiln.spi;

import java.util.List;
import java.util.Optional;

/**
 * Entry point of a backend plugin, found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/dev.kiln.spi.BackendProvider}, like a JDBC driver.
 */
public interface BackendProvider {
    /** The device-name prefix users write: {@code cpu}, {@code cuda}, {@code opencl}. */
    String name();

    /** Higher wins when the user names no device: GPUs rank above the CPU. */
    int rank();

    /** Empty when usable here; otherwise one line a user can act on ({@code libcuda.so.1 not found}). */
    Optional<String> unavailableReason();

    /** Human descriptions of the devices this provider sees (empty when unavailable). */
    List<String> devices();

    /** Opens device {@code index}; called once per device, the result is shared by every thread. */
    Backend open(int index);
}
