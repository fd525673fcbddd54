package dev.kiln.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * cuBLAS bound through FFM (signatures and enum values as cublas_api.h declares them). Handles are
 * plain addresses; device pointers are addresses from {@link DevicePointer}.
 */
public final class Cublas {
    public static final List<String> SONAMES = List.of("libcublas.so.13", "libcublas.so.12");

    public static final int OP_N = 0, OP_T = 1;
    public static final int DEFAULT_MATH = 0, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3;
    public static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_16BF = 75, COMPUTE_32F_FAST_TF32 = 77;
    public static final int CUDA_R_32F = 0;
    public static final int GEMM_DEFAULT = -1;

    private final MethodHandle create, destroy, setStream, setMathMode, getVersion, sgemmStridedBatched,
            gemmStridedBatchedEx;

    public Cublas(LibraryLocator locator, Arena arena) {
        locator.preloadBeside(SONAMES, List.of("libcublasLt.so.1[23]"), arena);
        SymbolLookup lib = locator.load("cuBLAS", SONAMES, arena);
        Linker linker = Linker.nativeLinker();
        create = Nvrtc.bind(linker, lib, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = Nvrtc.bind(linker, lib, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = Nvrtc.bind(linker, lib, "cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        setMathMode = Nvrtc.bind(linker, lib, "cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        getVersion = Nvrtc.bind(linker, lib, "cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        // handle, transa, transb, m, n, k, alpha*, A, lda, strideA, B, ldb, strideB, beta*, C, ldc, strideC, batch
        sgemmStridedBatched = Nvrtc.bind(linker, lib, "cublasSgemmStridedBatched", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG,
                ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
        // handle, transa, transb, m, n, k, alpha*, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta*,
        // C, Ctype, ldc, strideC, batch, computeType, algo
        gemmStridedBatchedEx = Nvrtc.bind(linker, lib, "cublasGemmStridedBatchedEx", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** A new handle bound to {@code stream} (a CUstream address) with the given math mode. */
    public MemorySegment createHandle(long stream, int mathMode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            CudaErrors.checkCublas((int) create.invokeExact(p), "cublasCreate_v2");
            MemorySegment handle = p.get(ADDRESS, 0);
            CudaErrors.checkCublas((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2");
            CudaErrors.checkCublas((int) setMathMode.invokeExact(handle, mathMode), "cublasSetMathMode");
            return handle;
        } catch (Throwable t) {
            throw Nvrtc.rethrow(t);
        }
    }

    public void destroyHandle(MemorySegment handle) {
        try {
            CudaErrors.checkCublas((int) destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw Nvrtc.rethrow(t);
        }
    }

    public int version(MemorySegment handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            CudaErrors.checkCublas((int) getVersion.invokeExact(handle, v), "cublasGetVersion_v2");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Nvrtc.rethrow(t);
        }
    }

    /**
     * Column-major strided-batched GEMM: {@code C = alpha * op(A) op(B) + beta * C}. {@code scalars} is
     * host memory holding alpha at 0 and beta at 4 (cuBLAS's default host pointer mode). A compute type
     * of {@link #COMPUTE_32F} uses cublasSgemmStridedBatched, the others cublasGemmStridedBatchedEx.
     */
    public void gemm(MemorySegment handle, int computeType, GemmPlan.Call c, long a, long b, long cOut,
                     MemorySegment scalars) {
        MemorySegment alpha = scalars.asSlice(0, 4), beta = scalars.asSlice(4, 4);
        try {
            int rc;
            if (computeType == COMPUTE_32F) {
                rc = (int) sgemmStridedBatched.invokeExact(handle, c.transA(), c.transB(), c.m(), c.n(), c.k(), alpha,
                        MemorySegment.ofAddress(a), c.lda(), c.strideA(), MemorySegment.ofAddress(b), c.ldb(), c.strideB(),
                        beta, MemorySegment.ofAddress(cOut), c.ldc(), c.strideC(), c.batch());
            } else {
                rc = (int) gemmStridedBatchedEx.invokeExact(handle, c.transA(), c.transB(), c.m(), c.n(), c.k(), alpha,
                        MemorySegment.ofAddress(a), CUDA_R_32F, c.lda(), c.strideA(), MemorySegment.ofAddress(b),
                        CUDA_R_32F, c.ldb(), c.strideB(), beta, MemorySegment.ofAddress(cOut), CUDA_R_32F, c.ldc(),
                        c.strideC(), c.batch(), computeType, GEMM_DEFAULT);
            }
            CudaErrors.checkCublas(rc, "GEMM " + c);
        } catch (Throwable t) {
            throw Nvrtc.rethrow(t);
        }
    }
}
