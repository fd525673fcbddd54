package dev.kiln.opencl;

import dev.kiln.BackendUnavailableException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BackendProvider;
import java.util.List;
import java.util.Optional;

/**
 * The OpenCL backend plugin. It ranks above the CPU backend only when a GPU is present, so that on a
 * CPU-only machine with PoCL the pure-Java backend stays the default and OpenCL is chosen by name.
 */
public final class OpenClProvider implements BackendProvider {
    public static final int GPU_RANK = 10;

    @Override
    public String name() { return "opencl"; }

    @Override
    public int rank() {
        ClDiscovery.Result r = ClDiscovery.get();
        return r.devices().stream().anyMatch(DeviceInfo::gpu) ? GPU_RANK : -1;
    }

    @Override
    public Optional<String> unavailableReason() { return ClDiscovery.get().unavailableReason(); }

    @Override
    public List<String> devices() {
        return ClDiscovery.get().devices().stream().map(DeviceInfo::describe).toList();
    }

    @Override
    public Backend open(int index) {
        ClDiscovery.Result r = ClDiscovery.get();
        if (r.unavailableReason().isPresent()) throw new BackendUnavailableException("opencl: " + r.unavailableReason().get());
        if (index < 0 || index >= r.devices().size()) {
            throw new BackendUnavailableException("opencl:" + index + " does not exist; devices: " + devices());
        }
        return new OpenClBackend(r.devices().get(index), index);
    }
}
