package dev.kiln.cuda;

import dev.kiln.KilnException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.Optional;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The process-wide native pieces, loaded once: the driver (through JCuda), cuBLAS and NVRTC (through FFM).
 * {@link #unavailableReason()} says in one line which piece is missing.
 */
final class CudaLibraries {
    static final String DRIVER_SONAME = "libcuda.so.1";

    private static volatile CudaLibraries instance;
    private static volatile String failure;

    final Cublas cublas;
    final Nvrtc nvrtc;
    /** Null when cuDNN is missing; {@link #cudnnMissing} then says why. */
    final Cudnn cudnn;
    final String cudnnMissing;
    final int deviceCount;

    private CudaLibraries(Cublas cublas, Nvrtc nvrtc, Cudnn cudnn, String cudnnMissing, int deviceCount) {
        this.cublas = cublas;
        this.nvrtc = nvrtc;
        this.cudnn = cudnn;
        this.cudnnMissing = cudnnMissing;
        this.deviceCount = deviceCount;
    }

    /** Empty when the driver, a device, cuBLAS and NVRTC are all present. */
    static synchronized Optional<String> unavailableReason() {
        if (instance != null) return Optional.empty();
        if (failure != null) return Optional.of(failure);
        try {
            instance = load();
            return Optional.empty();
        } catch (KilnException e) {
            failure = e.getMessage();
        } catch (LinkageError e) {
            failure = "the JCuda driver library could not be loaded: " + e.getMessage();
        }
        return Optional.of(failure);
    }

    static CudaLibraries get() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) throw new dev.kiln.BackendUnavailableException("cuda: " + reason.get());
        return instance;
    }

    private static CudaLibraries load() {
        // Check for the driver with the dynamic linker first: JCuda's native library needs it and fails less clearly.
        try (Arena probe = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(DRIVER_SONAME, probe);
        } catch (IllegalArgumentException e) {
            throw new KilnException(DRIVER_SONAME + " not found (no NVIDIA driver on this machine)");
        }
        JCudaDriver.setExceptionsEnabled(false);
        int rc = JCudaDriver.cuInit(0);
        if (rc == CUresult.CUDA_ERROR_NO_DEVICE) throw new KilnException("no CUDA device");
        if (rc != CUresult.CUDA_SUCCESS) throw new KilnException("cuInit failed (" + CudaErrors.driverName(rc) + ")");
        int[] count = new int[1];
        rc = JCudaDriver.cuDeviceGetCount(count);
        if (rc != CUresult.CUDA_SUCCESS) throw new KilnException("cuDeviceGetCount failed (" + CudaErrors.driverName(rc) + ")");
        if (count[0] == 0) throw new KilnException("no CUDA device");
        LibraryLocator locator = LibraryLocator.forThisProcess();
        Cublas cublas = new Cublas(locator, Arena.global());
        Nvrtc nvrtc = new Nvrtc(locator, Arena.global());
        // cuDNN is optional: without it the fast paths it would serve keep their composite defaults
        Cudnn cudnn = null;
        String cudnnMissing = null;
        try {
            cudnn = new Cudnn(locator, Arena.global());
        } catch (KilnException e) {
            cudnnMissing = e.getMessage();
        }
        return new CudaLibraries(cublas, nvrtc, cudnn, cudnnMissing, count[0]);
    }
}
