package dev.kiln.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * OpenBLAS's {@code cblas_sgemm}, bound through FFM: the CPU reference the benchmarks compare Kiln
 * with. Loaded from {@code -Dkiln.openblas.path}, else {@code libopenblas.so.0} on the loader's path,
 * else the Debian package directories ({@code apt-get install libopenblas0-pthread}).
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final List<String> CANDIDATES = List.of(
            "libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
            "libopenblas.so",
            "libopenblas.dylib");

    private final String source;
    private final MethodHandle sgemm;
    private final MethodHandle getConfig;
    private final MethodHandle getNumThreads;

    private OpenBlas(String source, SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        this.source = source;
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout f = ValueLayout.JAVA_FLOAT;
        ValueLayout p = ValueLayout.ADDRESS;
        this.sgemm = linker.downcallHandle(lib.findOrThrow("cblas_sgemm"),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i));
        this.getConfig = lib.find("openblas_get_config")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(p))).orElse(null);
        this.getNumThreads = lib.find("openblas_get_num_threads")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(i))).orElse(null);
    }

    private static final class Holder {
        static final Object INSTANCE = load();
    }

    /** The library, or empty when none of the candidates loads; {@link #unavailableReason()} says why. */
    public static Optional<OpenBlas> get() {
        return Holder.INSTANCE instanceof OpenBlas b ? Optional.of(b) : Optional.empty();
    }

    public static String unavailableReason() {
        return Holder.INSTANCE instanceof String why ? why : "";
    }

    private static Object load() {
        List<String> tried = new ArrayList<>();
        String explicit = System.getProperty("kiln.openblas.path");
        List<String> names = explicit != null ? List.of(explicit) : CANDIDATES;
        for (String name : names) {
            if (name.startsWith("/") && !Files.exists(Path.of(name))) {
                tried.add(name);
                continue;
            }
            try {
                // The global arena: the library stays loaded for the life of the JVM.
                SymbolLookup lib = name.startsWith("/") ? SymbolLookup.libraryLookup(Path.of(name), Arena.global())
                        : SymbolLookup.libraryLookup(name, Arena.global());
                return new OpenBlas(name, lib);
            } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
                tried.add(name);
            }
        }
        return "OpenBLAS not found (tried " + String.join(", ", tried) + "); install it with: apt-get install libopenblas0-pthread";
    }

    /** Where it was loaded from. */
    public String source() { return source; }

    /** {@code openblas_get_config()}: version, target CPU, threading. */
    public String config() {
        if (getConfig == null) return "unknown";
        try {
            MemorySegment s = (MemorySegment) getConfig.invokeExact();
            return s.reinterpret(4096).getString(0).trim();
        } catch (Throwable t) {
            return "unknown (" + t + ")";
        }
    }

    public int threads() {
        if (getNumThreads == null) return -1;
        try {
            return (int) getNumThreads.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Row-major {@code c = alpha * a[m,k] @ b[k,n] + beta * c[m,n]}, all segments native and dense. */
    public void sgemm(int m, int n, int k, float alpha, MemorySegment a, MemorySegment b, float beta, MemorySegment c) {
        long need = 4L * ((long) m * k + (long) k * n + (long) m * n);
        if (a.byteSize() < 4L * m * k || b.byteSize() < 4L * k * n || c.byteSize() < 4L * m * n) {
            throw new IllegalArgumentException("sgemm: segments of " + a.byteSize() + ", " + b.byteSize() + ", " + c.byteSize()
                    + " bytes are too small for m=" + m + " n=" + n + " k=" + k + " (" + need + " bytes in all)");
        }
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, alpha, a, k, b, n, beta, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }
}
