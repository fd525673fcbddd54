package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.Device;
import dev.kiln.Kiln;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Devices opened by precision ({@code cuda:0@tf32}) and the facts the backend reports. Skipped with the
 * provider's reason where no CUDA device, driver, cuBLAS or NVRTC is present.
 */
class CudaPrecisionDeviceTest {
    private static void assumeCuda() {
        new CudaProvider().unavailableReason().ifPresent(why -> assumeTrue(false, "CUDA unavailable: " + why));
    }

    @Test
    void eachNamedPrecisionIsItsOwnDeviceInThatMode() {
        assumeCuda();
        Device fp32 = Kiln.device("cuda:0@fp32");
        Device tf32 = Kiln.device("cuda:0@tf32");
        Device bf16 = Kiln.device("cuda@BF16");
        assertEquals(Precision.FP32, ((CudaBackend) fp32.backend()).precision());
        assertEquals(Precision.TF32, ((CudaBackend) tf32.backend()).precision());
        assertEquals(Precision.BF16, ((CudaBackend) bf16.backend()).precision());
        assertNotSame(fp32, tf32);
        assertEquals("cuda:0@tf32", tf32.name());
        assertTrue(tf32.description().contains("GEMM precision tf32"), tf32.description());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Kiln.device("cuda:0@fp16"));
        assertEquals("device 'cuda:0@fp16': cuda offers the precisions fp32, tf32, bf16, not 'fp16'", e.getMessage());
    }

    @Test
    void propertiesNameTheGpuAndTheLibraryVersions() {
        assumeCuda();
        CudaBackend b = (CudaBackend) Kiln.device("cuda:0@fp32").backend();
        Map<String, String> p = b.properties();
        for (String key : List.of("gpu", "compute_capability", "memory", "cuda", "cublas", "cudnn", "nvrtc")) {
            assertTrue(p.containsKey(key), key + " missing from " + p);
        }
        assertEquals(b.deviceName(), p.get("gpu"));
        assertTrue(p.get("cuda").matches("\\d+\\.\\d"), p.get("cuda"));
        assertTrue(p.get("cublas").matches("\\d+\\.\\d+\\.\\d+"), p.get("cublas"));
        assertTrue(p.get("nvrtc").matches("\\d+\\.\\d"), p.get("nvrtc"));
        assertTrue(b.cublasVersion() >= 110000, "cuBLAS " + b.cublasVersion());
        assertTrue(b.driverVersion() >= 12000, "CUDA " + b.driverVersion());
    }
}
