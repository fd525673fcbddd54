package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.spi.BackendProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class CudaProviderTest {
    @Test
    void isFoundByServiceLoader() {
        boolean found = ServiceLoader.load(BackendProvider.class).stream().anyMatch(p -> p.type() == CudaProvider.class);
        assertTrue(found);
        CudaProvider p = new CudaProvider();
        assertEquals("cuda", p.name());
        assertEquals(100, p.rank());
    }

    @Test
    void unavailableReasonIsOneLine() {
        Optional<String> reason = new CudaProvider().unavailableReason();
        reason.ifPresent(r -> assertFalse(r.contains("\n"), r));
        reason.ifPresent(r -> assertTrue(new CudaProvider().devices().isEmpty()));
    }

    @Test
    void withoutTheDriverTheReasonNamesLibcuda() {
        assumeTrue(!driverLoads(), "libcuda.so.1 is present here");
        CudaProvider p = new CudaProvider();
        assertEquals(Optional.of("libcuda.so.1 not found (no NVIDIA driver on this machine)"), p.unavailableReason());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> p.open(0));
        assertEquals("cuda: libcuda.so.1 not found (no NVIDIA driver on this machine)", e.getMessage());
        e = assertThrows(BackendUnavailableException.class, () -> p.open(0, "tf32"));
        assertEquals("cuda: libcuda.so.1 not found (no NVIDIA driver on this machine)", e.getMessage());
    }

    static boolean driverLoads() {
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup.libraryLookup("libcuda.so.1", a);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
