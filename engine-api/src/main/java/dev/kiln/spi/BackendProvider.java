package dev.kiln.spi;

import dev.kiln.BackendUnavailableException;
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

    /** The math mode every backend offers: IEEE float32 multiply-add. */
    String FP32 = "fp32";

    /**
     * The math modes its devices can be opened in for GEMM and convolution ({@code fp32}, {@code tf32},
     * {@code bf16}), {@link #FP32} first. A backend with more than fp32 overrides this and
     * {@link #open(int, String)}; users name a mode as {@code cuda:0@tf32}.
     */
    default List<String> precisions() { return List.of(FP32); }

    /**
     * Opens device {@code index} computing in {@code precision}, one of {@link #precisions()} (the
     * caller checks); each precision is a separate backend instance, shared by every thread.
     */
    default Backend open(int index, String precision) {
        if (precision.equals(FP32)) return open(index);
        throw new BackendUnavailableException(name() + ":" + index + " computes in " + String.join(", ", precisions())
                + ", not " + precision);
    }
}
