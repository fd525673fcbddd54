package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.BackendException;
import org.junit.jupiter.api.Test;

class CudaErrorsTest {
    @Test
    void driverCodesHaveTheirCudaNames() {
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaErrors.driverName(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaErrors.driverName(100));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaErrors.driverName(700));
    }

    @Test
    void cublasStatusNames() {
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", CudaErrors.cublasName(1));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CudaErrors.cublasName(7));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CudaErrors.cublasName(13));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", CudaErrors.cublasName(15));
        assertEquals("CUBLAS_STATUS_UNKNOWN(99)", CudaErrors.cublasName(99));
    }

    @Test
    void nvrtcResultNames() {
        assertEquals("NVRTC_SUCCESS", CudaErrors.nvrtcName(0));
        assertEquals("NVRTC_ERROR_COMPILATION", CudaErrors.nvrtcName(6));
        assertEquals("NVRTC_ERROR_INVALID_OPTION", CudaErrors.nvrtcName(5));
        assertEquals("NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED", CudaErrors.nvrtcName(17));
        assertEquals("NVRTC_ERROR_UNKNOWN(-1)", CudaErrors.nvrtcName(-1));
    }

    @Test
    void failuresBecomeBackendExceptionsCarryingTheName() {
        assertDoesNotThrow(() -> CudaErrors.checkDriver(0, "ok"));
        BackendException e = assertThrows(BackendException.class, () -> CudaErrors.checkDriver(2, "cuMemAlloc 64 bytes"));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.libraryError());
        assertTrue(e.getMessage().contains("cuMemAlloc 64 bytes"), e.getMessage());
        assertEquals("CUBLAS_STATUS_ARCH_MISMATCH", assertThrows(BackendException.class,
                () -> CudaErrors.checkCublas(8, "gemm")).libraryError());
        assertEquals("NVRTC_ERROR_COMPILATION", assertThrows(BackendException.class,
                () -> CudaErrors.checkNvrtc(6, "compile")).libraryError());
    }
}
