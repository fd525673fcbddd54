package dev.kiln.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

/** NVRTC bound through FFM: compiles CUDA C++ to CUBIN (or PTX) for one architecture at run time. */
public final class Nvrtc {
    /** Preferred sonames: CUDA 13, then 12. */
    public static final List<String> SONAMES = List.of("libnvrtc.so.13", "libnvrtc.so.12");

    private final MethodHandle version, getNumSupportedArchs, getSupportedArchs, createProgram, compileProgram,
            getCubinSize, getCubin, getPtxSize, getPtx, getLogSize, getLog, destroyProgram;

    public Nvrtc(LibraryLocator locator, Arena arena) {
        locator.preloadBeside(SONAMES, List.of("libnvrtc-builtins.so.1[23]*"), arena);
        SymbolLookup lib = locator.load("NVRTC", SONAMES, arena);
        Linker linker = Linker.nativeLinker();
        version = bind(linker, lib, "nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getNumSupportedArchs = bind(linker, lib, "nvrtcGetNumSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getSupportedArchs = bind(linker, lib, "nvrtcGetSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        createProgram = bind(linker, lib, "nvrtcCreateProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        compileProgram = bind(linker, lib, "nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        getCubinSize = bind(linker, lib, "nvrtcGetCUBINSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getCubin = bind(linker, lib, "nvrtcGetCUBIN", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getPtxSize = bind(linker, lib, "nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getPtx = bind(linker, lib, "nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getLogSize = bind(linker, lib, "nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        getLog = bind(linker, lib, "nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroyProgram = bind(linker, lib, "nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static MethodHandle bind(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new BackendException(
                "symbol " + name + " missing from the loaded library", "SYMBOL_NOT_FOUND"));
        return linker.downcallHandle(symbol, fd);
    }

    /** {@code major * 1000 + minor * 10}, as CUDA writes versions. */
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            CudaErrors.checkNvrtc((int) version.invokeExact(major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) * 1000 + minor.get(JAVA_INT, 0) * 10;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The SM versions (e.g. 90 for sm_90) this NVRTC can target. */
    public int[] supportedArchs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            CudaErrors.checkNvrtc((int) getNumSupportedArchs.invokeExact(n), "nvrtcGetNumSupportedArchs");
            MemorySegment archs = a.allocate(JAVA_INT, Math.max(1, n.get(JAVA_INT, 0)));
            CudaErrors.checkNvrtc((int) getSupportedArchs.invokeExact(archs), "nvrtcGetSupportedArchs");
            return archs.asSlice(0, (long) n.get(JAVA_INT, 0) * 4).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Compiles {@code source} with the given headers (include name to text) and options. Returns CUBIN
     * when the options name a real architecture ({@code sm_XX}), PTX for a virtual one ({@code compute_XX}).
     * A compilation error throws with NVRTC's log in the message.
     */
    public byte[] compile(String name, String source, Map<String, String> headers, List<String> options, boolean cubin) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(ADDRESS);
            MemorySegment headerTexts = a.allocate(ADDRESS, Math.max(1, headers.size()));
            MemorySegment headerNames = a.allocate(ADDRESS, Math.max(1, headers.size()));
            int i = 0;
            for (var e : headers.entrySet()) {
                headerNames.setAtIndex(ADDRESS, i, a.allocateFrom(e.getKey()));
                headerTexts.setAtIndex(ADDRESS, i, a.allocateFrom(e.getValue()));
                i++;
            }
            CudaErrors.checkNvrtc((int) createProgram.invokeExact(prog, a.allocateFrom(source), a.allocateFrom(name),
                    headers.size(), headerTexts, headerNames), "nvrtcCreateProgram " + name);
            MemorySegment handle = prog.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int k = 0; k < options.size(); k++) opts.setAtIndex(ADDRESS, k, a.allocateFrom(options.get(k)));
                int rc = (int) compileProgram.invokeExact(handle, options.size(), opts);
                if (rc != 0) {
                    throw new BackendException("NVRTC could not compile " + name + " with " + options + ":\n"
                            + log(handle, a), CudaErrors.nvrtcName(rc));
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                CudaErrors.checkNvrtc((int) (cubin ? getCubinSize : getPtxSize).invokeExact(handle, size), "get output size");
                MemorySegment out = a.allocate(JAVA_BYTE, Math.max(1, size.get(JAVA_LONG, 0)));
                CudaErrors.checkNvrtc((int) (cubin ? getCubin : getPtx).invokeExact(handle, out), "get output");
                return out.asSlice(0, size.get(JAVA_LONG, 0)).toArray(JAVA_BYTE);
            } finally {
                int ignored = (int) destroyProgram.invokeExact(prog);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private String log(MemorySegment handle, Arena a) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        if ((int) getLogSize.invokeExact(handle, size) != 0) return "(no log)";
        MemorySegment text = a.allocate(JAVA_BYTE, Math.max(1, size.get(JAVA_LONG, 0)));
        if ((int) getLog.invokeExact(handle, text) != 0) return "(no log)";
        return text.getString(0);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
