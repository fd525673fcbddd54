package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.BackendUnavailableException;
import dev.kiln.Kiln;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device names with a precision ({@code cuda:0@tf32}), on the CPU backend, which offers fp32 only. */
class DevicePrecisionTest {
    @Test
    void theCpuOffersFp32Only() {
        assertEquals(List.of("fp32"), Kiln.providers().stream().filter(p -> p.name().equals("cpu")).findFirst().orElseThrow().precisions());
    }

    @Test
    void fp32OnABackendWithOneModeIsThePlainDevice() {
        assertSame(Kiln.device("cpu"), Kiln.device("cpu@fp32"));
        assertSame(Kiln.device("cpu"), Kiln.device("cpu:0@FP32"));
    }

    @Test
    void aModeTheBackendLacksIsAnErrorListingItsModes() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Kiln.device("cpu@tf32"));
        assertEquals("device 'cpu@tf32': cpu offers the precisions fp32, not 'tf32'", e.getMessage());
        e = assertThrows(BackendUnavailableException.class, () -> Kiln.device("nosuch:0@tf32"));
        assertEquals(true, e.getMessage().startsWith("device 'nosuch:0@tf32': no backend named 'nosuch'"), e.getMessage());
    }
}
