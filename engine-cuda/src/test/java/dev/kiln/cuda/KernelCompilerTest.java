package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.BackendException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelCompilerTest {
    private static final int[] NVRTC_13 = {75, 80, 86, 87, 89, 90, 100, 103, 110, 120, 121};

    @Test
    void knownArchitectureGetsCubin() {
        KernelCompiler.Target t = KernelCompiler.target(90, NVRTC_13);
        assertEquals("--gpu-architecture=sm_90", t.archOption());
        assertTrue(t.cubin());
        assertEquals("sm_90", t.tag());
    }

    @Test
    void newerDeviceGetsPtxOfTheNewestOlderArchitecture() {
        KernelCompiler.Target t = KernelCompiler.target(130, NVRTC_13);
        assertEquals("--gpu-architecture=compute_121", t.archOption());
        assertFalse(t.cubin());
    }

    @Test
    void deviceOlderThanEverySupportedArchitectureFails() {
        BackendException e = assertThrows(BackendException.class, () -> KernelCompiler.target(70, NVRTC_13));
        assertEquals("NVRTC_ERROR_INVALID_OPTION", e.libraryError());
    }

    @Test
    void cacheKeyCoversSourceHeadersOptionsAndVersion() {
        Map<String, String> h = Map.of("a.cuh", "x");
        List<String> o = List.of("--gpu-architecture=sm_90");
        String k = KernelCompiler.cacheKey("p.cu", "src", h, o, 13000);
        assertEquals(64, k.length());
        assertEquals(k, KernelCompiler.cacheKey("p.cu", "src", Map.of("a.cuh", "x"), List.of("--gpu-architecture=sm_90"), 13000));
        assertNotEquals(k, KernelCompiler.cacheKey("p.cu", "src2", h, o, 13000));
        assertNotEquals(k, KernelCompiler.cacheKey("p.cu", "src", Map.of("a.cuh", "y"), o, 13000));
        assertNotEquals(k, KernelCompiler.cacheKey("p.cu", "src", h, List.of("--gpu-architecture=sm_80"), 13000));
        assertNotEquals(k, KernelCompiler.cacheKey("p.cu", "src", h, o, 12090));
        // length-prefixed fields: moving text between fields changes the key
        assertNotEquals(KernelCompiler.cacheKey("ab", "c", h, o, 1), KernelCompiler.cacheKey("a", "bc", h, o, 1));
    }

    @Test
    void optionsNameTheArchitectureAndStandard() {
        List<String> o = KernelCompiler.options(KernelCompiler.target(80, NVRTC_13));
        assertEquals(List.of("--gpu-architecture=sm_80", "--std=c++17", "--device-as-default-execution-space"), o);
    }
}
