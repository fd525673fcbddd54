package dev.kiln.opencl;

import dev.kiln.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CLBlast's strided batched SGEMM, bound through the JDK's FFM API when {@code libclblast.so.1}
 * (Debian: libclblast1) is installed. {@code -Dkiln.opencl.clblast=false} turns it off;
 * {@code -Dkiln.opencl.clblast.library} names another file. Signature and enum values are those
 * of CLBlast's C API ({@code clblast_c.h}).
 */
final class ClBlast {
    private static final int ROW_MAJOR = 101, TRANSPOSE_NO = 111, TRANSPOSE_YES = 112;
    private static final Map<Integer, String> STATUS = Map.ofEntries(
            Map.entry(-1024, "CLBlastNotImplemented"), Map.entry(-1017, "CLBlastInvalidDimension"),
            Map.entry(-1016, "CLBlastInvalidLeadDimA"), Map.entry(-1015, "CLBlastInvalidLeadDimB"),
            Map.entry(-1014, "CLBlastInvalidLeadDimC"), Map.entry(-1011, "CLBlastInsufficientMemoryA"),
            Map.entry(-1010, "CLBlastInsufficientMemoryB"), Map.entry(-1009, "CLBlastInsufficientMemoryC"),
            Map.entry(-2050, "CLBlastInsufficientMemoryTemp"), Map.entry(-2049, "CLBlastInvalidBatchCount"),
            Map.entry(-2046, "CLBlastInvalidLocalMemUsage"), Map.entry(-2041, "CLBlastDatabaseError"),
            Map.entry(-2040, "CLBlastUnknownError"), Map.entry(-2039, "CLBlastUnexpectedError"));

    private static volatile Optional<ClBlast> instance;

    private final MethodHandle sgemmStridedBatched;

    private ClBlast(MethodHandle sgemmStridedBatched) { this.sgemmStridedBatched = sgemmStridedBatched; }

    /** The library when it is installed and not turned off. */
    static Optional<ClBlast> get() {
        Optional<ClBlast> i = instance;
        if (i == null) {
            synchronized (ClBlast.class) {
                if (instance == null) instance = load();
                i = instance;
            }
        }
        return i;
    }

    private static Optional<ClBlast> load() {
        if ("false".equalsIgnoreCase(System.getProperty("kiln.opencl.clblast"))) return Optional.empty();
        String forced = System.getProperty("kiln.opencl.clblast.library");
        for (String name : forced != null ? List.of(forced) : List.of("libclblast.so.1", "libclblast.so")) {
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(name, Arena.global());
                Optional<MemorySegment> fn = lib.find("CLBlastSgemmStridedBatched");
                if (fn.isEmpty()) continue;
                var L = ValueLayout.JAVA_LONG;
                var I = ValueLayout.JAVA_INT;
                var F = ValueLayout.JAVA_FLOAT;
                var P = ValueLayout.ADDRESS;
                FunctionDescriptor fd = FunctionDescriptor.of(I, I, I, I, L, L, L, F, P, L, L, L, P, L, L, L, F, P, L, L, L, L, P, P);
                return Optional.of(new ClBlast(Linker.nativeLinker().downcallHandle(fn.get(), fd)));
            } catch (IllegalArgumentException | UnsupportedOperationException | IllegalCallerException e) {
                // not installed (or native access denied): the backend's own GEMM kernel runs
            }
        }
        return Optional.empty();
    }

    /** One matrix operand as BLAS sees it: transposed or not, and its leading dimension. */
    record Operand(boolean transposed, long ld) {}

    /**
     * How a [rows, cols] view with strides (sRow, sCol) maps onto a row-major BLAS operand, or null
     * when neither axis is unit-stride (a stride on an extent-1 axis does not matter).
     */
    static Operand operand(int rows, int cols, long sRow, long sCol) {
        if (cols == 1 || sCol == 1) {
            long ld = rows == 1 ? Math.max(1, cols) : sRow;
            if (ld >= Math.max(1, cols)) return new Operand(false, ld);
        }
        if (rows == 1 || sRow == 1) {
            long ld = cols == 1 ? Math.max(1, rows) : sCol;
            if (ld >= Math.max(1, rows)) return new Operand(true, ld);
        }
        return null;
    }

    /** Enqueues c = alpha a @ b + beta c for a batch on {@code queue}; c must be row-major (unit column stride). */
    void sgemm(long queue, Operand a, Operand b, long ldc, int m, int n, int k, float alpha, float beta,
               ClBuffer ab, long aOff, long aBatch, ClBuffer bb, long bOff, long bBatch,
               ClBuffer cb, long cOff, long cBatch, int batch) {
        int status;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(ValueLayout.ADDRESS);
            q.set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(queue));
            status = (int) sgemmStridedBatched.invokeExact(ROW_MAJOR, a.transposed() ? TRANSPOSE_YES : TRANSPOSE_NO,
                    b.transposed() ? TRANSPOSE_YES : TRANSPOSE_NO, (long) m, (long) n, (long) k, alpha,
                    MemorySegment.ofAddress(ab.mem()), aOff, a.ld(), aBatch,
                    MemorySegment.ofAddress(bb.mem()), bOff, b.ld(), bBatch, beta,
                    MemorySegment.ofAddress(cb.mem()), cOff, ldc, cBatch, (long) batch, q, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new BackendException("CLBlastSgemmStridedBatched could not be called", "CLBlastUnexpectedError", e);
        }
        if (status != 0) {
            String name = status > -1000 ? ClErrors.name(status) : STATUS.getOrDefault(status, "CLBlastStatus" + status);
            throw new BackendException("CLBlastSgemmStridedBatched(" + m + "x" + n + "x" + k + ", batch " + batch + ") failed", name);
        }
    }
}
