package dev.kiln.cuda;

import dev.kiln.BackendUnavailableException;
import dev.kiln.spi.Backend;
import dev.kiln.spi.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/** Makes CUDA devices available as {@code cuda:N}; needs libcuda.so.1, a device, cuBLAS and NVRTC. */
public final class CudaProvider implements BackendProvider {
    @Override
    public String name() { return "cuda"; }

    @Override
    public int rank() { return 100; }

    @Override
    public Optional<String> unavailableReason() { return CudaLibraries.unavailableReason(); }

    @Override
    public List<String> devices() {
        if (unavailableReason().isPresent()) return List.of();
        CudaLibraries libs = CudaLibraries.get();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < libs.deviceCount; i++) {
            CUdevice d = new CUdevice();
            byte[] name = new byte[256];
            if (JCudaDriver.cuDeviceGet(d, i) != 0 || JCudaDriver.cuDeviceGetName(name, name.length, d) != 0) continue;
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            out.add("cuda:" + i + " " + new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }

    @Override
    public Backend open(int index) {
        CudaLibraries libs = CudaLibraries.get();
        if (index < 0 || index >= libs.deviceCount) {
            throw new BackendUnavailableException("cuda:" + index + " does not exist (" + libs.deviceCount + " CUDA devices)");
        }
        return new CudaBackend(index, libs, Precision.fromSystemProperty());
    }

    @Override
    public List<String> precisions() { return Precision.NAMES; }

    /** {@code cuda:0@tf32}: the device in that mode, whatever {@code -Dkiln.cuda.precision} says. */
    @Override
    public Backend open(int index, String precision) {
        CudaLibraries libs = CudaLibraries.get();
        if (index < 0 || index >= libs.deviceCount) {
            throw new BackendUnavailableException("cuda:" + index + " does not exist (" + libs.deviceCount + " CUDA devices)");
        }
        return new CudaBackend(index, libs, Precision.parse(precision));
    }
}
