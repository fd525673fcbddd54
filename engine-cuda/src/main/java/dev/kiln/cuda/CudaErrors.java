package dev.kiln.cuda;

import dev.kiln.BackendException;
import jcuda.driver.CUresult;

/** Turns the status codes of the driver, cuBLAS and NVRTC into their names, and failures into {@link BackendException}. */
public final class CudaErrors {
    private CudaErrors() {}

    public static String driverName(int code) { return CUresult.stringFor(code); }

    public static String cublasName(int code) {
        return switch (code) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS_STATUS_UNKNOWN(" + code + ")";
        };
    }

    private static final String[] NVRTC = {
        "NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY", "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        "NVRTC_ERROR_INVALID_INPUT", "NVRTC_ERROR_INVALID_PROGRAM", "NVRTC_ERROR_INVALID_OPTION",
        "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION", "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID", "NVRTC_ERROR_INTERNAL_ERROR", "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
        "NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED", "NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED", "NVRTC_ERROR_PCH_CREATE",
        "NVRTC_ERROR_CANCELLED", "NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED"
    };

    public static String nvrtcName(int code) {
        return code >= 0 && code < NVRTC.length ? NVRTC[code] : "NVRTC_ERROR_UNKNOWN(" + code + ")";
    }

    /** Throws when a driver call failed; {@code what} names the operation for the message. */
    public static void checkDriver(int code, String what) {
        if (code != CUresult.CUDA_SUCCESS) throw new BackendException("CUDA driver call failed: " + what, driverName(code));
    }

    public static void checkCublas(int code, String what) {
        if (code != 0) throw new BackendException("cuBLAS call failed: " + what, cublasName(code));
    }

    public static void checkNvrtc(int code, String what) {
        if (code != 0) throw new BackendException("NVRTC call failed: " + what, nvrtcName(code));
    }
}
